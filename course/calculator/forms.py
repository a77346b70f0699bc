"""The Lambda pricing inputs as one Django form, and what the calculator's form shows."""

from __future__ import annotations

from collections.abc import Mapping

from django import forms

from course import pricing

AUTO_ID = "calc-%s"
FIELDS = tuple(pricing.LAMBDA_DEFAULTS)
MAX_ECHO_CHARS = 60  # what we echo back into a field; the validator rejects anything this long


class LambdaPricingForm(forms.Form):
    """The calculator's typed inputs, rendered by the site's one field template (_field.html).

    One form for every place that takes these inputs: the calculator page and its htmx fragment
    (through state.calculate, which caches the result), the JSON API, and the pricing blocks of
    quiz files. clean() runs the pure model's pricing.validate_lambda_params, attaches its
    messages to the fields and keeps the LambdaInputs in ``inputs``. The inputs name both their
    help and their error list in aria-describedby even when there is no error yet, because
    htmx fills the error lists in out of band while the learner types, without re-rendering
    (and so without unfocusing) the input.
    """

    use_required_attribute = False  # a live form: errors are shown as people type

    requests = forms.CharField(
        label="Requests per month",
        required=False,
        help_text="e.g. 3000000, 3,000,000 or 3M",
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
    )
    duration_ms = forms.CharField(
        label="Average duration (ms)",
        required=False,
        help_text="Per invocation; billed rounded up to 1 ms",
        widget=forms.NumberInput(attrs={"min": "0", "max": "900000", "step": "any"}),
    )
    memory_mb = forms.CharField(
        label="Memory (MB)",
        required=False,
        help_text="128–10,240 MB; common: 128, 512, 1024, 1536, 2048",
        widget=forms.NumberInput(
            attrs={"min": "128", "max": "10240", "step": "1", "list": "calc-memory-presets"}
        ),
    )
    storage_mb = forms.CharField(
        label="Ephemeral storage /tmp (MB)",
        required=False,
        help_text="512 MB is included; more is billed",
        widget=forms.NumberInput(attrs={"min": "512", "max": "10240", "step": "1"}),
    )

    # Rendered by the template as radio buttons and a checkbox; fields here for their errors.
    arch = forms.CharField(required=False)
    free_tier = forms.CharField(required=False)

    def __init__(self, data: Mapping[str, str]):
        super().__init__(data=data, auto_id=AUTO_ID)
        self.inputs: pricing.LambdaInputs | None = None
        for name, form_field in self.fields.items():  # copies: safe to change per form
            form_field.widget.attrs["aria-describedby"] = (
                f"{self[name].auto_id}_helptext {self[name].auto_id}_error"
            )

    def clean(self):
        self.inputs, errors = pricing.validate_lambda_params(self.data)
        for name, message in errors.items():
            self.add_error(name, message)
        return self.cleaned_data

    def messages_by_field(self) -> dict[str, str]:
        return {name: errors[0] for name, errors in self.errors.items()}


def form_values(params: Mapping[str, str]) -> dict[str, str]:
    """What the form shows: the learner's input as typed, or the defaults on a first visit."""
    if not any(name in params for name in FIELDS):
        return dict(pricing.LAMBDA_DEFAULTS)
    values = {}
    for name in FIELDS:
        raw = params.get(name)
        if raw is None:
            raw = pricing.LAMBDA_DEFAULTS[name] if name in pricing.LAMBDA_OPTIONAL_PARAMS else ""
        values[name] = str(raw)[:MAX_ECHO_CHARS]
    return values
