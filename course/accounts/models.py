import secrets

from django.conf import settings
from django.db import models
from django.urls import reverse


def new_calendar_token() -> str:
    """256 random bits: the calendar feed's URL is its only key, so it must be unguessable."""
    return secrets.token_urlsafe(32)


class ProfileQuerySet(models.QuerySet):
    def for_user(self, user) -> "Profile":
        """The user's profile, created on first use (users from before profiles existed)."""
        profile, _ = self.get_or_create(user=user)
        return profile


class Profile(models.Model):
    """What a learner tells the course about themselves, beyond Django's User."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile"
    )
    display_name = models.CharField(
        max_length=100, blank=True, help_text="The name teachers see, like “Ana Lopez”."
    )
    student_id = models.CharField(
        max_length=50, blank=True, help_text="Your school's ID number for you, if it has one."
    )
    calendar_token = models.CharField(max_length=64, unique=True, default=new_calendar_token)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ProfileQuerySet.as_manager()

    class Meta:
        ordering = ["user_id"]

    def __str__(self) -> str:
        return self.display_name or str(self.user)

    def get_absolute_url(self) -> str:
        return reverse("account")

    def reset_calendar_token(self) -> None:
        self.calendar_token = new_calendar_token()
        self.save(update_fields=["calendar_token", "updated_at"])
