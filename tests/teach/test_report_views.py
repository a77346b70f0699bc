"""The class page (progress matrix), a student's drill-down, question analysis and the CSVs."""

import csv
import io
import math
import re

import pytest
from django.contrib.auth.models import User

from course.lessons.models import Lesson
from quizzes import grading
from quizzes.models import AttemptStatus, Choice, Question, Quiz
from tests.teach.builders import enroll, new_class, read, submit_lab, take_quiz

HTMX = {"HTTP_HX_REQUEST": "true"}


def text(html: str) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def matrix_row(html: str, username: str) -> str:
    match = re.search(
        rf'<tr>\s*<th scope="row"><a [^>]*>{re.escape(username)}</a>(.*?)</tr>', html, re.S
    )
    assert match, username
    return text(match.group(1))


@pytest.fixture
def klass(teacher, alice, bob, charlie):
    """Tess's class: Alice (read Docker; Docker 8/12 then 12/12, its lab passed), Bob (nothing
    yet). Charlie is in another teacher's class, not this one."""
    classroom = new_class(teacher)
    enroll(classroom, alice, bob)
    read(alice, "docker")
    take_quiz(alice, "docker", 8)
    take_quiz(alice, "docker", 12, number=2)
    submit_lab(alice, "docker-dockerfile")
    take_quiz(alice, "ecs", 3, number=1, status=AttemptStatus.IN_PROGRESS)
    return classroom


# --- Progress matrix ---------------------------------------------------------------------------


def test_class_page_matrix(client, teacher, klass):
    client.force_login(teacher)
    response = client.get(klass.get_absolute_url())
    assert response.status_code == 200
    html = response.content.decode()
    total = Lesson.objects.published().count()
    alice = matrix_row(html, "alice")
    assert alice.startswith("✓ On track 0 minutes ago ")
    assert (
        f"1 of {total} ({grading.percent(1, total)}%) ✓ Read ✓ 100% · 2 tries "
        "Labs 1/1: 1 passed ✓ Complete"
    ) in alice
    # ECS: an open attempt is not a try, and shows as in progress.
    assert "– Not read No tries ◔ Quiz in progress" in alice
    bob = matrix_row(html, "bob")
    assert bob.startswith(
        f"✓ On track Never 0 of {total} (0%) – Not read No tries Labs 0/1: 0 passed, 1 not started"
    )
    assert "✓ Complete" not in bob
    # Sticky headers live in a focusable, labelled scrolling region; headers have scopes.
    assert (
        'class="table-wrap matrix-wrap" role="region" aria-labelledby="matrix-caption" tabindex="0"'
        in html
    )
    assert '<caption id="matrix-caption">Progress of 2 students, by lesson</caption>' in html
    assert html.count('<th scope="col"') == total + 4
    assert (
        f'href="/teach/classes/{klass.pk}/students/{klass.enrollments.get(student__username="alice").student_id}/"'
        in html
    )


def test_staff_and_teachers_are_left_out(client, teacher, other_teacher, klass):
    staff = User.objects.create_user("sam", is_staff=True)
    enroll(klass, staff, other_teacher, teacher)
    client.force_login(teacher)
    html = client.get(klass.get_absolute_url()).content.decode()
    assert "Progress of 2 students" in html
    matrix = html[html.index('id="matrix"') :]
    for name in ("sam", "otto", ">tess<"):
        assert name not in matrix


def test_students_of_other_classes_are_not_shown(client, teacher, other_teacher, klass, charlie):
    enroll(new_class(other_teacher), charlie)
    client.force_login(teacher)
    html = client.get(klass.get_absolute_url()).content.decode()
    assert "charlie" not in html


def test_usernames_are_escaped(client, teacher, klass):
    enroll(klass, User.objects.create_user("<b>bold</b>"))
    client.force_login(teacher)
    html = client.get(klass.get_absolute_url()).content.decode()
    assert "<b>bold</b>" not in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html


def test_sorting(client, teacher, klass):
    client.force_login(teacher)
    html = client.get(klass.get_absolute_url() + "?sort=-completion").content.decode()
    assert (
        '<th scope="col" aria-sort="descending"><a id="sort-completion" href="?sort=completion"'
        in html
    )
    assert html.index(">alice</a>") < html.index(">bob</a>")
    html = client.get(klass.get_absolute_url() + "?sort=completion").content.decode()
    assert html.index(">bob</a>") < html.index(">alice</a>")
    html = client.get(klass.get_absolute_url() + "?sort=-name").content.decode()
    assert html.index(">bob</a>") < html.index(">alice</a>")
    assert 'aria-sort="descending"><a id="sort-name"' in html
    # A lesson column: best score first.
    html = client.get(klass.get_absolute_url() + "?sort=-docker").content.decode()
    assert html.index(">alice</a>") < html.index(">bob</a>")


def test_an_unknown_sort_falls_back_to_names(client, teacher, klass):
    client.force_login(teacher)
    response = client.get(klass.get_absolute_url() + "?sort=<script>")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<th scope="col" aria-sort="ascending"><a id="sort-name"' in html
    assert "<script>" not in html


def test_htmx_sorting_gets_the_matrix_alone(client, teacher, klass):
    client.force_login(teacher)
    response = client.get(klass.get_absolute_url() + "?sort=-completion", **HTMX)
    html = response.content.decode()
    assert html.lstrip().startswith('<section id="matrix"')
    assert "<html" not in html and "join-code" not in html
    assert response["Vary"] and "HX-Request" in response["Vary"]


def test_empty_class(client, teacher):
    classroom = new_class(teacher)
    client.force_login(teacher)
    html = client.get(classroom.get_absolute_url()).content.decode()
    assert "No students yet" in html


# --- Drill-down --------------------------------------------------------------------------------


def test_student_drill_down(client, teacher, klass, alice):
    client.force_login(teacher)
    response = client.get(f"/teach/classes/{klass.pk}/students/{alice.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>alice</h1>" in html
    body = text(html)
    assert "Attempt 1: 8 / 12 (67%), submitted" in body
    assert "Attempt 2: 12 / 12 (100%), submitted" in body
    assert "Attempt 1: in progress, started" in body
    assert "Answers show once the attempt is submitted." in body
    # Attempt 1's answers, in the order asked, each with a verdict and the right answer.
    first = html[html.index("Attempt 1: 8 / 12") : html.index("Attempt 2: 12 / 12")]
    assert first.count("✓ Right") == 8 and first.count("✗ Wrong") == 4
    last = Question.objects.filter(quiz__lesson__slug="docker").order_by("order").last()
    assert last.prompt_html in first
    wrong = Choice.objects.filter(question=last, is_correct=False).order_by("order").first()
    right = Choice.objects.get(question=last, is_correct=True)
    assert f"<p>Answered: {wrong.text_html}</p>" in first
    assert f"<p>Correct answer: {right.text_html}</p>" in first
    # Reading history.
    assert re.search(r'>Docker</a></th>\s*<td><time datetime="', html)
    assert re.search(r"<th scope=\"row\">AWS Fargate</th>\s*<td>– Not read</td>", html)


def test_drill_down_shows_numeric_answers(client, teacher, klass, bob):
    quiz = Quiz.objects.filter(questions__type="numeric").distinct().first()
    take_quiz(bob, quiz.lesson.slug, 0)
    client.force_login(teacher)
    html = client.get(f"/teach/classes/{klass.pk}/students/{bob.pk}/").content.decode()
    numeric = quiz.questions.filter(type="numeric").first()
    wrong_value = f"{(numeric.answer_number + 1000).normalize():f}"
    assert f"Answered: {wrong_value}" in html
    assert f"Correct answer: {numeric.answer_display}" in html


def test_drill_down_is_404_outside_the_class(client, teacher, klass, charlie, other_teacher):
    client.force_login(teacher)
    assert client.get(f"/teach/classes/{klass.pk}/students/{charlie.pk}/").status_code == 404
    assert client.get(f"/teach/classes/{klass.pk}/students/999999/").status_code == 404
    enroll(klass, other_teacher)  # a teacher is never a student in the reports
    assert client.get(f"/teach/classes/{klass.pk}/students/{other_teacher.pk}/").status_code == 404
    # Charlie in another class of Tess's is still not in this one.
    enroll(new_class(teacher, name="Other"), charlie)
    assert client.get(f"/teach/classes/{klass.pk}/students/{charlie.pk}/").status_code == 404


def test_drill_down_htmx_fragment(client, teacher, klass, alice):
    client.force_login(teacher)
    response = client.get(f"/teach/classes/{klass.pk}/students/{alice.pk}/", **HTMX)
    assert response.content.decode().lstrip().startswith('<div id="student"')


# --- Question analysis -------------------------------------------------------------------------


@pytest.fixture
def analysed(teacher, db):
    """Five students on the Docker quiz (12 questions). Question 1 right for the first three;
    totals 4, 3, 3, 2, 1 (the hand example of test_reports). Everyone gets the last question
    wrong with the same wrong choice. Student 4's first attempt was abandoned; student 5 retook
    the quiz and got everything right, which must not change the first-attempt figures."""
    classroom = new_class(teacher)
    patterns = [
        [True, True, True, True],
        [True, True, True],
        [True, True, True],
        [False, True, True],
        [False, True],
    ]
    students = []
    for index, pattern in enumerate(patterns, start=1):
        user = User.objects.create_user(f"s{index}")
        enroll(classroom, user)
        students.append(user)
        number = 1
        if index == 4:
            take_quiz(user, "docker", 0, number=1, status=AttemptStatus.ABANDONED)
            number = 2
        take_quiz(user, "docker", pattern, number=number)
    take_quiz(students[4], "docker", 12, number=2)
    return classroom


def analysis_row(html: str, slug: str, number: int) -> str:
    section = html[html.index(f'id="quiz-{slug}"') :]
    match = re.search(rf'<th scope="row">{number}</th>(.*?)</tr>', section, re.S)
    assert match
    return match.group(1)


def test_analysis_figures_on_first_attempts(client, teacher, analysed):
    client.force_login(teacher)
    response = client.get(f"/teach/classes/{analysed.pk}/analysis/")
    assert response.status_code == 200
    html = response.content.decode()
    first = text(analysis_row(html, "docker", 1))
    # n = 5, facility 60%, discrimination 1/sqrt(2.4) = 0.65
    assert f"5 60% {1 / math.sqrt(2.4):.2f}" in first
    assert "Flagged" not in first


def test_analysis_flags_a_shared_wrong_answer(client, teacher, analysed):
    client.force_login(teacher)
    html = client.get(f"/teach/classes/{analysed.pk}/analysis/").content.decode()
    last = Question.objects.filter(quiz__lesson__slug="docker").order_by("order").last()
    wrong = Choice.objects.filter(question=last, is_correct=False).order_by("order").first()
    row = analysis_row(html, "docker", 12)
    assert "⚑ Flagged:</strong> Facility 0% (below 30%)." in row
    assert "Most of the class picks “" in row and "the lesson may be unclear here" in row
    assert f'<a href="{last.get_absolute_url()}">' in row
    assert f'{wrong.text_html} <span class="picked">5 (100%)</span>' in row


def test_analysis_score_chart(client, teacher, analysed):
    client.force_login(teacher)
    html = client.get(f"/teach/classes/{analysed.pk}/analysis/").content.decode()
    section = html[html.index('id="quiz-docker"') :]
    assert 'role="img" aria-labelledby="hist-docker-title hist-docker-desc"' in section
    assert (
        '<desc id="hist-docker-desc">Best scores of the 5 students (of 5) who took the Docker quiz.'
        in section
    )
    # Best scores: 4/12=33%, 3/12=25% twice, 2/12=17%, 12/12=100% (the retake).
    table = text(section[section.index("<table>") : section.index("</table>")])
    assert "10–19% 1 20–29% 2 30–39% 1" in table
    assert "90–100% 1" in table
    assert '<text class="hist-count"' in section  # counts in words on the bars


def test_analysis_of_an_untaken_quiz(client, teacher, analysed):
    client.force_login(teacher)
    html = client.get(f"/teach/classes/{analysed.pk}/analysis/").content.decode()
    assert "No student in this class has submitted the Amazon ECS quiz yet." in html


def test_analysis_htmx_fragment(client, teacher, analysed):
    client.force_login(teacher)
    response = client.get(f"/teach/classes/{analysed.pk}/analysis/", **HTMX)
    assert response.content.decode().lstrip().startswith('<div id="analysis"')


# --- CSV ---------------------------------------------------------------------------------------


def read_csv(response) -> list[list[str]]:
    body = response.content.decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:])))


def test_matrix_csv(client, teacher, klass):
    enroll(klass, User.objects.create_user("=cmd|' /C calc'!A0", first_name="+Mallory"))
    enroll(klass, User.objects.create_user("zoë", first_name="Zoë", last_name="Ørsted"))
    client.force_login(teacher)
    response = client.get(f"/teach/classes/{klass.pk}/matrix.csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="cloud-tuesday-progress.csv"'
    assert "no-cache" in response["Cache-Control"]
    header, *rows = read_csv(response)
    assert header[:11] == [
        "Username",
        "Name",
        "Display name",
        "Student ID",
        "Email",
        "Joined",
        "Last active",
        "Needs attention",
        "Lessons complete",
        "Lessons",
        "Completion %",
    ]
    assert header[11:15] == [
        "Docker: read",
        "Docker: best %",
        "Docker: attempts",
        "Docker: lab A production-ready Dockerfile",
    ]
    assert [row[0] for row in rows] == ["'=cmd|' /C calc'!A0", "alice", "bob", "zoë"]
    evil, alice, bob, zoe = rows
    assert evil[1] == "'+Mallory"
    total = str(Lesson.objects.published().count())
    assert alice[8:15] == [
        "1",
        total,
        str(grading.percent(1, int(total))),
        "yes",
        "100",
        "2",
        "passed",
    ]
    assert bob[11:15] == ["no", "", "0", "not started"]
    assert zoe[1] == "Zoë Ørsted"
    assert all(len(row) == len(header) for row in rows)


def test_analysis_csv(client, teacher, analysed):
    client.force_login(teacher)
    response = client.get(f"/teach/classes/{analysed.pk}/analysis.csv")
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="cloud-tuesday-analysis.csv"'
    header, *rows = read_csv(response)
    assert header[:7] == [
        "Lesson",
        "Question",
        "Key",
        "Prompt",
        "Students (first attempts)",
        "Facility %",
        "Discrimination",
    ]
    asked = Question.objects.filter(quiz__is_active=True, is_retired=False).count()
    assert len(rows) == asked  # one row per question
    first = rows[0]
    assert first[:2] == ["Docker", "1"] and first[4:7] == ["5", "60", "0.65"]
    last = next(row for row in rows if row[0] == "Docker" and row[1] == "12")
    assert last[7] == "yes" and last[8].startswith("Most of the class picks")
    assert last[11].startswith("http://testserver/lessons/docker/#")
    untaken = next(row for row in rows if row[0] == "Amazon ECS")
    assert untaken[4:7] == ["0", "", ""]
    assert "&rsquo;" not in response.content.decode()  # prompts as plain text


def test_csv_file_name_without_latin_letters(client, teacher):
    classroom = new_class(teacher, name="云计算")
    client.force_login(teacher)
    response = client.get(f"/teach/classes/{classroom.pk}/matrix.csv")
    assert (
        response["Content-Disposition"]
        == f'attachment; filename="class-{classroom.pk}-progress.csv"'
    )
