"""The class forms: creating a class, joining one with its code, adding a co-teacher."""

from __future__ import annotations

import zoneinfo
from datetime import date, datetime

from django import forms
from django.utils import timezone

from course.lessons.models import Lesson
from quizzes.models import (
    JOIN_CODE_ALPHABET,
    JOIN_CODE_LENGTH,
    Assignment,
    Classroom,
    StudentNote,
    normalize_join_code,
)
from quizzes.teach import access, queries


class ClassroomForm(forms.ModelForm):
    class Meta:
        model = Classroom
        fields = ["name", "time_zone"]
        labels = {"name": "Name", "time_zone": "Time zone"}
        help_texts = {
            "name": "What you and your students call it, like “Cloud, Tuesday 2pm”.",
            "time_zone": "Due dates are set and shown in it: a name like Europe/London.",
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Optional on the form: left empty, a class keeps (or gets) UTC.
        self.fields["time_zone"].required = False

    def clean_time_zone(self) -> str:
        return self.cleaned_data["time_zone"].strip() or self.instance.time_zone or "UTC"

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        if not name:
            raise forms.ValidationError("Give the class a name.")
        return name


def aware(day, time, zone: zoneinfo.ZoneInfo) -> datetime:
    """A wall-clock date and time in the class's zone, as an aware datetime. A time that the
    clocks skip or repeat (daylight saving) takes its first meaning (fold=0)."""
    return datetime.combine(day, time).replace(tzinfo=zone)


# Due dates lie within this many years of today: a course runs for months, and the bound keeps
# the date and its time zone well inside what datetime can hold (9999-12-31 in Etc/GMT+12
# overflowed, a 500).
DUE_YEARS = 5


def _years_from(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


class DueForm(forms.Form):
    due_date = forms.DateField(
        label="Due date",
        widget=forms.DateInput(attrs={"type": "date"}),
        error_messages={"required": "Choose the day it is due.", "invalid": "Enter a date."},
    )
    due_time = forms.TimeField(
        label="Due time",
        initial="23:59",
        widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        error_messages={"required": "Choose the time it is due.", "invalid": "Enter a time."},
    )

    def __init__(self, *args, classroom: Classroom, **kwargs):
        super().__init__(*args, **kwargs)
        self.classroom = classroom
        self.fields["due_time"].help_text = f"In the class's time zone, {classroom.time_zone}."
        today = timezone.localdate()
        self.earliest, self.latest = _years_from(today, -DUE_YEARS), _years_from(today, DUE_YEARS)
        self.fields["due_date"].widget.attrs.update(
            min=self.earliest.isoformat(), max=self.latest.isoformat()
        )

    def clean_due_date(self) -> date:
        day = self.cleaned_data["due_date"]
        if not self.earliest <= day <= self.latest:
            raise forms.ValidationError(
                f"Choose a due date within {DUE_YEARS} years of today, between "
                f"{self.earliest:%-d %B %Y} and {self.latest:%-d %B %Y}."
            )
        return day

    def clean(self):
        cleaned = super().clean()
        if "due_date" in cleaned and "due_time" in cleaned:
            cleaned["due_at"] = aware(cleaned["due_date"], cleaned["due_time"], self.classroom.zone)
        return cleaned


class AssignmentForm(DueForm):
    lesson = forms.ModelChoiceField(
        queryset=Lesson.objects.none(),
        label="Lesson",
        help_text="Its reading, its quiz and its labs: complete means all three.",
        error_messages={
            "required": "Choose the lesson to assign.",
            "invalid_choice": "Choose one of the course's lessons.",
        },
    )
    field_order = ["lesson", "due_date", "due_time"]

    def __init__(self, *args, classroom: Classroom, **kwargs):
        super().__init__(*args, classroom=classroom, **kwargs)
        self.fields["lesson"].queryset = Lesson.objects.published().order_by("order", "slug")

    def clean_lesson(self):
        lesson = self.cleaned_data["lesson"]
        if Assignment.objects.filter(classroom=self.classroom, lesson=lesson).exists():
            raise forms.ValidationError(
                f"{lesson.title} is already assigned to this class: change its due date below."
            )
        return lesson


class ExtensionForm(DueForm):
    assignment = forms.TypedChoiceField(
        label="Assignment",
        coerce=int,
        error_messages={
            "required": "Choose the assignment.",
            "invalid_choice": "Choose one of the class's assignments.",
        },
    )
    student = forms.TypedChoiceField(
        label="Student",
        coerce=int,
        error_messages={
            "required": "Choose the student.",
            "invalid_choice": "Choose one of the class's students.",
        },
    )
    field_order = ["assignment", "student", "due_date", "due_time"]
    prefix = "extension"  # shares its page with AssignmentForm: distinct names and ids

    def __init__(self, *args, classroom: Classroom, students, assignments, **kwargs):
        super().__init__(*args, classroom=classroom, **kwargs)
        self.fields["assignment"].choices = [("", "Choose an assignment")] + [
            (assignment.pk, assignment.lesson.title) for assignment in assignments
        ]
        self.fields["student"].choices = [("", "Choose a student")] + [
            (student.id, student.display) for student in students
        ]


class NoteForm(forms.ModelForm):
    class Meta:
        model = StudentNote
        fields = ["text"]
        labels = {"text": "Private note"}
        help_texts = {
            "text": "Only this class's teachers see it; the student never does. Up to 5,000 "
            "characters."
        }
        widgets = {"text": forms.Textarea(attrs={"rows": 4})}


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
        if classroom.is_archived:
            raise forms.ValidationError(
                "This class has ended (its teacher archived it), so nobody can join it."
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
