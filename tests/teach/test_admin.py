"""Classes and enrolments in the admin: lists, search, filters, and adding a class."""

import pytest
from django.contrib.auth.models import User

from quizzes.models import Classroom
from tests.teach.builders import enroll, new_class


@pytest.fixture
def admin_client(client, db):
    admin = User.objects.create_superuser("root", "root@example.com", "correct horse battery")
    client.force_login(admin)
    return client


@pytest.fixture
def classroom(teacher, alice, bob):
    classroom = new_class(teacher, name="Cloud, Tuesday")
    enroll(classroom, alice, bob)
    return classroom


@pytest.mark.parametrize(
    "url",
    [
        "/admin/quizzes/classroom/",
        "/admin/quizzes/classroom/?q=tess",
        "/admin/quizzes/classroom/?join_enabled__exact=1&q=alice",
        "/admin/quizzes/enrollment/",
        "/admin/quizzes/enrollment/?q=alice",
        "/admin/quizzes/classroom/?is_archived__exact=0",
    ],
)
def test_changelists_load(admin_client, classroom, url):
    response = admin_client.get(url)
    assert response.status_code == 200
    assert "Cloud, Tuesday" in response.content.decode()


def test_class_list_columns(admin_client, classroom):
    html = admin_client.get("/admin/quizzes/classroom/").content.decode()
    assert classroom.join_code in html
    assert '<td class="field-teacher_names">tess</td>' in html
    assert '<td class="field-student_count">2</td>' in html


def test_change_page_and_add_a_class(admin_client, classroom, teacher):
    assert admin_client.get(f"/admin/quizzes/classroom/{classroom.pk}/change/").status_code == 200
    response = admin_client.get("/admin/quizzes/classroom/add/")
    assert response.status_code == 200
    code = response.context["adminform"].form["join_code"].value()
    assert len(code) == 8 and code in response.content.decode()
    response = admin_client.post(
        "/admin/quizzes/classroom/add/",
        {
            "name": "From the admin",
            "join_code": code,
            "join_enabled": "on",
            "time_zone": "UTC",
            "teachers": [teacher.pk],
            "enrollments-TOTAL_FORMS": "0",
            "enrollments-INITIAL_FORMS": "0",
        },
    )
    assert response.status_code == 302
    added = Classroom.objects.get(name="From the admin")
    assert added.join_code == code and list(added.teachers.all()) == [teacher]


def test_assignments_and_profiles_in_the_admin(admin_client, classroom, alice):
    from datetime import timedelta

    from django.utils import timezone

    from course.lessons.models import Lesson
    from quizzes.models import Assignment, Extension

    assignment = Assignment.objects.create(
        classroom=classroom, lesson=Lesson.objects.get(slug="docker"), due_at=timezone.now()
    )
    Extension.objects.create(
        assignment=assignment, student=alice, due_at=timezone.now() + timedelta(days=1)
    )
    assert "Cloud, Tuesday" in admin_client.get("/admin/quizzes/assignment/").content.decode()
    assert "alice" in admin_client.get("/admin/quizzes/extension/").content.decode()
    html = admin_client.get("/admin/accounts/profile/?q=alice").content.decode()
    assert "alice" in html
    token = alice.profile.calendar_token
    change = admin_client.get(f"/admin/accounts/profile/{alice.profile.pk}/change/")
    assert token not in change.content.decode()
