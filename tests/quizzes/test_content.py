"""Quiz files: validation (file:line, nothing written) and sync (upsert, retire, no-op)."""

from decimal import Decimal
from pathlib import Path

import pytest
import yaml
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from course.pricing import LambdaInputs, lambda_cost
from quizzes.models import Answer, AnswerChoice, Attempt, Question, Quiz
from tests.helpers import start

BASE = """\
lesson: docker
questions:
  - key: one
    type: single
    prompt: Which `one`?
    choices:
      - key: a
        text: A
        correct: true
      - key: b
        text: B
    explanation: Because.
    section: what-is-docker
  - key: two
    type: numeric
    prompt: How many?
    answer: 3
    tolerance: 0
    unit: seconds
    explanation: Count them.
    section: what-is-docker
"""

TRUEFALSE = """\
  - key: three
    type: truefalse
    prompt: Is it?
    answer: true
    explanation: It is.
    section: key-takeaways
"""

PRICING = """\
  - key: four
    type: numeric
    prompt: What does it cost?
    pricing:
      figure: total_usd
      requests: 5000000
      duration_ms: 200
      memory_mb: 512
      arch: x86_64
      free_tier: true
    tolerance: 0.01
    unit: USD
    explanation: Work it out.
    section: key-takeaways
"""


def sync(capsys=None) -> str:
    call_command("sync_content")
    return capsys.readouterr().out if capsys else ""


def write_docker(content_dir: Path, text: str) -> Path:
    path = content_dir / "quizzes" / "docker.yaml"
    path.write_text(text)
    return path


def sync_error() -> str:
    with pytest.raises(CommandError) as error:
        call_command("sync_content", verbosity=0)
    return str(error.value)


def test_the_base_fixture_file_is_valid(db, content_dir):
    write_docker(content_dir, BASE + TRUEFALSE + PRICING)
    call_command("sync_content", verbosity=0)
    quiz = Quiz.objects.get(lesson__slug="docker")
    assert [q.key for q in quiz.questions.asked()] == ["one", "two", "three", "four"]


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        pytest.param(
            lambda t: t.replace("prompt: Which `one`?", "prompt: [Which one?"),
            "docker.yaml:5: not valid YAML",
            id="yaml-syntax",
        ),
        pytest.param(
            lambda t: t.replace("        correct: true\n", "", 1),
            "docker.yaml:3: question 'one' is a single-choice question and needs exactly one "
            "correct choice (found 0)",
            id="single-zero-correct",
        ),
        pytest.param(
            lambda t: t.replace("        text: B\n", "        text: B\n        correct: true\n"),
            "docker.yaml:3: question 'one' is a single-choice question and needs exactly one "
            "correct choice (found 2)",
            id="single-two-correct",
        ),
        pytest.param(
            lambda t: t.replace("type: single", "type: multiple").replace(
                "        correct: true\n", ""
            ),
            "docker.yaml:3: question 'one' is a multiple-select question and needs at least "
            "one correct choice",
            id="multiple-zero-correct",
        ),
        pytest.param(
            lambda t: t.replace("    answer: 3\n", ""),
            "docker.yaml:14: question 'two' is a numeric question and needs 'answer'",
            id="numeric-no-answer",
        ),
        pytest.param(
            lambda t: t.replace("    tolerance: 0\n", ""),
            "docker.yaml:14: question 'two' is a numeric question and needs 'tolerance'",
            id="numeric-no-tolerance",
        ),
        pytest.param(
            lambda t: t.replace("answer: 3", "answer: three"),
            "docker.yaml:17: 'answer' in question 'two' must be a number",
            id="numeric-answer-not-a-number",
        ),
        pytest.param(
            lambda t: t.replace("tolerance: 0", "tolerance: -1"),
            "docker.yaml:18: 'tolerance' in question 'two' must be 0 or more",
            id="negative-tolerance",
        ),
        pytest.param(
            lambda t: t.replace("key: two", "key: one"),
            "docker.yaml:14: duplicate question key 'one' (also used on line 3)",
            id="duplicate-question-key",
        ),
        pytest.param(
            lambda t: t.replace("- key: b", "- key: a"),
            "docker.yaml:10: duplicate choice key 'a' in question 'one' (also used on line 7)",
            id="duplicate-choice-key",
        ),
        pytest.param(
            lambda t: t.replace("type: single", "type: essay"),
            "docker.yaml:4: unknown question type 'essay' in question 'one'",
            id="unknown-type",
        ),
        pytest.param(
            lambda t: t.replace("    prompt: How many?", "    promt: How many?"),
            "docker.yaml:16: unknown field 'promt' in question 'two'; did you mean 'prompt'?",
            id="unknown-question-field",
        ),
        pytest.param(
            lambda t: t.replace("questions:\n", "title: Docker quiz\nquestions:\n"),
            "docker.yaml:2: unknown field 'title' in the quiz file",
            id="unknown-top-level-field",
        ),
        pytest.param(
            lambda t: t.replace("        text: A\n", "        text: A\n        correctt: true\n"),
            "docker.yaml:9: unknown field 'correctt' in choice 1 of question 'one'; did you "
            "mean 'correct'?",
            id="unknown-choice-field",
        ),
        pytest.param(
            lambda t: t.replace("lesson: docker", "lesson: kubernetes"),
            "docker.yaml:1: lesson 'kubernetes' does not exist in course/lessons/content",
            id="unknown-lesson",
        ),
        pytest.param(
            lambda t: t.replace("section: what-is-docker", "section: what-is-dokcer", 1),
            "docker.yaml:13: section 'what-is-dokcer' is not a heading anchor in lesson "
            "'docker'; did you mean 'what-is-docker'?",
            id="unknown-section",
        ),
        pytest.param(
            lambda t: t.replace("    prompt: Which `one`?\n", ""),
            "docker.yaml:3: question 'one' needs 'prompt'",
            id="missing-prompt",
        ),
        pytest.param(
            lambda t: t.replace("    explanation: Count them.\n", ""),
            "docker.yaml:14: question 'two' needs 'explanation'",
            id="missing-explanation",
        ),
        pytest.param(
            lambda t: t.replace("    section: what-is-docker\n", "", 1),
            "docker.yaml:3: question 'one' needs 'section'",
            id="missing-section",
        ),
        pytest.param(
            lambda t: t.replace("    explanation: Because.", "    explanation:"),
            "docker.yaml:12: 'explanation' in question 'one' must not be empty",
            id="empty-explanation",
        ),
        pytest.param(
            lambda t: t + TRUEFALSE.replace("answer: true", "answer: maybe"),
            "docker.yaml:25: 'answer' in question 'three' must be true or false",
            id="truefalse-answer-not-boolean",
        ),
        pytest.param(
            lambda t: t + TRUEFALSE.replace("    answer: true\n", ""),
            "docker.yaml:22: question 'three' is a truefalse question and needs 'answer: true'",
            id="truefalse-without-answer",
        ),
        pytest.param(
            lambda t: t.replace("    unit: seconds\n", "    unit: seconds\n    choices: []\n"),
            "docker.yaml:20: 'choices' is not used by numeric questions (question 'two')",
            id="field-not-for-this-type",
        ),
        pytest.param(
            lambda t: t + PRICING.replace("memory_mb: 512", "memory_mb: 64"),
            "docker.yaml:29: the pricing block of question 'four': Lambda memory is 128-10,240 MB",
            id="pricing-invalid-memory",
        ),
        pytest.param(
            lambda t: t + PRICING.replace("figure: total_usd", "figure: total_eur"),
            "docker.yaml:26: unknown pricing figure 'total_eur' in question 'four'",
            id="pricing-unknown-figure",
        ),
        pytest.param(
            lambda t: (
                t + PRICING.replace("      arch: x86_64\n", "      arch: x86_64\n      cpu: 2\n")
            ),
            "docker.yaml:31: unknown field 'cpu' in the pricing block of question 'four'",
            id="pricing-unknown-field",
        ),
        pytest.param(
            lambda t: (
                t + PRICING.replace("    tolerance: 0.01\n", "    tolerance: 0.01\n    answer: 2\n")
            ),
            "docker.yaml:25: question 'four' has both 'answer' and 'pricing'",
            id="answer-and-pricing",
        ),
        pytest.param(
            lambda t: t.replace(
                "    prompt: How many?\n", "    prompt: How many?\n    prompt: Again?\n"
            ),
            "docker.yaml:17: 'prompt' appears twice in question 'two' (first on line 16)",
            id="field-twice",
        ),
        pytest.param(
            lambda t: t.replace("key: one", "key: one two"),
            "docker.yaml:3: question key 'one two' must be letters, digits and single hyphens",
            id="bad-key",
        ),
        pytest.param(
            lambda t: t.replace("      - key: b\n        text: B\n", ""),
            "docker.yaml:6: 'choices' in question 'one' must be a list of at least two choices",
            id="one-choice",
        ),
        pytest.param(lambda t: "", "docker.yaml:1: the file is empty", id="empty-file"),
        pytest.param(
            lambda t: t.split("questions:")[0] + "questions: []\n",
            "docker.yaml:2: 'questions' must be a list of questions",
            id="no-questions",
        ),
        pytest.param(
            lambda t: t.replace(
                "explanation: Count them.", "explanation: |-\n      Count them.\n\n      [[nope]]"
            ),
            "docker.yaml:23: unknown embed [[nope]]",
            id="markdown-error",
        ),
    ],
)
def test_validation_errors_name_file_and_line(db, content_dir, edit, expected):
    write_docker(content_dir, edit(BASE))
    message = sync_error()
    assert expected in message
    assert "nothing was written" in message


def test_yaml_after_block_scalars_keeps_line_numbers(db, content_dir):
    text = BASE.replace("    explanation: Because.\n", "    explanation: >-\n      Because.\n")
    write_docker(content_dir, text.replace("key: two", "key: one"))
    assert "docker.yaml:15: duplicate question key 'one'" in sync_error()


def test_a_quiz_file_must_be_named_after_its_lesson(db, content_dir):
    (content_dir / "quizzes" / "docker.yaml").rename(content_dir / "quizzes" / "containers.yaml")
    assert "containers.yaml:1: a quiz for lesson 'docker' must be in docker.yaml" in sync_error()


def test_problems_in_lessons_and_quizzes_are_reported_together(db, content_dir):
    lesson = content_dir / "lessons" / "02-ecs.md"
    lesson.write_text(lesson.read_text().replace("slug: ecs\n", ""))
    write_docker(content_dir, BASE.replace("type: single", "type: essay"))
    message = sync_error()
    assert "02-ecs.md:1: 'slug' is required" in message
    assert "docker.yaml:4: unknown question type 'essay'" in message


def test_a_broken_quiz_writes_nothing(db, content_dir):
    lambda_file = content_dir / "quizzes" / "lambda.yaml"
    lambda_file.write_text(
        lambda_file.read_text().replace(
            "prompt: What does AWS Lambda charge you for?", "prompt: What does Lambda bill?"
        )
    )
    lesson = content_dir / "lessons" / "01-docker.md"
    lesson.write_text(lesson.read_text().replace("title: Docker", "title: Docker, edited", 1))
    write_docker(content_dir, BASE.replace("type: single", "type: essay"))
    sync_error()
    question = Question.objects.get(quiz__lesson__slug="lambda", key="what-lambda-bills")
    assert question.prompt_html == "What does AWS Lambda charge you for?"
    assert Quiz.objects.get(lesson__slug="docker").lesson.title == "Docker"


# --- Sync ------------------------------------------------------------------------------------


def test_every_quiz_file_is_loaded(db):
    for path in sorted(Path(settings.QUIZ_CONTENT_DIR).glob("*.yaml")):
        data = yaml.safe_load(path.read_text())
        quiz = Quiz.objects.get(lesson__slug=data["lesson"])
        assert quiz.is_active
        assert [q.key for q in quiz.questions.asked()] == [q["key"] for q in data["questions"]]


def test_pricing_answers_are_computed_with_the_price_model(db):
    question = Question.objects.get(quiz__lesson__slug="lambda", key="monthly-cost")
    expected = lambda_cost(
        LambdaInputs(requests=5_000_000, duration_ms=Decimal(200), memory_mb=512)
    ).total_usd
    assert question.answer_number == expected.quantize(Decimal("0.0000000001"))
    assert question.tolerance == Decimal("0.01")
    assert question.answer_display == "2.47"
    assert question.unit == "USD"


def test_prompts_and_explanations_are_stored_as_html(db, content_dir):
    write_docker(content_dir, BASE)
    call_command("sync_content", verbosity=0)
    question = Question.objects.get(quiz__lesson__slug="docker", key="one")
    assert question.prompt_html == "Which <code>one</code>?"
    assert question.explanation_html == "Because."


def test_truefalse_questions_get_true_and_false_choices(db):
    question = Question.objects.get(quiz__lesson__slug="lambda", key="default-timeout")
    choices = list(question.choices.values_list("key", "text_html", "is_correct"))
    assert choices == [("true", "True", False), ("false", "False", True)]


def test_resync_changes_nothing(db, capsys):
    before = dict(Question.objects.values_list("pk", "updated_at"))
    out = sync(capsys)
    assert "(0 changes)" in out
    assert "docker quiz" in out  # listed as unchanged
    assert dict(Question.objects.values_list("pk", "updated_at")) == before


def answered_attempt(client, slug="docker") -> Attempt:
    attempt = start(client, slug)
    question = Question.objects.get(pk=attempt.question_ids[0])
    choice_id = attempt.choice_order[str(question.pk)][0]
    client.post(
        f"/quizzes/attempts/{attempt.pk}/answers/{question.pk}/", {f"q{question.pk}": choice_id}
    )
    return attempt


def test_editing_wording_keeps_the_question_and_its_answers(db, client, content_dir, capsys):
    write_docker(content_dir, BASE)
    sync(capsys)
    attempt = answered_attempt(client)
    question = Question.objects.get(quiz__lesson__slug="docker", key="one")
    write_docker(
        content_dir, BASE.replace("Which `one`?", "Which *one*?").replace("text: B", "text: Bee")
    )
    out = sync(capsys)
    assert "quizzes updated: docker" in out
    edited = Question.objects.get(pk=question.pk)
    assert edited.prompt_html == "Which <em>one</em>?"
    assert edited.choices.get(key="b").text_html == "Bee"
    assert Answer.objects.filter(attempt=attempt, question=edited).exists()


def test_a_removed_question_is_retired_not_deleted_and_can_come_back(
    db, client, content_dir, capsys
):
    write_docker(content_dir, BASE)
    sync(capsys)
    attempt = answered_attempt(client)
    first = Question.objects.get(quiz__lesson__slug="docker", key="one")
    without_one = BASE.split("  - key: one")[0] + "  - key: two" + BASE.split("  - key: two")[1]
    write_docker(content_dir, without_one)
    out = sync(capsys)
    assert "questions retired (answers kept): docker/one" in out
    first.refresh_from_db()
    assert first.is_retired
    assert Answer.objects.filter(attempt=attempt, question=first).exists()
    quiz = Quiz.objects.get(lesson__slug="docker")
    assert [q.key for q in quiz.questions.asked()] == ["two"]
    # The open attempt keeps the questions it was given.
    client.post(f"/quizzes/attempts/{attempt.pk}/submit/")
    attempt.refresh_from_db()
    assert attempt.max_score == 2
    new = start(client)
    assert new.question_ids == [Question.objects.get(quiz=quiz, key="two").pk]

    write_docker(content_dir, BASE)
    sync(capsys)
    first.refresh_from_db()
    assert not first.is_retired
    assert first.order == 0


def test_a_removed_choice_is_retired(db, content_dir, capsys):
    write_docker(content_dir, BASE)
    sync(capsys)
    write_docker(
        content_dir,
        BASE.replace("      - key: b\n        text: B\n", "      - key: c\n        text: C\n"),
    )
    sync(capsys)
    question = Question.objects.get(quiz__lesson__slug="docker", key="one")
    assert dict(question.choices.values_list("key", "is_retired")) == {
        "a": False,
        "b": True,
        "c": False,
    }


def test_a_picked_choice_that_is_retired_keeps_the_answer(db, client, content_dir, capsys):
    write_docker(content_dir, BASE)
    sync(capsys)
    attempt = start(client)
    question = Question.objects.get(quiz__lesson__slug="docker", key="one")
    b = question.choices.get(key="b")
    client.post(f"/quizzes/attempts/{attempt.pk}/answers/{question.pk}/", {f"q{question.pk}": b.pk})
    write_docker(
        content_dir, BASE.replace("- key: b\n        text: B", "- key: c\n        text: C")
    )
    sync(capsys)
    b.refresh_from_db()
    assert b.is_retired
    assert AnswerChoice.objects.filter(answer__attempt=attempt, choice=b).exists()
    client.post(f"/quizzes/attempts/{attempt.pk}/submit/")
    result = client.get(f"/quizzes/attempts/{attempt.pk}/result/").content.decode()
    assert "Wrong" in result  # graded on the attempt's own choices


def test_a_removed_quiz_file_retires_the_quiz(db, client, content_dir, capsys):
    attempt = answered_attempt(client, "ecr")
    (content_dir / "quizzes" / "ecr.yaml").unlink()
    out = sync(capsys)
    assert "quizzes retired (attempts kept): ecr" in out
    assert not Quiz.objects.get(lesson__slug="ecr").is_active
    assert Attempt.objects.filter(pk=attempt.pk).exists()
    assert client.get("/lessons/ecr/quiz/").status_code == 404
