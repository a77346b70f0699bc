from django.contrib import admin

from quizzes.teach.lti.models import (
    Deployment,
    LtiContext,
    LtiUser,
    PendingScore,
    Platform,
    ResourceLink,
)


class DeploymentInline(admin.TabularInline):
    model = Deployment
    extra = 1


@admin.register(Platform)
class PlatformAdmin(admin.ModelAdmin):
    list_display = ["__str__", "issuer", "client_id", "created_at"]
    search_fields = ["name", "issuer", "client_id"]
    inlines = [DeploymentInline]


@admin.register(LtiContext)
class LtiContextAdmin(admin.ModelAdmin):
    list_display = ["__str__", "platform", "classroom", "synced_at"]
    raw_id_fields = ["classroom"]


@admin.register(LtiUser)
class LtiUserAdmin(admin.ModelAdmin):
    list_display = ["sub", "platform", "user"]
    raw_id_fields = ["user"]


@admin.register(ResourceLink)
class ResourceLinkAdmin(admin.ModelAdmin):
    list_display = ["__str__", "context", "kind", "target"]
    raw_id_fields = ["learners"]


@admin.register(PendingScore)
class PendingScoreAdmin(admin.ModelAdmin):
    """Scores an LMS has not taken yet: why (last_error) and how often it was tried."""

    list_display = ["__str__", "tries", "last_error", "updated_at"]
    raw_id_fields = ["link", "learner"]
    readonly_fields = ["updated_at"]
