from django.contrib import admin

from course.accounts.models import Profile


@admin.register(Profile)
class ProfileAdmin(admin.ModelAdmin):
    list_display = ["user", "display_name", "student_id", "updated_at"]
    search_fields = ["user__username", "user__email", "display_name", "student_id"]
    list_select_related = ["user"]
    raw_id_fields = ["user"]
    # The calendar token is a key to the student's feed: never shown, only reset by them.
    fields = ["user", "display_name", "student_id", "created_at", "updated_at"]
    readonly_fields = ["created_at", "updated_at"]
