from django.contrib import admin
from django.utils import timezone

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


class GivenUpFilter(admin.SimpleListFilter):
    title = "delivery"
    parameter_name = "delivery"

    def lookups(self, request, model_admin):
        return [("waiting", "Waiting to be sent"), ("failed", "Given up")]

    def queryset(self, request, queryset):
        if self.value() == "waiting":
            return queryset.filter(failed_at__isnull=True)
        if self.value() == "failed":
            return queryset.filter(failed_at__isnull=False)
        return queryset


@admin.register(PendingScore)
class PendingScoreAdmin(admin.ModelAdmin):
    """The scores outbox: what an LMS has not taken yet, why (last_error), how often it was
    tried, when it is tried next, and the ones given up after a day of failures."""

    list_display = [
        "__str__",
        "status",
        "tries",
        "next_attempt_at",
        "failed_at",
        "last_error",
        "scored_at",
    ]
    list_filter = [GivenUpFilter]
    list_select_related = ["link", "learner__platform"]
    raw_id_fields = ["link", "learner"]
    readonly_fields = ["leased_until", "updated_at"]
    actions = ["send_again"]

    @admin.action(description="Send again now (given-up scores too)")
    def send_again(self, request, queryset):
        # The background deliverer picks them up at its next run (within seconds).
        count = queryset.update(failed_at=None, next_attempt_at=timezone.now())
        self.message_user(request, f"{count} score(s) will be sent again within seconds.")
