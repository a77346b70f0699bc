"""One form for an endpoint's settings (the owner's page and POST /api/functions/<id>/endpoint)
and one for a new API key. Values arrive as sent: JSON's booleans, numbers and lists, or the
page's text fields."""

from __future__ import annotations

from django import forms

from course.common.text import contains_nul
from course.functions.endpoints import routes
from course.functions.endpoints.models import MAX_KEYS, Endpoint
from course.runner.web.forms import printable, whole_number

# The usage plan's caps: a course site on a small server, not API Gateway's account quotas.
MAX_RATE = 100
MAX_BURST = 200
MAX_DAILY_QUOTA = 100_000
FIELDS = ("enabled", "api_key_required", "rate", "burst", "daily_quota", "routes")
TRUE = ("true", "on", "1", "yes")
FALSE = ("false", "off", "0", "no", "")
TOO_MANY_KEYS = f"An endpoint has at most {MAX_KEYS} active API keys: revoke one first."


class Raw(forms.Widget):
    """The value as sent (a JSON body's booleans, numbers and lists stay what they are)."""

    def value_from_datadict(self, data, files, name):
        return data.get(name)


def _boolean(value: object, label: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in TRUE:
        return True
    if isinstance(value, str) and value.strip().lower() in FALSE:
        return False
    raise forms.ValidationError(f"{label} is true or false.")


def _bounded(value: object, label: str, top: int, unit: str) -> int:
    number = whole_number(value)
    if number is None or not 1 <= number <= top:
        raise forms.ValidationError(f"{label} is a whole number from 1 to {top:,} {unit}.")
    return number


class EndpointForm(forms.Form):
    enabled = forms.Field(required=False, widget=Raw)
    api_key_required = forms.Field(required=False, widget=Raw)
    rate = forms.Field(required=False, widget=Raw)
    burst = forms.Field(required=False, widget=Raw)
    daily_quota = forms.Field(required=False, widget=Raw)
    routes = forms.Field(required=False, widget=Raw)

    def clean_enabled(self) -> bool:
        return _boolean(self.cleaned_data["enabled"], "Enabled")

    def clean_api_key_required(self) -> bool:
        return _boolean(self.cleaned_data["api_key_required"], "API key required")

    def clean_rate(self) -> int:
        return _bounded(self.cleaned_data["rate"], "The rate", MAX_RATE, "requests a second")

    def clean_burst(self) -> int:
        return _bounded(self.cleaned_data["burst"], "The burst", MAX_BURST, "requests")

    def clean_daily_quota(self) -> int:
        return _bounded(
            self.cleaned_data["daily_quota"], "The daily quota", MAX_DAILY_QUOTA, "requests"
        )

    def clean_routes(self) -> list[str]:
        value = self.cleaned_data["routes"]
        if isinstance(value, str):  # the page's text box: one route key a line
            if contains_nul(value):
                raise forms.ValidationError("Route keys cannot contain NUL characters.")
            value = [line for line in value.splitlines() if line.strip()]
        try:
            parsed = routes.parse_all(value)
        except routes.BadRoute as bad:
            raise forms.ValidationError(printable(str(bad))) from None
        return [route.key for route in parsed]

    def apply(self, endpoint: Endpoint) -> None:
        for name in FIELDS:
            setattr(endpoint, name, self.cleaned_data[name])

    def messages_by_field(self) -> dict[str, str]:
        return {name: printable(errors[0]) for name, errors in self.errors.items()}


class ApiKeyForm(forms.Form):
    name = forms.Field(required=False, widget=Raw)

    def __init__(self, data, *, endpoint: Endpoint):
        super().__init__(data)
        self.endpoint = endpoint

    def clean_name(self) -> str:
        name = self.cleaned_data["name"]
        if name is None or name == "":
            return f"key-{self.endpoint.keys.count() + 1}"
        if not isinstance(name, str) or not 1 <= len(name.strip()) <= 64:
            raise forms.ValidationError("Name the key with 1-64 characters.")
        name = name.strip()
        if not name.isprintable():
            raise forms.ValidationError("A key's name is printable text (no control characters).")
        return name

    def clean(self):
        cleaned = super().clean()
        if self.endpoint.keys.active().count() >= MAX_KEYS:
            raise forms.ValidationError(TOO_MANY_KEYS)
        return cleaned

    def messages_by_field(self) -> dict[str, str]:
        return {name: printable(errors[0]) for name, errors in self.errors.items()}
