from django.contrib import admin

from course.functions.schedules.models import Schedule


@admin.register(Schedule)
class ScheduleAdmin(admin.ModelAdmin):
    list_display = ["function", "owner", "expression", "active", "next_run_at", "expires_at"]
    list_filter = ["active"]
    raw_id_fields = ["function", "owner"]
