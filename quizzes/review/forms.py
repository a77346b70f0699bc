from django import forms

from quizzes import grading
from quizzes.models import Question


class ReviewAnswerForm(forms.Form):
    """One review answer: the item's version (the double-submit gate) and the learner's answer,
    whose field depends on the question's type."""

    version = forms.IntegerField(min_value=0, widget=forms.HiddenInput)

    def __init__(self, question: Question, choices, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.question = question
        if question.is_numeric:
            self.fields["number"] = forms.CharField(
                label="Your answer" + (f", in {question.unit}" if question.unit else ""),
                max_length=grading.NUMBER_MAX_CHARS,
                error_messages={"required": "Type a number to answer."},
            )
        else:
            options = [(str(c.pk), c.text_html) for c in choices]
            field_class = forms.MultipleChoiceField if question.is_multiple else forms.ChoiceField
            self.fields["choice"] = field_class(
                choices=options,
                error_messages={
                    "required": "Pick an answer.",
                    "invalid_choice": "That is not one of this question's answers.",
                },
            )

    def clean_number(self):
        try:
            return grading.parse_number(self.cleaned_data["number"])
        except grading.NumberError as error:
            raise forms.ValidationError(str(error)) from None

    def response(self) -> tuple[set[int], object]:
        data = self.cleaned_data
        if self.question.is_numeric:
            return set(), data["number"]
        picked = data["choice"]
        picked = picked if isinstance(picked, list) else [picked]
        return {int(value) for value in picked}, None
