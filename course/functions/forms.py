"""Saved functions and test events: validated exactly as the runner validates a run (RunForm),
plus the names Lambda allows. One form for the pages and the JSON API."""

from __future__ import annotations

import json
import re

from django import forms

from course.common.text import NUL_MESSAGE, contains_nul
from course.functions.models import CONFIG_FIELDS, MAX_TEST_EVENTS, Function, TestEvent
from course.runner.warm import power
from course.runner.warm.tuning import DEFAULT_MEMORY_SIZES, DEFAULT_RUNS
from course.runner.web.forms import (
    MAX_EVENT_BYTES,
    AsSent,
    BadJSON,
    RunForm,
    parse_json,
    printable,
)

# Lambda's function names: 1-64 letters, digits, hyphens and underscores.
FUNCTION_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")
# The console's test event names: up to 25 letters, digits, dots, hyphens and underscores.
EVENT_NAME = re.compile(r"[A-Za-z0-9._-]{1,25}")


TOO_MANY_EVENTS = (
    f"A function keeps at most {MAX_TEST_EVENTS} test events (as in the Lambda console): "
    "delete one first."
)


def name_taken(name: str) -> str:
    return f"You already have a function named {name}."


def event_name_taken(name: str) -> str:
    return f"This function already has an event named {name}."


class FunctionForm(RunForm):
    """A function's name, runtime, code, memory and timeout. ``owner`` and ``instance`` make the
    name unique per learner (renaming a function to its own name is fine)."""

    name = forms.Field(required=False, widget=AsSent)

    def __init__(self, data, *, owner, instance: Function | None = None):
        super().__init__(data)
        self.owner, self.instance = owner, instance

    def clean_name(self) -> str:
        name = self.cleaned_data.get("name")
        if not isinstance(name, str) or not FUNCTION_NAME.fullmatch(name.strip()):
            raise forms.ValidationError(
                "Name the function with 1-64 letters, digits, hyphens or underscores "
                "(Lambda's rule for function names)."
            )
        name = name.strip()
        taken = Function.objects.filter(owner=self.owner, name=name)
        if self.instance is not None:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError(name_taken(name))
        return name

    def clean_code(self) -> str:
        code = super().clean_code()
        if contains_nul(code):  # runnable perhaps, but not storable (PostgreSQL refuses NUL)
            raise forms.ValidationError(NUL_MESSAGE)
        # A plain form sends a textarea's line breaks as CRLF (the HTML standard's form
        # submission rule); the code editor and the JSON API send LF. Saved code keeps LF, so a
        # function reads the same, and versions compare equal, however it was written.
        return code.replace("\r\n", "\n")

    @property
    def config(self) -> dict:
        return {key: self.cleaned_data[key] for key in CONFIG_FIELDS}


class RenameForm(forms.Form):
    name = forms.CharField(required=False, strip=False)

    def __init__(self, data, *, instance: Function):
        super().__init__(data)
        self.instance = instance

    def clean_name(self) -> str:
        form = FunctionForm({"name": self.cleaned_data["name"]}, owner=self.instance.owner,
                            instance=self.instance)  # fmt: skip
        form.full_clean()
        if "name" in form.errors:
            raise forms.ValidationError(form.errors["name"][0])
        return form.cleaned_data["name"]


class TestEventForm(forms.Form):
    __test__ = False

    name = forms.CharField(required=False)
    body = forms.CharField(required=False, strip=False)

    def __init__(self, data, *, function: Function, instance: TestEvent | None = None):
        super().__init__(data)
        self.function, self.instance = function, instance

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not EVENT_NAME.fullmatch(name):
            raise forms.ValidationError(
                "Name the event with 1-25 letters, digits, dots, hyphens or underscores "
                "(the Lambda console's rule)."
            )
        taken = self.function.test_events.filter(name=name)
        if self.instance is not None:
            taken = taken.exclude(pk=self.instance.pk)
        if taken.exists():
            raise forms.ValidationError(event_name_taken(name))
        return name

    def clean_body(self) -> str:
        text = self.cleaned_data["body"].strip() or "{}"
        try:
            event = parse_json(text, "The event")
        except BadJSON as bad:
            raise forms.ValidationError(str(bad)) from None
        size = len(json.dumps(event, ensure_ascii=False).encode())
        if size > MAX_EVENT_BYTES:
            raise forms.ValidationError(
                f"The event is {size:,} bytes; Lambda's synchronous invocations take at most "
                f"{MAX_EVENT_BYTES:,}."
            )
        return text

    def clean(self):
        cleaned = super().clean()
        if self.instance is None and self.function.test_events.count() >= MAX_TEST_EVENTS:
            raise forms.ValidationError(TOO_MANY_EVENTS)
        return cleaned

    def messages_by_field(self) -> dict[str, str]:
        return {name: printable(errors[0]) for name, errors in self.errors.items()}


class TuningForm(forms.Form):
    """The power tuning page's choices: one of the function's saved test events (or ``{}``), the
    memory sizes to try and the runs at each. The bounds are the engine's
    (course/runner/warm/power.py), which checks them again: this form only says it first, in
    words fit for the page."""

    event = forms.ChoiceField(required=False, label="Test event")
    memory_sizes = forms.TypedMultipleChoiceField(
        coerce=int,
        label="Memory sizes (MB)",
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose at least one memory size to try."},
    )
    runs = forms.IntegerField(
        label="Runs at each size",
        initial=DEFAULT_RUNS,
        min_value=2,
        max_value=power.MAX_RUNS,
        help_text=f"2 to {power.MAX_RUNS}: the first is cold, the rest warm.",
        error_messages={
            "required": f"Give the number of runs at each size, 2 to {power.MAX_RUNS}.",
            "invalid": f"Give the number of runs at each size as a whole number, "
            f"2 to {power.MAX_RUNS}.",
            "min_value": "Give at least 2 runs at each size: the first starts a new execution "
            "environment (a cold start, reported apart), and the warm runs after it are what "
            "the durations are measured from.",
            "max_value": f"At most {power.MAX_RUNS} runs at each size, so that a tuning "
            "finishes within a minute.",
        },
    )

    def __init__(self, data=None, *, events, function_memory_mb: int, max_memory_mb: int):
        super().__init__(data)
        self.events = {str(event.pk): event for event in events}
        self.fields["event"].choices = [("", "Empty event: {}")] + [
            (key, event.name) for key, event in self.events.items()
        ]
        defaults = [m for m in DEFAULT_MEMORY_SIZES if m <= max_memory_mb]
        own = [function_memory_mb] if function_memory_mb <= max_memory_mb else []
        offered = sorted({*defaults, *own})
        self.fields["memory_sizes"].choices = [
            (m, f"{m:,} MB (this function's)" if m == function_memory_mb else f"{m:,} MB")
            for m in offered
        ]
        self.fields["memory_sizes"].error_messages["invalid_choice"] = (
            f"Choose memory sizes from the list: Lambda's 128 MB and up, to this site's maximum "
            f"of {max_memory_mb:,} MB."
        )
        self.fields["memory_sizes"].initial = defaults
        self.max_memory_mb = max_memory_mb
        if self.events:
            self.fields["event"].initial = next(iter(self.events))

    def event_body(self) -> object:
        """The chosen event as JSON (a saved event was validated when it was saved)."""
        chosen = self.events.get(self.cleaned_data.get("event") or "")
        return {} if chosen is None else parse_json(chosen.body, "The event")

    def messages_by_field(self) -> dict[str, str]:
        return {name: printable(errors[0]) for name, errors in self.errors.items()}
