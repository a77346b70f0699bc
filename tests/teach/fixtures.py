"""Teacher fixtures, as a pytest plugin that imports Django only when a fixture runs.

Registered once, for the whole run, by `pytest_plugins` in tests/conftest.py: the teach tests
use them, and so do the browser tests' teacher page types (tests/e2e/pages.py name
`class_teacher` as their user).
"""

import pytest

from tests.e2e.pages import TEACH_CLASS_PK, TEACH_CLASS_SIZE, TEACH_STUDENT_PK


@pytest.fixture
def teacher(db):
    """Tess, a teacher (member of Teachers)."""
    from django.contrib.auth.models import User

    from tests.teach.builders import PASSWORD, make_teacher

    return make_teacher(User.objects.create_user("tess", "tess@example.com", PASSWORD))


@pytest.fixture
def other_teacher(db):
    """Otto, a teacher of other classes."""
    from django.contrib.auth.models import User

    from tests.teach.builders import PASSWORD, make_teacher

    return make_teacher(User.objects.create_user("otto", "otto@example.com", PASSWORD))


@pytest.fixture
def class_teacher(teacher, other_teacher):
    """Tess with her class of 30 students, built with the fixed ids tests/e2e/pages.py uses,
    and Otto as co-teacher (so the page shows the buttons that remove a teacher)."""
    from tests.teach.builders import build_class

    classroom = build_class(
        teacher,
        TEACH_CLASS_SIZE,
        pk=TEACH_CLASS_PK,
        first_user_pk=TEACH_STUDENT_PK,
        seed=7,
        name="Cloud, Tuesday 2pm",
    )
    classroom.teachers.add(other_teacher)
    # An assignment already due, so the pages show missing work and its colours.
    from datetime import timedelta

    from django.utils import timezone

    from course.lessons.models import Lesson
    from quizzes.models import Assignment

    Assignment.objects.create(
        classroom=classroom,
        lesson=Lesson.objects.get(slug="docker"),
        due_at=timezone.now() - timedelta(days=1),
    )
    return teacher
