"""Every teacher URL: anonymous -> log in; a student -> 403; another teacher -> 404; a
co-teacher -> allowed. Students' class pages need an account. No state changes on GET."""

import pytest
from django.test import Client

from quizzes.models import Classroom
from tests.teach.builders import enroll, new_class, take_quiz


@pytest.fixture
def setup(teacher, other_teacher, alice, charlie):
    """Tess teaches a class Alice is in; Otto teaches another class; Charlie is a student."""
    classroom = new_class(teacher)
    enroll(classroom, alice)
    take_quiz(alice, "docker", 5)
    new_class(other_teacher, name="Otto's class")
    return classroom


def get_urls(classroom, student_id):
    base = f"/teach/classes/{classroom.pk}"
    return [
        f"{base}/",
        f"{base}/analysis/",
        f"{base}/students/{student_id}/",
        f"{base}/matrix.csv",
        f"{base}/analysis.csv",
    ]


def post_urls(classroom):
    base = f"/teach/classes/{classroom.pk}"
    return {
        f"{base}/join-code/": {"action": "regenerate"},
        f"{base}/teachers/": {"username": "otto"},
    }


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_anonymous_is_sent_to_log_in(setup, alice):
    client = Client()
    for url in ["/teach/", *get_urls(setup, alice.pk)]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"] == f"/accounts/login/?next={url}"
    for url, data in post_urls(setup).items():
        response = client.post(url, data)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/accounts/login/")
    assert client.post("/teach/", {"name": "Sneaky"}).status_code == 302
    assert not Classroom.objects.filter(name="Sneaky").exists()


def test_a_signed_in_non_teacher_gets_403(setup, alice, charlie):
    code = setup.join_code
    for user in (alice, charlie):
        client = signed_in(user)
        for url in ["/teach/", *get_urls(setup, alice.pk)]:
            response = client.get(url)
            assert response.status_code == 403, (user, url)
        for url, data in post_urls(setup).items():
            assert client.post(url, data).status_code == 403, (user, url)
    html = signed_in(charlie).get("/teach/").content.decode()
    assert "You cannot see this page" in html
    assert "ask an administrator to add you to the Teachers group" in html
    setup.refresh_from_db()
    assert setup.join_code == code
    assert list(setup.teachers.values_list("username", flat=True)) == ["tess"]


def test_staff_and_superusers_are_not_teachers_unless_in_the_group(setup, alice, db):
    from django.contrib.auth.models import User

    admin = User.objects.create_superuser("root", "root@example.com", "x")
    assert signed_in(admin).get("/teach/").status_code == 403


def test_another_teachers_class_is_404(setup, alice, other_teacher):
    client = signed_in(other_teacher)
    assert client.get("/teach/").status_code == 200
    for url in get_urls(setup, alice.pk):
        assert client.get(url).status_code == 404, url
    for url, data in post_urls(setup).items():
        assert client.post(url, data).status_code == 404, url
    response = client.post(f"/teach/classes/{setup.pk}/join-code/", {"action": "disable"})
    assert response.status_code == 404
    setup.refresh_from_db()
    assert setup.join_enabled
    assert "otto" not in setup.teachers.values_list("username", flat=True)


def test_a_co_teacher_has_full_access(setup, alice, other_teacher):
    setup.teachers.add(other_teacher)
    client = signed_in(other_teacher)
    for url in get_urls(setup, alice.pk):
        assert client.get(url).status_code == 200, url
    response = client.post(f"/teach/classes/{setup.pk}/join-code/", {"action": "disable"})
    assert response.status_code == 302
    setup.refresh_from_db()
    assert not setup.join_enabled


def test_unknown_class_is_404(teacher):
    client = signed_in(teacher)
    assert client.get("/teach/classes/999999/").status_code == 404
    assert client.get("/teach/classes/999999/matrix.csv").status_code == 404


def test_wrong_methods(setup, alice, teacher):
    client = signed_in(teacher)
    for url in get_urls(setup, alice.pk):
        assert client.post(url).status_code == 405, url
    for url in post_urls(setup):
        assert client.get(url).status_code == 405, url
    assert client.put("/teach/").status_code == 405
    student = signed_in(alice)
    assert student.post("/classes/").status_code == 405
    assert student.get(f"/classes/{setup.pk}/leave/").status_code == 405
    assert student.put("/classes/join/").status_code == 405
    assert setup.enrollments.filter(student=alice).exists()


def test_students_pages_need_an_account(setup):
    client = Client()
    for url in ["/classes/", "/classes/join/", "/classes/join/?code=ABC"]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/?next=/classes/")
    response = client.post("/classes/join/", {"code": setup.join_code})
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")
    assert setup.enrollments.count() == 1
    assert client.post(f"/classes/{setup.pk}/leave/").status_code == 302
    assert setup.enrollments.count() == 1


def test_a_student_cannot_see_classmates_or_reports(setup, alice, bob):
    enroll(setup, bob)
    client = signed_in(bob)
    assert client.get(f"/teach/classes/{setup.pk}/students/{alice.pk}/").status_code == 403
    html = client.get("/classes/").content.decode()
    assert setup.name in html
    assert "alice" not in html


def test_csrf_is_required_on_posts(setup, teacher, alice):
    client = Client(enforce_csrf_checks=True)
    client.force_login(teacher)
    assert client.post("/teach/", {"name": "No token"}).status_code == 403
    response = client.post(f"/teach/classes/{setup.pk}/join-code/", {"action": "disable"})
    assert response.status_code == 403
    setup.refresh_from_db()
    assert setup.join_enabled
    student = Client(enforce_csrf_checks=True)
    student.force_login(alice)
    assert student.post(f"/classes/{setup.pk}/leave/").status_code == 403
    assert setup.enrollments.filter(student=alice).exists()
