"""The monitor's filters: one form for the page and both JSON APIs."""

from __future__ import annotations

from django import forms

DEFAULT_MINUTES = 60
MAX_MINUTES = 24 * 60  # what the datapoints keep (models.RETENTION has an hour to spare)
WINDOWS = (
    (15, "Last 15 minutes"),
    (60, "Last hour"),
    (180, "Last 3 hours"),
    (1440, "Last 24 hours"),
)
MAX_QUERY = 200


class MonitorForm(forms.Form):
    minutes = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_MINUTES,
        error_messages={
            "invalid": f"Choose a window as a whole number of minutes, from 1 to {MAX_MINUTES}.",
            "min_value": f"Choose a window as a whole number of minutes, from 1 to {MAX_MINUTES}.",
            "max_value": f"Metrics are kept for 24 hours: choose at most {MAX_MINUTES} minutes.",
        },
    )
    q = forms.CharField(
        required=False,
        max_length=MAX_QUERY,
        error_messages={"max_length": f"Search for at most {MAX_QUERY} characters."},
    )
    errors = forms.BooleanField(required=False)

    def clean_minutes(self) -> int:
        return self.cleaned_data.get("minutes") or DEFAULT_MINUTES

    def messages_by_field(self) -> dict[str, str]:
        return {field: errors[0] for field, errors in self.errors.items()}

    @classmethod
    def defaults(cls) -> dict:
        return {"minutes": DEFAULT_MINUTES, "q": "", "errors": False}
