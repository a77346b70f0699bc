"""The account forms: sign-up, and Django's log-in form with failed attempts throttled."""

from django import forms
from django.contrib.auth.forms import AuthenticationForm, UserCreationForm
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError

from course.accounts.throttle import (
    LOCKED_MESSAGE,
    clear_account,
    client_address,
    record_failure,
    seconds_locked,
)


class SignupForm(UserCreationForm):
    email = forms.EmailField(
        required=False,
        help_text="Optional. Only used to reset your password if you forget it.",
    )

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ["username", "email"]


class ThrottledAuthenticationForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "throttled": LOCKED_MESSAGE,
    }

    def clean(self):
        username = self.data.get("username", "")[:150]
        address = client_address(self.request) if self.request else "unknown"
        wait = seconds_locked(username, address)
        if wait:
            minutes = max(1, round(wait / 60))
            raise ValidationError(
                self.error_messages["throttled"],
                code="throttled",
                params={"minutes": minutes, "s": "" if minutes == 1 else "s"},
            )
        try:
            cleaned = super().clean()
        except ValidationError:
            record_failure(username, address)
            raise
        clear_account(username)
        return cleaned
