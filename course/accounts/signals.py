"""Every new user gets a profile at once, so pages that show it (their calendar feed link) read
it in one query instead of creating it on a page view."""

from django.conf import settings
from django.db.models.signals import post_save
from django.dispatch import receiver

from course.accounts.models import Profile


@receiver(post_save, sender=settings.AUTH_USER_MODEL)
def create_profile(sender, instance, created: bool, raw: bool = False, **kwargs) -> None:
    if created and not raw:
        Profile.objects.get_or_create(user=instance)
