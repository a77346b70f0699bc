from django.contrib import admin

from course.lessons.models import Lesson, LessonRead


@admin.register(Lesson)
class LessonAdmin(admin.ModelAdmin):
    list_display = ["order", "title", "slug", "reading_minutes", "is_published", "updated_at"]
    list_display_links = ["title"]
    list_filter = ["is_published"]
    search_fields = ["title", "slug", "summary"]
    # Lessons come from lessons/content/ through sync_content; edits here would be overwritten.
    readonly_fields = [
        "slug",
        "title",
        "order",
        "summary",
        "source_path",
        "body_html",
        "toc_html",
        "headings",
        "reading_minutes",
        "is_published",
        "created_at",
        "updated_at",
    ]

    def has_add_permission(self, request):
        return False


@admin.register(LessonRead)
class LessonReadAdmin(admin.ModelAdmin):
    list_display = ["user", "lesson", "first_read_at", "last_read_at"]
    list_filter = ["lesson"]
    search_fields = ["user__username", "lesson__title"]
    list_select_related = ["user", "lesson"]
    readonly_fields = ["user", "lesson", "first_read_at", "last_read_at"]
