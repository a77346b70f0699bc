"""The class forms: creating a class, joining one with its code, adding a co-teacher."""

from __future__ import annotations

from django import forms

from quizzes.models import (
    JOIN_CODE_ALPHABET,
    JOIN_CODE_LENGTH,
    Classroom,
    normalize_join_code,
)
from quizzes.teach import access, queries


class ClassroomForm(forms.ModelForm):
    class Meta:
        model = Classroom
        fields = ["name"]
        labels = {"name": "Name"}
        help_texts = {"name": "What you and your students call it, like “Cloud, Tuesday 2pm”."}


class JoinForm(forms.Form):
    code = forms.CharField(
        label="Code",
        max_length=40,
        help_text="The class code your teacher gave you: 8 letters and digits.",
        error_messages={"required": "Enter the class code your teacher gave you."},
        widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}),
    )

    def clean_code(self) -> str:
        code = normalize_join_code(self.cleaned_data["code"])
        if not (6 <= len(code) <= 10) or any(ch not in JOIN_CODE_ALPHABET for ch in code):
            raise forms.ValidationError(
                f"That is not a class code: codes are {JOIN_CODE_LENGTH} capital letters and "
                "digits, like K7QH3MZP. Check it with your teacher."
            )
        classroom = Classroom.objects.filter(join_code=code).first()
        if classroom is None:
            raise forms.ValidationError(
                f"No class has the code {code}. Check it with your teacher: "
                "they may have made a new one."
            )
        if not classroom.join_enabled:
            raise forms.ValidationError(
                "This class is not accepting new students: its code is turned off. "
                "Ask your teacher to turn it back on."
            )
        self.classroom = classroom
        return code


class CoTeacherForm(forms.Form):
    username = forms.CharField(
        label="Username",
        max_length=150,
        help_text="Their username on this site. They must already be a teacher.",
        error_messages={"required": "Enter the username of the teacher to add."},
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )

    def __init__(self, *args, classroom: Classroom, **kwargs):
        super().__init__(*args, **kwargs)
        self.classroom = classroom

    def clean_username(self) -> str:
        username = self.cleaned_data["username"].strip()
        user = queries.find_user(username)
        if user is None:
            raise forms.ValidationError(f"There is no user called “{username}”.")
        if not access.is_teacher(user):
            raise forms.ValidationError(
                f"{user.get_username()} is not a teacher. An administrator can add them to the "
                "Teachers group first."
            )
        if self.classroom.teachers.filter(pk=user.pk).exists():
            raise forms.ValidationError(f"{user.get_username()} already teaches this class.")
        self.user = user
        return user.get_username()
