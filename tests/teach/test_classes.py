"""Creating classes, join codes, co-teachers, students joining and leaving, make_teacher and
the "Teach" link."""

import re

import pytest
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from quizzes.models import (
    JOIN_CODE_ALPHABET,
    Classroom,
    Enrollment,
    make_join_code,
    normalize_join_code,
)
from tests.teach.builders import make_teacher, new_class

HTMX = {"HTTP_HX_REQUEST": "true"}
CODE_RE = re.compile(r"^[ABCDEFGHJKMNPQRSTUVWXYZ23456789]{8}$")


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]] if response.context else []


# --- Join codes --------------------------------------------------------------------------------


def test_join_codes_are_unambiguous():
    codes = {make_join_code() for _ in range(200)}
    assert len(codes) == 200
    assert all(CODE_RE.match(code) for code in codes)
    assert not set("01ILO") & set(JOIN_CODE_ALPHABET)


def test_codes_are_entered_loosely():
    assert normalize_join_code("  k7qh 3mzp ") == "K7QH3MZP"
    assert normalize_join_code("k7qh-3mzp") == "K7QH3MZP"


def test_a_code_collision_draws_again(teacher, monkeypatch):
    taken = new_class(teacher, name="First")
    draws = iter([taken.join_code, taken.join_code, "ZZZZ2222"])
    monkeypatch.setattr("quizzes.models.make_join_code", lambda: next(draws))
    second = new_class(teacher, name="Second")
    assert second.join_code == "ZZZZ2222"


# --- Creating a class --------------------------------------------------------------------------


def test_teach_home_lists_classes_and_the_create_form(client, teacher, other_teacher):
    new_class(teacher, name="Tess's class")
    new_class(other_teacher, name="Otto's class")
    client.force_login(teacher)
    response = client.get("/teach/")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Tess&#x27;s class" in html
    assert "Otto" not in html
    assert '<label for="id_name">Name</label>' in html
    assert ">Create class</button>" in html


def test_create_a_class_and_land_on_its_page(client, teacher):
    client.force_login(teacher)
    response = client.post("/teach/", {"name": "  Cloud, Tuesday  "})
    classroom = Classroom.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/teach/classes/{classroom.pk}/"
    assert classroom.name == "Cloud, Tuesday"
    assert list(classroom.teachers.all()) == [teacher]
    assert CODE_RE.match(classroom.join_code) and classroom.join_enabled
    page = client.get(response["Location"])
    html = page.content.decode()
    assert f"<code>{classroom.join_code}</code>" in html
    assert "Class “Cloud, Tuesday” created" in html
    assert f"/classes/join/?code={classroom.join_code}" in html


def test_a_class_name_with_nul_is_refused(client, teacher):
    client.force_login(teacher)
    response = client.post("/teach/", {"name": "Cloud\x00"})
    assert response.status_code == 400 and not Classroom.objects.exists()


def test_create_needs_a_name(client, teacher):
    client.force_login(teacher)
    response = client.post("/teach/", {"name": "   "})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'role="alert"' in html and "This field is required." in html
    assert (
        'aria-invalid="true"' in html
        and 'aria-describedby="id_name_helptext id_name_error"' in html
    )
    assert not Classroom.objects.exists()
    response = client.post("/teach/", {"name": "x" * 101})
    assert response.status_code == 400
    assert not Classroom.objects.exists()


def test_class_names_are_escaped(client, teacher):
    client.force_login(teacher)
    client.post("/teach/", {"name": "<script>alert(1)</script>"})
    html = client.get(Classroom.objects.get().get_absolute_url()).content.decode()
    assert "<script>alert(1)</script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_teach_home_htmx_gets_the_fragment(client, teacher):
    client.force_login(teacher)
    response = client.get("/teach/", **HTMX)
    assert [t.name for t in response.templates][0] == "teach/_home.html"
    assert "<html" not in response.content.decode()
    response = client.post("/teach/", {"name": "By htmx"}, **HTMX)
    assert response.status_code == 200
    assert response["HX-Redirect"] == Classroom.objects.get().get_absolute_url()


# --- Join code actions -------------------------------------------------------------------------


@pytest.fixture
def classroom(teacher):
    return new_class(teacher)


def test_regenerate_the_code(client, teacher, classroom):
    old = classroom.join_code
    client.force_login(teacher)
    response = client.post(f"/teach/classes/{classroom.pk}/join-code/", {"action": "regenerate"})
    assert response.status_code == 302
    assert response["Location"] == f"/teach/classes/{classroom.pk}/#join-code"
    classroom.refresh_from_db()
    assert classroom.join_code != old and CODE_RE.match(classroom.join_code)
    html = client.get(response["Location"]).content.decode()
    assert f"New join code: {classroom.join_code}. The old code no longer lets anyone in." in html


def test_disable_and_enable_the_code(client, teacher, classroom):
    client.force_login(teacher)
    url = f"/teach/classes/{classroom.pk}/join-code/"
    client.post(url, {"action": "disable"})
    classroom.refresh_from_db()
    assert not classroom.join_enabled
    html = client.get(classroom.get_absolute_url()).content.decode()
    assert "Off</span>" in html and ">Enable code</button>" in html
    client.post(url, {"action": "enable"})
    classroom.refresh_from_db()
    assert classroom.join_enabled


def test_join_code_action_htmx_returns_the_panel(client, teacher, classroom):
    client.force_login(teacher)
    url = f"/teach/classes/{classroom.pk}/join-code/"
    response = client.post(url, {"action": "disable"}, **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="join-code"')
    assert 'role="status"' in html and "Join code turned off" in html
    response = client.post(url, {"action": "explode"}, **HTMX)
    assert response.status_code == 200
    assert 'role="alert"' in response.content.decode()


def test_unknown_join_code_action_is_400(client, teacher, classroom):
    client.force_login(teacher)
    code = classroom.join_code
    response = client.post(f"/teach/classes/{classroom.pk}/join-code/", {"action": "explode"})
    assert response.status_code == 400
    assert client.post(f"/teach/classes/{classroom.pk}/join-code/").status_code == 400
    classroom.refresh_from_db()
    assert classroom.join_code == code and classroom.join_enabled


# --- Co-teachers -------------------------------------------------------------------------------


def test_add_a_co_teacher(client, teacher, other_teacher, classroom):
    client.force_login(teacher)
    response = client.post(f"/teach/classes/{classroom.pk}/teachers/", {"username": " otto "})
    assert response.status_code == 302
    assert response["Location"].endswith("#teachers")
    assert set(classroom.teachers.values_list("username", flat=True)) == {"tess", "otto"}
    assert "otto now teaches this class." in client.get(response["Location"]).content.decode()


@pytest.mark.parametrize(
    ("username", "error"),
    [
        ("nobody", "There is no user called “nobody”."),
        ("charlie", "charlie is not a teacher."),
        ("tess", "tess already teaches this class."),
        ("", "Enter the username of the teacher to add."),
    ],
)
def test_co_teacher_errors(client, teacher, charlie, classroom, username, error):
    client.force_login(teacher)
    url = f"/teach/classes/{classroom.pk}/teachers/"
    response = client.post(url, {"username": username})
    assert response.status_code == 400
    html = response.content.decode()
    assert error in html and 'role="alert"' in html
    assert list(classroom.teachers.values_list("username", flat=True)) == ["tess"]
    response = client.post(url, {"username": username}, **HTMX)
    assert response.status_code == 200
    fragment = response.content.decode()
    assert fragment.lstrip().startswith('<section id="teachers"') and error in fragment


def test_add_co_teacher_htmx(client, teacher, other_teacher, classroom):
    client.force_login(teacher)
    response = client.post(f"/teach/classes/{classroom.pk}/teachers/", {"username": "OTTO"}, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<li>otto" in html and "otto now teaches this class." in html


# --- Students join and leave -------------------------------------------------------------------


def test_join_page(client, alice, classroom):
    client.force_login(alice)
    html = client.get("/classes/join/").content.decode()
    assert '<label for="id_code">Code</label>' in html
    assert ">Join</button>" in html
    prefilled = client.get(f"/classes/join/?code={classroom.join_code}").content.decode()
    assert f'value="{classroom.join_code}"' in prefilled
    assert not Enrollment.objects.exists()  # a GET never joins


def test_join_with_the_code(client, alice, classroom):
    client.force_login(alice)
    response = client.post("/classes/join/", {"code": classroom.join_code.lower()}, follow=True)
    assert response.redirect_chain == [("/classes/", 302)]
    assert messages_of(response) == [f"You joined {classroom.name}."]
    assert classroom.enrollments.get().student == alice
    html = response.content.decode()
    assert classroom.name in html and ">Leave<" in html


def test_joining_twice_is_harmless(client, alice, classroom):
    client.force_login(alice)
    client.post("/classes/join/", {"code": classroom.join_code}, follow=True)
    spaced = " ".join([classroom.join_code[:4], classroom.join_code[4:]])
    response = client.post("/classes/join/", {"code": spaced}, follow=True)
    assert messages_of(response) == [f"You are already in {classroom.name}."]
    assert Enrollment.objects.filter(student=alice).count() == 1


@pytest.mark.parametrize(
    ("code", "error"),
    [
        ("ZZZZ2222", "No class has the code ZZZZ2222."),
        ("hello!", "That is not a class code"),
        ("O0O0O0O0", "That is not a class code"),
        ("", "Enter the class code your teacher gave you."),
    ],
)
def test_a_wrong_code_says_so(client, alice, classroom, code, error):
    client.force_login(alice)
    response = client.post("/classes/join/", {"code": code})
    assert response.status_code == 400
    html = response.content.decode()
    assert error in html and 'role="alert"' in html and 'aria-invalid="true"' in html
    assert not Enrollment.objects.exists()


def test_a_disabled_code_says_so(client, alice, classroom):
    classroom.join_enabled = False
    classroom.save()
    client.force_login(alice)
    response = client.post("/classes/join/", {"code": classroom.join_code})
    assert response.status_code == 400
    assert "This class is not accepting new students" in response.content.decode()
    assert not Enrollment.objects.exists()


def test_an_old_code_stops_working_after_regenerating(client, alice, classroom):
    old = classroom.join_code
    classroom.save_new_code()
    client.force_login(alice)
    response = client.post("/classes/join/", {"code": old})
    assert response.status_code == 400
    assert f"No class has the code {old}." in response.content.decode()


def test_join_htmx(client, alice, classroom):
    client.force_login(alice)
    response = client.post("/classes/join/", {"code": "ZZZZ2222"}, **HTMX)
    assert response.status_code == 200
    html = response.content.decode()
    assert html.lstrip().startswith('<form id="join-form"') and "No class has the code" in html
    response = client.post("/classes/join/", {"code": classroom.join_code}, **HTMX)
    assert response["HX-Redirect"] == "/classes/"
    assert classroom.enrollments.filter(student=alice).exists()
    response = client.get("/classes/join/", **HTMX)
    assert response.content.decode().lstrip().startswith('<form id="join-form"')


def test_leave_a_class(client, alice, bob, classroom):
    classroom.enroll(alice)
    classroom.enroll(bob)
    client.force_login(alice)
    response = client.post(f"/classes/{classroom.pk}/leave/", follow=True)
    assert messages_of(response) == [f"You left {classroom.name}."]
    assert list(classroom.enrollments.values_list("student__username", flat=True)) == ["bob"]
    assert "You are not in a class yet" in response.content.decode()


def test_an_archived_classs_roster_cannot_be_left(client, alice, classroom):
    classroom.enroll(alice)
    classroom.is_archived = True
    classroom.save(update_fields=["is_archived"])
    client.force_login(alice)
    response = client.post(f"/classes/{classroom.pk}/leave/")
    assert response.status_code == 400
    html = response.content.decode()
    assert f"{classroom.name} is archived, so it is read-only" in html
    assert list(classroom.enrollments.values_list("student__username", flat=True)) == ["alice"]
    # She still sees it, without a Leave button.
    page = client.get("/classes/").content.decode()
    assert classroom.name in page and "Archived by its teacher" in page
    assert f"/classes/{classroom.pk}/leave/" not in page


def test_leaving_a_class_you_are_not_in_is_404(client, alice, bob, classroom):
    classroom.enroll(bob)
    client.force_login(alice)
    assert client.post(f"/classes/{classroom.pk}/leave/").status_code == 404
    assert client.post("/classes/999999/leave/").status_code == 404
    assert classroom.enrollments.count() == 1


def test_my_classes_lists_only_mine(client, alice, bob, teacher):
    mine = new_class(teacher, name="Mine")
    theirs = new_class(teacher, name="Theirs")
    mine.enroll(alice)
    theirs.enroll(bob)
    client.force_login(alice)
    html = client.get("/classes/").content.decode()
    assert "Mine" in html and "Theirs" not in html
    assert mine.join_code not in html  # students do not see (and pass on) the code
    response = client.get("/classes/", **HTMX)
    assert response.content.decode().lstrip().startswith('<div id="classes"')


# --- make_teacher and the navigation link ------------------------------------------------------


def test_make_teacher_command(alice, capsys):
    call_command("make_teacher", "alice")
    assert alice.groups.filter(name="Teachers").exists()
    assert "alice is now a teacher" in capsys.readouterr().out
    call_command("make_teacher", "alice")
    assert "alice is already a teacher." in capsys.readouterr().out
    assert alice.groups.count() == 1
    call_command("make_teacher", "alice", "--remove")
    assert not alice.groups.exists()
    assert "alice is no longer a teacher." in capsys.readouterr().out
    call_command("make_teacher", "alice", "--remove")
    assert "alice was not a teacher." in capsys.readouterr().out


def test_make_teacher_unknown_user(db):
    with pytest.raises(CommandError, match="There is no user called 'ghost'"):
        call_command("make_teacher", "ghost")


def test_teach_link_only_for_teachers(client, alice, teacher):
    client.force_login(alice)
    assert ">Teach</a>" not in client.get("/").content.decode()
    client.force_login(teacher)
    html = client.get("/").content.decode()
    assert '<a href="/teach/">Teach</a>' in html
    html = client.get("/teach/").content.decode()
    assert '<a href="/teach/" aria-current="page">Teach</a>' in html
    client.logout()
    assert ">Teach</a>" not in client.get("/").content.decode()


def test_teach_link_costs_no_query(client, alice):
    client.force_login(alice)
    with CaptureQueriesContext(connection) as student:
        client.get("/")
    make_teacher(alice)
    client.force_login(alice)
    with CaptureQueriesContext(connection) as teacher:
        html = client.get("/").content.decode()
    assert ">Teach</a>" in html
    assert len(teacher) == len(student)
    # The group is asked about only inside the query that loads the user.
    group_queries = [q["sql"] for q in teacher if "auth_group" in q["sql"]]
    assert len(group_queries) == 1 and 'FROM "auth_user"' in group_queries[0]


def test_someone_made_a_teacher_sees_the_link_on_their_next_page(client, alice):
    client.force_login(alice)
    assert ">Teach</a>" not in client.get("/").content.decode()
    make_teacher(alice)  # by an administrator, while alice stays signed in
    assert ">Teach</a>" in client.get("/").content.decode()
    assert ">Teach</a>" in client.get("/lessons/docker/").content.decode()
    alice.groups.clear()
    assert ">Teach</a>" not in client.get("/").content.decode()


def test_sessions_from_before_the_teacher_aware_backend_still_work(client, teacher):
    client.force_login(teacher, backend="django.contrib.auth.backends.ModelBackend")
    html = client.get("/").content.decode()
    assert "Signed in as <strong>tess</strong>" in html
    assert ">Teach</a>" in html
    assert client.get("/teach/").status_code == 200


def test_a_wrong_password_is_still_refused(client, teacher):
    response = client.post("/accounts/login/", {"username": "tess", "password": "wrong"})
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_teach_link_follows_group_changes_at_the_next_teacher_page(client, teacher):
    client.force_login(teacher)
    teacher.groups.clear()
    assert client.get("/teach/").status_code == 403
    assert ">Teach</a>" not in client.get("/").content.decode()
    make_teacher(teacher)
    assert client.get("/teach/").status_code == 200
    assert ">Teach</a>" in client.get("/").content.decode()


def test_superuser_joining_a_class_is_left_out_of_reports(client, teacher, classroom):
    admin = User.objects.create_superuser("root", "root@example.com", "x")
    classroom.enroll(admin)
    client.force_login(teacher)
    html = client.get(classroom.get_absolute_url()).content.decode()
    assert "root" not in html
    assert "No students yet" in html


def test_signed_in_students_find_their_classes_from_the_navigation(client, alice):
    client.force_login(alice)
    html = client.get("/").content.decode()
    assert '<a href="/classes/">Classes</a>' in html
    assert "/classes/" not in Client().get("/").content.decode()


# --- Removing teachers and students ------------------------------------------------------------


def test_remove_a_co_teacher(client, teacher, other_teacher, classroom):
    classroom.teachers.add(other_teacher)
    client.force_login(teacher)
    page = client.get(f"/teach/classes/{classroom.pk}/").content.decode()
    assert f"/teach/classes/{classroom.pk}/teachers/{other_teacher.pk}/remove/" in page
    response = client.post(f"/teach/classes/{classroom.pk}/teachers/{other_teacher.pk}/remove/")
    assert response.status_code == 302 and response["Location"].endswith("#teachers")
    assert list(classroom.teachers.values_list("username", flat=True)) == ["tess"]
    assert "otto no longer teaches this class." in client.get(response["Location"]).content.decode()
    client.force_login(other_teacher)
    assert client.get(f"/teach/classes/{classroom.pk}/").status_code == 404


def test_remove_yourself_lands_on_your_classes(client, teacher, other_teacher, classroom):
    classroom.teachers.add(other_teacher)
    client.force_login(other_teacher)
    response = client.post(
        f"/teach/classes/{classroom.pk}/teachers/{other_teacher.pk}/remove/", follow=True
    )
    assert messages_of(response) == [f"You no longer teach {classroom.name}."]
    assert response.redirect_chain[-1][0] == "/teach/"
    assert list(classroom.teachers.values_list("username", flat=True)) == ["tess"]


def test_the_last_teacher_cannot_be_removed(client, teacher, classroom):
    client.force_login(teacher)
    assert (
        f"/teachers/{teacher.pk}/remove/"
        not in client.get(f"/teach/classes/{classroom.pk}/").content.decode()
    )  # no button to press
    response = client.post(f"/teach/classes/{classroom.pk}/teachers/{teacher.pk}/remove/")
    assert response.status_code == 400
    assert "A class needs at least one teacher" in response.content.decode()
    assert list(classroom.teachers.values_list("username", flat=True)) == ["tess"]


def test_removing_teachers_needs_the_class_and_the_teacher(
    client, teacher, other_teacher, alice, classroom
):
    theirs = new_class(other_teacher, name="Theirs")
    client.force_login(teacher)
    # Not my class: 404, and nothing changes.
    url = f"/teach/classes/{theirs.pk}/teachers/{other_teacher.pk}/remove/"
    assert client.post(url).status_code == 404
    # Not a teacher of my class: 404.
    assert (
        client.post(f"/teach/classes/{classroom.pk}/teachers/{alice.pk}/remove/").status_code == 404
    )
    # GET only asks; another class's GET is a 404 too.
    assert client.get(url).status_code == 404
    assert (
        client.get(f"/teach/classes/{classroom.pk}/teachers/{teacher.pk}/remove/").status_code
        == 400  # the last teacher: nothing to confirm
    )
    # A student cannot remove anyone.
    client.force_login(alice)
    assert client.post(url).status_code == 403
    assert list(theirs.teachers.values_list("username", flat=True)) == ["otto"]


def test_remove_a_student_keeps_their_records(client, teacher, alice, bob, classroom):
    from quizzes.models import Attempt

    classroom.enroll(alice)
    classroom.enroll(bob)
    client.force_login(teacher)
    student_page = client.get(f"/teach/classes/{classroom.pk}/students/{alice.pk}/")
    assert f"Remove alice from {classroom.name}" in student_page.content.decode()
    attempts_before = Attempt.objects.filter(user=alice).count()
    response = client.post(
        f"/teach/classes/{classroom.pk}/students/{alice.pk}/remove/", follow=True
    )
    assert messages_of(response)[0].startswith(f"alice was removed from {classroom.name}.")
    assert list(classroom.enrollments.values_list("student__username", flat=True)) == ["bob"]
    assert Attempt.objects.filter(user=alice).count() == attempts_before
    assert client.get(f"/teach/classes/{classroom.pk}/students/{alice.pk}/").status_code == 404
    # Removing again, or someone never in the class, is a 404 that changes nothing.
    assert (
        client.post(f"/teach/classes/{classroom.pk}/students/{alice.pk}/remove/").status_code == 404
    )
    assert classroom.enrollments.count() == 1


def test_only_the_class_teachers_remove_students(client, other_teacher, alice, bob, classroom):
    classroom.enroll(alice)
    url = f"/teach/classes/{classroom.pk}/students/{alice.pk}/remove/"
    client.force_login(other_teacher)
    assert client.post(url).status_code == 404
    client.force_login(bob)
    assert client.post(url).status_code == 403
    anonymous = Client().post(url)
    assert anonymous.status_code == 302 and anonymous["Location"].startswith("/accounts/login/")
    assert classroom.enrollments.count() == 1


def test_removing_a_student_asks_first_on_a_page_that_works_without_js(
    client, teacher, alice, classroom
):
    classroom.enroll(alice)
    client.force_login(teacher)
    url = f"/teach/classes/{classroom.pk}/students/{alice.pk}/remove/"
    student_page = client.get(f"/teach/classes/{classroom.pk}/students/{alice.pk}/")
    html = student_page.content.decode()
    assert f'href="{url}"' in html
    assert f'action="{url}"' not in html  # one click only asks
    confirm = client.get(url)
    assert confirm.status_code == 200
    html = confirm.content.decode()
    assert f"Remove alice from {classroom.name}?</h1>" in html
    assert f'<form method="post" action="{url}"' in html
    assert "csrfmiddlewaretoken" in html
    assert f"Remove alice from {classroom.name}</button>" in html
    assert f'href="/teach/classes/{classroom.pk}/students/{alice.pk}/">Cancel</a>' in html
    assert classroom.enrollments.filter(student=alice).exists()  # asking changed nothing


def test_removing_a_teacher_asks_first(client, teacher, other_teacher, classroom):
    classroom.teachers.add(other_teacher)
    client.force_login(teacher)
    url = f"/teach/classes/{classroom.pk}/teachers/{other_teacher.pk}/remove/"
    page = client.get(f"/teach/classes/{classroom.pk}/").content.decode()
    assert f'href="{url}"' in page and f'action="{url}"' not in page
    html = client.get(url).content.decode()
    assert f"Remove otto as a teacher of {classroom.name}?</h1>" in html
    assert "Remove otto as a teacher</button>" in html
    assert classroom.teachers.count() == 2
    mine = client.get(f"/teach/classes/{classroom.pk}/teachers/{teacher.pk}/remove/")
    assert "Remove yourself as a teacher" in mine.content.decode()


def test_removal_confirmations_are_only_for_the_class_teachers(
    client, teacher, other_teacher, alice, bob, classroom
):
    classroom.enroll(alice)
    url = f"/teach/classes/{classroom.pk}/students/{alice.pk}/remove/"
    client.force_login(other_teacher)
    assert client.get(url).status_code == 404
    client.force_login(bob)
    assert client.get(url).status_code == 403
    assert Client().get(url)["Location"].startswith("/accounts/login/")
    client.force_login(teacher)
    assert client.get(f"/teach/classes/{classroom.pk}/students/{bob.pk}/remove/").status_code == 404
