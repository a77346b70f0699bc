from django import forms

from course.labs.models import Lab
from course.lessons.models import Lesson
from quizzes.models import Quiz


def target_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """What a teacher may place in their LMS course, grouped: lessons, quizzes, labs."""
    lessons = [
        (f"lesson:{slug}", title)
        for slug, title in Lesson.objects.filter(is_published=True).values_list("slug", "title")
    ]
    quizzes = [
        (f"quiz:{slug}", f"{title} quiz")
        for slug, title in Quiz.objects.active().values_list("lesson__slug", "lesson__title")
    ]
    labs = [
        (f"lab:{key}", title) for key, title in Lab.objects.active().values_list("key", "title")
    ]
    return [("Lessons", lessons), ("Quizzes (graded)", quizzes), ("Labs (graded)", labs)]


class DeepLinkForm(forms.Form):
    launch_id = forms.CharField(max_length=100, widget=forms.HiddenInput)
    target = forms.ChoiceField(label="Place in your course")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["target"].choices = target_choices()
