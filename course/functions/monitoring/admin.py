from django.contrib import admin

from course.functions.monitoring.models import LogEntry


@admin.register(LogEntry)
class LogEntryAdmin(admin.ModelAdmin):
    list_display = ["request_id", "function", "trigger", "status", "started_at"]
    list_filter = ["trigger", "status"]
    list_select_related = ["function"]
    raw_id_fields = ["function"]
    search_fields = ["request_id", "function__name"]
