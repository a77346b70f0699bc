"""LMS platforms registered by an administrator, and what launches link to our data."""

from urllib.parse import urlsplit

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

from quizzes.models import Classroom


class Platform(models.Model):
    """One LMS registration: an issuer and the client id it gave this tool."""

    name = models.CharField(max_length=100, blank=True)
    issuer = models.CharField(max_length=255, help_text="The platform's iss, e.g. its base URL.")
    client_id = models.CharField(max_length=255)
    auth_url = models.URLField(max_length=500, help_text="OIDC authentication request URL.")
    token_url = models.URLField(max_length=500, help_text="OAuth2 access token URL.")
    keyset_url = models.URLField(max_length=500, help_text="The platform's public JWKS URL.")
    frame_origin = models.URLField(
        max_length=500,
        blank=True,
        help_text="The LMS site whose pages frame the tool, when its login URL is elsewhere "
        "(Canvas: your school's Canvas address, not sso.canvaslms.com).",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["issuer", "client_id"]
        constraints = [
            models.UniqueConstraint(fields=["issuer", "client_id"], name="one_platform_per_client"),
            models.CheckConstraint(condition=~Q(issuer=""), name="platform_has_an_issuer"),
            models.CheckConstraint(condition=~Q(client_id=""), name="platform_has_a_client_id"),
        ]

    def __str__(self) -> str:
        return self.name or f"{self.issuer} ({self.client_id})"

    @property
    def origin(self) -> str:
        """Where the LMS page that frames us lives: the frame origin given at registration, or
        else the origin of its login URL (right for Moodle, whose login URL is on the site)."""
        parts = urlsplit(self.frame_origin or self.auth_url)
        return f"{parts.scheme}://{parts.netloc}"


class Deployment(models.Model):
    platform = models.ForeignKey(Platform, on_delete=models.CASCADE, related_name="deployments")
    deployment_id = models.CharField(max_length=255)

    class Meta:
        ordering = ["platform_id", "deployment_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "deployment_id"], name="one_deployment_per_platform_and_id"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.deployment_id} on {self.platform}"


class LtiUser(models.Model):
    """An LMS user (iss + sub) and the site account made for them on their first launch."""

    platform = models.ForeignKey(Platform, on_delete=models.CASCADE, related_name="users")
    sub = models.CharField(max_length=255)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lti_links"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["platform_id", "sub"]
        constraints = [
            models.UniqueConstraint(fields=["platform", "sub"], name="one_account_per_lms_user"),
        ]

    def __str__(self) -> str:
        return f"{self.sub} on {self.platform}"


class LtiContext(models.Model):
    """An LMS course, linked to the class its roster fills."""

    platform = models.ForeignKey(Platform, on_delete=models.CASCADE, related_name="contexts")
    context_id = models.CharField(max_length=255)
    title = models.CharField(max_length=255, blank=True)
    classroom = models.OneToOneField(Classroom, on_delete=models.CASCADE, related_name="lti")
    memberships_url = models.URLField(max_length=500, blank=True)
    synced_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["platform_id", "context_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["platform", "context_id"], name="one_class_per_lms_course"
            ),
        ]

    def __str__(self) -> str:
        return self.title or self.context_id

    def given_up_scores(self):
        """Scores of this course the LMS never took (a day of failures): the class page says
        how many, so the teacher knows the gradebook lacks them."""
        return PendingScore.objects.filter(link__context=self, failed_at__isnull=False)


class TargetKind(models.TextChoices):
    LESSON = "lesson", "Lesson"
    QUIZ = "quiz", "Quiz"
    LAB = "lab", "Lab"


class ResourceLink(models.Model):
    """A placement of a lesson, quiz or lab in an LMS course, with its gradebook endpoint."""

    context = models.ForeignKey(LtiContext, on_delete=models.CASCADE, related_name="links")
    resource_link_id = models.CharField(max_length=255)
    kind = models.CharField(max_length=10, choices=TargetKind.choices, blank=True)
    target = models.CharField(max_length=100, blank=True, help_text="Lesson slug or lab key.")
    title = models.CharField(max_length=255, blank=True)
    # The AGS claim of the latest launch ({scope, lineitem, lineitems}); {} without AGS.
    ags_endpoint = models.JSONField(default=dict, blank=True)
    learners = models.ManyToManyField(LtiUser, related_name="launched_links", blank=True)

    class Meta:
        ordering = ["context_id", "resource_link_id"]
        constraints = [
            models.UniqueConstraint(
                fields=["context", "resource_link_id"], name="one_link_per_course_and_id"
            ),
        ]

    def __str__(self) -> str:
        return self.title or self.resource_link_id


class PendingScoreQuerySet(models.QuerySet):
    def waiting(self):
        """Scores still to be sent (not given up)."""
        return self.filter(failed_at__isnull=True)

    def unleased(self, now):
        """Rows no deliverer holds: never leased, or its lease ran out (the deliverer died)."""
        return self.filter(Q(leased_until__isnull=True) | Q(leased_until__lte=now))

    def due(self, now):
        """Waiting rows whose next try has come and that no deliverer holds."""
        return self.waiting().filter(next_attempt_at__lte=now).unleased(now)


class PendingScore(models.Model):
    """The outbox of scores for LMS gradebooks: written in the transaction that records the
    learner's result, sent by the background deliverer (quizzes/teach/lti/outbox.py), deleted
    once the platform took it. One row per placement and learner: a newer score replaces one
    not yet sent, with its own submission time (AGS's timestamp). A score the platform refuses
    is tried again later and later (backoff), and given up (failed_at) a day after it was
    submitted; it stays here, visible in the admin and on the class page."""

    link = models.ForeignKey(ResourceLink, on_delete=models.CASCADE, related_name="pending")
    learner = models.ForeignKey(LtiUser, on_delete=models.CASCADE, related_name="pending_scores")
    score_given = models.FloatField()
    score_maximum = models.FloatField()
    scored_at = models.DateTimeField(help_text="When the learner submitted (the score's time).")
    tries = models.PositiveIntegerField(default=0, help_text="Failed deliveries so far.")
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(
        default=timezone.now, help_text="When the deliverer tries it next."
    )
    # A deliverer's claim: nobody else sends the row until then (longer than any one send).
    leased_until = models.DateTimeField(null=True, blank=True)
    failed_at = models.DateTimeField(
        null=True, blank=True, help_text="Given up: still failing a day after it was submitted."
    )
    updated_at = models.DateTimeField(auto_now=True)

    objects = PendingScoreQuerySet.as_manager()

    class Meta:
        ordering = ["updated_at"]
        constraints = [
            models.UniqueConstraint(fields=["link", "learner"], name="one_pending_score_per_link"),
        ]
        indexes = [
            # The deliverer's claim query: waiting rows by next try.
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(failed_at__isnull=True),
                name="pending_score_due",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.score_given}/{self.score_maximum} for {self.learner} on {self.link}"

    @property
    def status(self) -> str:
        if self.failed_at:
            return "failed"
        return "retrying" if self.tries else "queued"
