from django.contrib import admin

from course.functions.models import Function, FunctionDraft, FunctionVersion, TestEvent


class TestEventInline(admin.TabularInline):
    model = TestEvent
    extra = 0


@admin.register(Function)
class FunctionAdmin(admin.ModelAdmin):
    list_display = ["name", "owner", "runtime", "memory_mb", "timeout_s", "version", "updated_at"]
    list_filter = ["runtime"]
    search_fields = ["name", "owner__username"]
    list_select_related = ["owner"]
    raw_id_fields = ["owner"]
    inlines = [TestEventInline]


@admin.register(FunctionVersion)
class FunctionVersionAdmin(admin.ModelAdmin):
    list_display = ["function", "number", "runtime", "created_at"]
    list_select_related = ["function"]
    raw_id_fields = ["function"]


@admin.register(FunctionDraft)
class FunctionDraftAdmin(admin.ModelAdmin):
    list_display = ["__str__", "user", "updated_at"]
    list_select_related = ["user", "function"]
    raw_id_fields = ["user", "function"]
