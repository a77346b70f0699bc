"""Running real classes: profiles, class settings and archive, notes, assignments with
extensions, late/missing work, attention, labs in reports, gradebooks and the calendar feed."""

import csv
import io
import re
from datetime import timedelta

import icalendar
import pytest
from django.utils import timezone

from course.accounts.models import Profile
from course.lessons.models import Lesson
from quizzes.models import Assignment, Classroom, Extension, Question, QuestionType, StudentNote
from tests.teach.builders import enroll, new_class, read, submit_lab, take_quiz

HTMX = {"HTTP_HX_REQUEST": "true"}


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def read_csv(response) -> list[list[str]]:
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


@pytest.fixture
def klass(teacher, alice, bob):
    classroom = new_class(teacher, name="Cloud, Tuesday")
    enroll(classroom, alice, bob)
    return classroom


def assign(classroom, slug, due):
    return Assignment.objects.create(
        classroom=classroom, lesson=Lesson.objects.get(slug=slug), due_at=due
    )


def complete(user, slug, lab="docker-dockerfile"):
    read(user, slug)
    take_quiz(user, slug, 100)
    submit_lab(user, lab)


# --- Profiles ----------------------------------------------------------------------------------


def test_signup_takes_display_name_and_student_id(client, db):
    response = client.post(
        "/accounts/signup/",
        {
            "username": "dana",
            "password1": "a long enough pass phrase",
            "password2": "a long enough pass phrase",
            "display_name": "  Dana   Scully ",
            "student_id": "S-42",
        },
    )
    assert response.status_code == 302
    profile = Profile.objects.get(user__username="dana")
    assert (profile.display_name, profile.student_id) == ("Dana Scully", "S-42")
    assert len(profile.calendar_token) >= 40


def test_signup_fields_are_optional(client, db):
    form = {"username": "eve", "password1": "a long pass phrase", "password2": "a long pass phrase"}
    assert client.post("/accounts/signup/", form).status_code == 302
    assert Profile.objects.get(user__username="eve").display_name == ""


def test_account_page(client, alice):
    assert client.get("/accounts/profile/").status_code == 302  # anonymous: log in first
    client.force_login(alice)
    html = client.get("/accounts/profile/").content.decode()
    token = Profile.objects.get(user=alice).calendar_token
    assert f"/classes/calendar/{token}.ics" in html
    assert client.put("/accounts/profile/").status_code == 405
    response = client.post("/accounts/profile/", {"display_name": "Alice L", "student_id": "7"})
    assert response.status_code == 302 and response["Location"] == "/accounts/profile/"
    assert Profile.objects.get(user=alice).display_name == "Alice L"
    response = client.post("/accounts/profile/", {"display_name": "x" * 101, "student_id": ""})
    assert response.status_code == 400
    assert "at most 100 characters" in response.content.decode()
    assert Profile.objects.get(user=alice).display_name == "Alice L"
    for field in ("display_name", "student_id"):  # PostgreSQL refuses NUL in text
        form = {"display_name": "Alice L", "student_id": "7", field: "a\x00b"}
        assert client.post("/accounts/profile/", form).status_code == 400
    assert Profile.objects.get(user=alice).display_name == "Alice L"
    form = {
        "username": "nul\x00",
        "password1": "a long pass phrase",
        "password2": "a long pass phrase",
    }
    client.logout()
    response = client.post("/accounts/signup/", {**form, "display_name": "x"})
    assert "Null characters are not allowed." in response.content.decode()
    form = {**form, "username": "eve", "display_name": "e\x00"}
    response = client.post("/accounts/signup/", form)
    assert "Null characters are not allowed." in response.content.decode()
    assert not Profile.objects.filter(user__username="eve").exists()
    assert not Profile.objects.filter(user__username__startswith="nul").exists()


def test_teachers_see_display_names_and_ids(client, teacher, klass, alice):
    Profile.objects.filter(user=alice).update(display_name="<i>Ally</i>", student_id="S-001")
    client.force_login(teacher)
    html = client.get(klass.get_absolute_url()).content.decode()
    assert "&lt;i&gt;Ally&lt;/i&gt;" in html and "<i>Ally</i>" not in html
    assert "ID S-001" in html
    header, *rows = read_csv(client.get(f"/teach/classes/{klass.pk}/matrix.csv"))
    alice_row = next(row for row in rows if row[0] == "alice")
    assert alice_row[2:5] == ["<i>Ally</i>", "S-001", "alice@example.com"]


# --- Class settings and archive ----------------------------------------------------------------


def test_rename_and_time_zone(client, teacher, klass, other_teacher):
    url = f"/teach/classes/{klass.pk}/settings/"
    client.force_login(other_teacher)
    assert client.get(url).status_code == 404
    assert client.post(url, {"name": "Mine", "time_zone": "UTC"}).status_code == 404
    client.force_login(teacher)
    assert client.get(url).status_code == 200
    response = client.post(url, {"name": "Cloud, Thursday", "time_zone": "Europe/London"})
    assert response.status_code == 302
    klass.refresh_from_db()
    assert (klass.name, klass.time_zone) == ("Cloud, Thursday", "Europe/London")
    response = client.post(url, {"name": "  ", "time_zone": "Mars/Olympus"})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Mars/Olympus is not a time zone we know" in html
    klass.refresh_from_db()
    assert klass.name == "Cloud, Thursday"


def test_archived_class_is_read_only_hidden_and_closed(client, teacher, klass, charlie):
    client.force_login(teacher)
    response = client.post(f"/teach/classes/{klass.pk}/archive/", {"action": "archive"})
    assert response.status_code == 302
    klass.refresh_from_db()
    assert klass.is_archived
    link = f'<a href="/teach/classes/{klass.pk}/">Cloud, Tuesday</a>'
    assert link not in client.get("/teach/").content.decode()
    assert link in client.get("/teach/?archived=1").content.decode()
    assert client.get(klass.get_absolute_url()).status_code == 200  # reports stay readable
    # No changes.
    for url, data in [
        (f"/teach/classes/{klass.pk}/settings/", {"name": "New", "time_zone": "UTC"}),
        (f"/teach/classes/{klass.pk}/join-code/", {"action": "regenerate"}),
        (
            f"/teach/classes/{klass.pk}/assignments/",
            {"lesson": Lesson.objects.first().pk, "due_date": "2030-01-01", "due_time": "10:00"},
        ),
    ]:
        response = client.post(url, data)
        assert response.status_code == 400, url
        assert "archived" in response.content.decode()
    klass.refresh_from_db()
    assert klass.name == "Cloud, Tuesday" and not klass.assignments.exists()
    # No joining.
    client.force_login(charlie)
    response = client.post("/classes/join/", {"code": klass.join_code})
    assert response.status_code == 400
    assert "archived it" in response.content.decode()
    assert not klass.enrollments.filter(student=charlie).exists()
    # Unarchive.
    client.force_login(teacher)
    client.post(f"/teach/classes/{klass.pk}/archive/", {"action": "unarchive"})
    klass.refresh_from_db()
    assert not klass.is_archived
    assert client.post(f"/teach/classes/{klass.pk}/archive/", {"action": "x"}).status_code == 400
    assert client.get(f"/teach/classes/{klass.pk}/archive/").status_code == 405


def test_create_class_with_a_time_zone(client, teacher):
    client.force_login(teacher)
    client.post("/teach/", {"name": "Night class", "time_zone": "Asia/Tokyo"})
    assert Classroom.objects.get(name="Night class").time_zone == "Asia/Tokyo"
    response = client.post("/teach/", {"name": "Bad", "time_zone": "Nowhere"})
    assert response.status_code == 400
    assert not Classroom.objects.filter(name="Bad").exists()


# --- Notes -------------------------------------------------------------------------------------


def test_private_notes(client, teacher, other_teacher, klass, alice):
    url = f"/teach/classes/{klass.pk}/students/{alice.pk}/note/"
    page = f"/teach/classes/{klass.pk}/students/{alice.pk}/"
    assert client.post(url, {"text": "x"}).status_code == 302  # anonymous: to log in
    client.force_login(alice)
    assert client.post(url, {"text": "x"}).status_code == 403  # students never
    client.force_login(other_teacher)
    assert client.post(url, {"text": "x"}).status_code == 404  # not their class
    client.force_login(teacher)
    assert client.get(url).status_code == 405
    response = client.post(url, {"text": "Struggles with <b>IAM</b>; talk on Tuesday"})
    assert response.status_code == 302 and response["Location"] == page + "#note"
    assert StudentNote.objects.get().updated_by == teacher
    # A co-teacher sees it, escaped.
    klass.teachers.add(other_teacher)
    client.force_login(other_teacher)
    html = client.get(page).content.decode()
    assert "Struggles with &lt;b&gt;IAM&lt;/b&gt;" in html
    response = client.post(url, {"text": "y" * 5001})
    assert response.status_code == 400
    response = client.post(url, {"text": "a\x00b"})  # PostgreSQL refuses NUL in text
    assert response.status_code == 400
    assert StudentNote.objects.get().text.startswith("Struggles")
    assert StudentNote.objects.get().text.startswith("Struggles")
    # The student's own pages never show it.
    client.force_login(alice)
    for own in ("/progress/", "/classes/", "/"):
        assert "Struggles" not in client.get(own).content.decode()


# --- Assignments -------------------------------------------------------------------------------


def test_assign_a_lesson_in_the_class_time_zone(client, teacher, other_teacher, klass):
    klass.time_zone = "America/New_York"
    klass.save()
    url = f"/teach/classes/{klass.pk}/assignments/"
    docker = Lesson.objects.get(slug="docker")
    form = {"lesson": docker.pk, "due_date": "2030-07-01", "due_time": "17:00"}
    client.force_login(other_teacher)
    assert client.get(url).status_code == 404
    assert client.post(url, form).status_code == 404
    client.force_login(teacher)
    assert client.get(url).status_code == 200
    response = client.post(url, form)
    assert response.status_code == 302
    assignment = Assignment.objects.get()
    assert assignment.due_at.isoformat() == "2030-07-01T21:00:00+00:00"  # 17:00 EDT
    html = client.get(url).content.decode()
    assert "Mon 1 Jul 2030, 17:00" in html
    response = client.post(url, form)  # assigned twice
    assert response.status_code == 400
    assert "already assigned" in response.content.decode()
    response = client.post(url, {"lesson": "999999", "due_date": "soon", "due_time": ""})
    assert response.status_code == 400
    html = response.content.decode()
    assert "Choose one of the course" in html and "Enter a date." in html
    assert Assignment.objects.count() == 1
    # Unassign: POST only, another teacher's is a 404.
    delete = f"/teach/classes/{klass.pk}/assignments/{assignment.pk}/delete/"
    assert client.get(delete).status_code == 405
    client.force_login(other_teacher)
    assert client.post(delete).status_code == 404
    client.force_login(teacher)
    assert client.post(delete).status_code == 302
    assert not Assignment.objects.exists()


@pytest.mark.parametrize(
    ("zone", "day"),
    [("Etc/GMT+12", "9999-12-31"), ("Etc/GMT-14", "0001-01-01"), ("UTC", "2999-01-01")],
)
def test_a_due_date_years_away_is_refused_with_a_message(client, teacher, klass, alice, zone, day):
    klass.time_zone = zone
    klass.save()
    client.force_login(teacher)
    docker = Lesson.objects.get(slug="docker")
    url = f"/teach/classes/{klass.pk}/assignments/"
    response = client.post(url, {"lesson": docker.pk, "due_date": day, "due_time": "23:59"})
    assert response.status_code == 400
    assert "Choose a due date within 5 years of today" in response.content.decode()
    assert not Assignment.objects.exists()
    assignment = assign(klass, "docker", timezone.now())
    extensions = f"/teach/classes/{klass.pk}/extensions/"
    form = {"extension-assignment": assignment.pk, "extension-student": alice.pk}
    response = client.post(
        extensions, {**form, "extension-due_date": day, "extension-due_time": "23:59"}
    )
    assert response.status_code == 400
    assert "Choose a due date within 5 years of today" in response.content.decode()
    assert not Extension.objects.exists()


def test_extension_moves_one_students_due_date(client, teacher, other_teacher, klass, alice, bob):
    past = timezone.now() - timedelta(days=1)
    assignment = assign(klass, "docker", past)
    url = f"/teach/classes/{klass.pk}/extensions/"
    future = timezone.now() + timedelta(days=3)
    form = {
        "extension-assignment": assignment.pk,
        "extension-student": alice.pk,
        "extension-due_date": future.date().isoformat(),
        "extension-due_time": "12:00",
    }
    client.force_login(other_teacher)
    assert client.post(url, form).status_code == 404
    client.force_login(teacher)
    assert client.post(url, form).status_code == 302
    assert Extension.objects.get().student == alice
    response = client.post(url, {**form, "extension-student": 999999})
    assert response.status_code == 400
    assert "Choose one of the class" in response.content.decode()
    assert Extension.objects.count() == 1
    html = client.get(klass.get_absolute_url()).content.decode()
    rows = {
        name: text(row)
        for name, row in re.findall(r'<th scope="row"><a [^>]*>(\w+)</a>(.*?)</tr>', html, re.S)
    }
    assert "✗ Missing" in rows["bob"] and "✗ Missing" not in rows["alice"]
    assert "Not due yet" in rows["alice"]


def test_late_and_missing_work_and_needs_attention(client, teacher, klass, alice, bob):
    due = timezone.now() - timedelta(days=1)
    assign(klass, "docker", due)
    complete(alice, "docker")  # done now: after the due moment, so late
    client.force_login(teacher)
    html = client.get(klass.get_absolute_url() + "?sort=-attention").content.decode()
    assert html.index(">bob</a>") < html.index(">alice</a>")  # needs attention first
    assert "⚠ Late" in html and "✗ Missing" in html
    assert "⚑ Needs attention" in html and "Behind: 1 assignment missing" in html
    start = html.index('class="standing-summary"')
    summary = text(html[html.index(">", start) + 1 : html.index("</ul>", start)])
    assert summary == "1 on track 1 behind 0 inactive"


def test_inactive_students_are_flagged(client, teacher, klass, alice, settings):
    settings.ATTENTION_INACTIVE_DAYS = 3
    read(alice, "docker")
    from course.lessons.models import LessonRead

    LessonRead.objects.filter(user=alice).update(last_read_at=timezone.now() - timedelta(days=5))
    klass.enrollments.update(joined_at=timezone.now() - timedelta(days=10))
    client.force_login(teacher)
    html = client.get(klass.get_absolute_url()).content.decode()
    assert "Inactive for 5 days" in html and "No activity for 10 days" in html
    assert re.search(r">5\xa0days(, \d+\xa0\w+)? ago<", html)  # the last active column


def test_students_see_their_due_dates_in_order(client, klass, alice, charlie):
    now = timezone.now()
    assign(klass, "ecs", now + timedelta(days=2, hours=1))
    assign(klass, "docker", now - timedelta(days=1, hours=1))
    client.force_login(alice)
    for url in ("/", "/progress/"):
        html = client.get(url).content.decode()
        section = text(html[html.index('class="due-list"') :][:2000])
        assert section.index("Docker") < section.index("Amazon ECS"), url
        assert "overdue by 1 day" in section and "due in 2 days" in section
    client.force_login(charlie)  # not in the class
    assert "due in 2 days" not in client.get("/progress/").content.decode()


def test_progress_links_the_calendar_feed(client, alice):
    client.force_login(alice)
    html = client.get("/progress/").content.decode()
    hrefs = re.findall(r'href="([^"]+\.ics)"', html)
    assert hrefs == [f"/classes/calendar/{Profile.objects.get(user=alice).calendar_token}.ics"]


def test_calendar_feed(client, klass, alice, bob):
    klass.time_zone = "Europe/Paris"
    klass.save()
    assign(klass, "docker", timezone.now() + timedelta(days=2))
    token = Profile.objects.get(user=alice).calendar_token
    response = client.get(f"/classes/calendar/{token}.ics")  # no log-in: the token is the key
    assert response.status_code == 200
    assert response["Content-Type"] == "text/calendar; charset=utf-8"
    body = response.content.decode()
    assert "\r\n" in body
    (event,) = icalendar.Calendar.from_ical(body).walk("VEVENT")
    assert str(event["SUMMARY"]) == "Due: Docker (Cloud, Tuesday)"
    assert event["DTSTART"].to_ical().endswith(b"Z")
    assert client.get("/classes/calendar/not-a-token.ics").status_code == 404
    assert client.post(f"/classes/calendar/{token}.ics").status_code == 405
    # Reset: the old address stops working.
    client.force_login(alice)
    assert client.get("/accounts/profile/calendar/reset/").status_code == 405
    assert client.post("/accounts/profile/calendar/reset/").status_code == 302
    assert client.get(f"/classes/calendar/{token}.ics").status_code == 404
    new = Profile.objects.get(user=alice).calendar_token
    assert new != token and client.get(f"/classes/calendar/{new}.ics").status_code == 200


# --- Labs and numeric answers in the reports ---------------------------------------------------


def test_drill_down_shows_lab_submissions_with_outcomes(client, teacher, klass, alice):
    outcomes = [
        {
            "name": "uses a slim base",
            "visible": True,
            "passed": False,
            "message": "<b>FROM</b>",
            "error_type": None,
        },
        {
            "name": "hidden check",
            "visible": False,
            "passed": True,
            "message": "",
            "error_type": None,
        },
    ]
    submit_lab(alice, "docker-dockerfile", passed=False, outcomes=outcomes)
    client.force_login(teacher)
    html = client.get(f"/teach/classes/{klass.pk}/students/{alice.pk}/").content.decode()
    assert "A production-ready Dockerfile: ✗ Not passed, 1 / 2 tests" in text(html)
    assert "✗ Failed uses a slim base" in text(html) and "&lt;b&gt;FROM&lt;/b&gt;" in html
    assert "(hidden test)" in html


def test_analysis_shows_wrong_numbers_and_lab_failures(client, teacher, klass, alice, bob):
    question = Question.objects.filter(
        type=QuestionType.NUMERIC, quiz__is_active=True, is_retired=False
    ).first()
    slug = question.quiz.lesson.slug
    pattern = [q.pk != question.pk for q in question.quiz.questions.asked()]
    take_quiz(alice, slug, pattern)
    take_quiz(bob, slug, pattern)
    error = {"name": "returns 200", "visible": True, "passed": False, "error_type": "TypeError"}
    submit_lab(alice, "lambda-first-handler", passed=False, outcomes=[error])
    client.force_login(teacher)
    html = client.get(f"/teach/classes/{klass.pk}/analysis/").content.decode()
    from quizzes import grading

    wrong = grading.format_answer(question.answer_number + 1000, question.tolerance)
    assert f'<code>{wrong}</code> <span class="picked">2 students</span>' in html
    assert "Lab analysis" in html
    assert "<code>TypeError</code> (1)" in html
    header, *rows = read_csv(client.get(f"/teach/classes/{klass.pk}/labs.csv"))
    assert header[:3] == ["Lesson", "Lab", "Students tried"]
    failing = next(row for row in rows if row[5] == "returns 200")
    assert failing[7:] == ["1", "100", "TypeError (1)"]


# --- Gradebooks --------------------------------------------------------------------------------


def test_gradebook_downloads(client, teacher, other_teacher, klass, alice):
    assign(klass, "docker", timezone.now())
    complete(alice, "docker")
    Profile.objects.filter(user=alice).update(student_id="S-9")
    client.force_login(other_teacher)
    assert client.get(f"/teach/classes/{klass.pk}/gradebook-moodle.csv").status_code == 404
    client.force_login(teacher)
    assert client.get(f"/teach/classes/{klass.pk}/gradebook-blackboard.csv").status_code == 404
    response = client.get(f"/teach/classes/{klass.pk}/gradebook-moodle.csv")
    assert (
        response["Content-Disposition"] == 'attachment; filename="cloud-tuesday-moodle-grades.csv"'
    )
    header, *rows = read_csv(response)
    assert header == ["First name", "Last name", "ID number", "Email address", "Username", "Docker"]
    assert rows[0] == ["", "", "S-9", "alice@example.com", "alice", "100"]
    header, points, *rows = read_csv(client.get(f"/teach/classes/{klass.pk}/gradebook-canvas.csv"))
    assert header == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "Docker"]
    assert points == ["    Points Possible", "", "", "", "", "100"]
    assert rows[0] == ["alice", "", "S-9", "alice", "Cloud, Tuesday", "100"]


# --- Who may open what ---------------------------------------------------------------------------


def teacher_urls(classroom, student):
    base = f"/teach/classes/{classroom.pk}"
    return [
        ("get", f"{base}/settings/"),
        ("post", f"{base}/settings/"),
        ("post", f"{base}/archive/"),
        ("get", f"{base}/assignments/"),
        ("post", f"{base}/assignments/"),
        ("post", f"{base}/extensions/"),
        ("post", f"{base}/students/{student.pk}/note/"),
        ("get", f"{base}/labs.csv"),
        ("get", f"{base}/gradebook-moodle.csv"),
        ("get", f"{base}/gradebook-canvas.csv"),
    ]


def test_anonymous_are_sent_to_log_in(client, klass, alice):
    for method, url in teacher_urls(klass, alice):
        response = getattr(client, method)(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"], url


def test_students_are_refused_and_other_teachers_get_404(client, klass, alice, other_teacher):
    client.force_login(alice)
    for method, url in teacher_urls(klass, alice):
        assert getattr(client, method)(url).status_code == 403, url
    client.force_login(other_teacher)
    for method, url in teacher_urls(klass, alice):
        assert getattr(client, method)(url).status_code == 404, url
    assert not StudentNote.objects.exists() and not Assignment.objects.exists()


def test_sorting_by_attention_with_htmx_returns_the_matrix_alone(client, teacher, klass):
    client.force_login(teacher)
    response = client.get(klass.get_absolute_url() + "?sort=-attention", **HTMX)
    html = response.content.decode()
    assert html.startswith('<section id="matrix"')
    assert 'aria-sort="descending"><a id="sort-attention"' in html
    assert 'class="standing-summary"' in html
