"""The account forms: sign-up, and Django's log-in form with failed attempts throttled."""

from django import forms
from django.contrib.auth.forms import AuthenticationForm, UserCreationForm
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError

from course.accounts.models import Profile
from course.accounts.throttle import (
    LOCKED_MESSAGE,
    clear_account,
    client_address,
    record_failure,
    seconds_locked,
)


def clean_text(value: str) -> str:
    """One line, spaces collapsed: what a teacher's list and a CSV cell can show."""
    return " ".join(value.split())


DISPLAY_NAME_HELP = "Optional. The name your teachers see, like “Ana Lopez”."
STUDENT_ID_HELP = "Optional. Your school's ID number, if your teacher asks for it."


class SignupForm(UserCreationForm):
    email = forms.EmailField(
        required=False,
        help_text="Optional. Only used to reset your password if you forget it.",
    )
    display_name = forms.CharField(
        label="Display name", max_length=100, required=False, help_text=DISPLAY_NAME_HELP
    )
    student_id = forms.CharField(
        label="Student ID", max_length=50, required=False, help_text=STUDENT_ID_HELP
    )

    class Meta(UserCreationForm.Meta):
        model = User
        fields = ["username", "email"]

    def clean_display_name(self) -> str:
        return clean_text(self.cleaned_data["display_name"])

    def clean_student_id(self) -> str:
        return clean_text(self.cleaned_data["student_id"])

    def save(self, commit: bool = True):
        user = super().save(commit=commit)
        if commit:
            Profile.objects.update_or_create(
                user=user,
                defaults={
                    "display_name": self.cleaned_data["display_name"],
                    "student_id": self.cleaned_data["student_id"],
                },
            )
        return user


class ProfileForm(forms.ModelForm):
    class Meta:
        model = Profile
        fields = ["display_name", "student_id"]
        labels = {"display_name": "Display name", "student_id": "Student ID"}
        help_texts = {"display_name": DISPLAY_NAME_HELP, "student_id": STUDENT_ID_HELP}

    def clean_display_name(self) -> str:
        return clean_text(self.cleaned_data["display_name"])

    def clean_student_id(self) -> str:
        return clean_text(self.cleaned_data["student_id"])


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
