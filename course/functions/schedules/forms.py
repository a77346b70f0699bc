"""The one form for a schedule expression, shared by the page and the JSON API."""

from __future__ import annotations

from django import forms

from course.labs.validators.schedule import validate
from course.runner.web.forms import printable

EXPRESSION_HELP = "rate(5 minutes), rate(1 hour) or cron(0/10 * * * ? *); times are UTC."


class ScheduleForm(forms.Form):
    expression = forms.CharField(
        max_length=256,
        error_messages={
            "required": "Give a schedule expression, for example rate(5 minutes).",
            "max_length": "A schedule expression is at most 256 characters.",
        },
    )

    def clean_expression(self) -> str:
        # The EventBridge lab's own validator: the scheduler accepts exactly what the lab does.
        text = self.cleaned_data["expression"]
        result = validate(text)
        if result.errors:
            raise forms.ValidationError(result.errors[0].message)
        if result.info["type"] == "at":
            raise forms.ValidationError(
                "A saved function's schedule repeats: use rate(...) or cron(...). One-time "
                "at(...) schedules are not offered here."
            )
        if not result.info.get("next"):
            raise forms.ValidationError(
                "This expression is valid but never fires from now on (only past years, or no "
                "such date): nothing would run."
            )
        return text

    def messages_by_field(self) -> dict[str, str]:
        return {name: printable(errors[0]) for name, errors in self.errors.items()}
