"""Write validated quizzes to the database, keyed by lesson slug, question key and choice key.

Runs inside sync_content's transaction, after the lessons (course.lessons.sync). Nothing a
learner answered is ever deleted: a question or choice that leaves its file is retired (no longer
asked, answers kept), and comes back, history and all, when its key reappears. Wording edits
update rows in place.
"""

from __future__ import annotations

from course.lessons.models import Lesson
from course.lessons.sync import SyncReport
from quizzes.content import ChoiceSource, QuestionSource, QuizSource
from quizzes.models import Choice, Question, Quiz


def question_fields(source: QuestionSource, order: int) -> dict:
    return {
        "type": source.type,
        "prompt_html": source.prompt_html,
        "explanation_html": source.explanation_html,
        "section": source.section,
        "order": order,
        "answer_number": source.answer_number,
        "tolerance": source.tolerance,
        "unit": source.unit,
        "is_retired": False,
    }


def choice_fields(source: ChoiceSource, order: int) -> dict:
    return {
        "text_html": source.text_html,
        "is_correct": source.is_correct,
        "order": order,
        "is_retired": False,
    }


def _update(instance, fields: dict) -> bool:
    """Set the fields that differ and save just those; True when anything changed."""
    changed = [name for name, value in fields.items() if getattr(instance, name) != value]
    if changed:
        for name in changed:
            setattr(instance, name, fields[name])
        update_fields = changed + (["updated_at"] if hasattr(instance, "updated_at") else [])
        instance.save(update_fields=update_fields)
    return bool(changed)


def _retire(instance) -> bool:
    if instance.is_retired:
        return False
    instance.is_retired = True
    instance.save(
        update_fields=["is_retired"] + (["updated_at"] if hasattr(instance, "updated_at") else [])
    )
    return True


def apply_choices(question: Question, sources: list[ChoiceSource], existing: dict) -> bool:
    changed = False
    for order, source in enumerate(sources):
        fields = choice_fields(source, order)
        choice = existing.pop(source.key, None)
        if choice is None:
            Choice.objects.create(question=question, key=source.key, **fields)
            changed = True
        else:
            changed |= _update(choice, fields)
    for choice in existing.values():
        changed |= _retire(choice)
    return changed


def apply_quiz(quiz: Quiz, source: QuizSource, retired_names: list[str]) -> bool:
    questions = {question.key: question for question in quiz.questions.all()}
    choices: dict[int, dict[str, Choice]] = {question.pk: {} for question in questions.values()}
    for choice in Choice.objects.filter(question__quiz=quiz):
        choices[choice.question_id][choice.key] = choice
    changed = False
    for order, question_source in enumerate(source.questions):
        fields = question_fields(question_source, order)
        question = questions.pop(question_source.key, None)
        if question is None:
            question = Question.objects.create(quiz=quiz, key=question_source.key, **fields)
            changed = True
            existing = {}
        else:
            changed |= _update(question, fields)
            existing = choices[question.pk]
        changed |= apply_choices(question, question_source.choices, existing)
    for question in questions.values():
        if _retire(question):
            retired_names.append(f"{source.lesson}/{question.key}")
            changed = True
    return changed


def apply_quizzes(sources: list[QuizSource], report: SyncReport) -> None:
    lessons = {lesson.slug: lesson for lesson in Lesson.objects.all()}
    existing = {quiz.lesson.slug: quiz for quiz in Quiz.objects.select_related("lesson")}
    created, updated, unchanged, retired_questions = [], [], [], []
    for source in sources:
        quiz = existing.pop(source.lesson, None)
        fields = {"source_path": source.path, "is_active": True}
        if quiz is None:
            quiz = Quiz.objects.create(lesson=lessons[source.lesson], **fields)
            apply_quiz(quiz, source, retired_questions)
            created.append(source.lesson)
            continue
        changed = _update(quiz, fields)
        changed |= apply_quiz(quiz, source, retired_questions)
        (updated if changed else unchanged).append(source.lesson)
    retired_quizzes = []
    for quiz in existing.values():
        if quiz.is_active:
            quiz.is_active = False
            quiz.save(update_fields=["is_active", "updated_at"])
            retired_quizzes.append(quiz.lesson.slug)
    report.add("quizzes created", created)
    report.add("quizzes updated", updated)
    report.add("questions retired (answers kept)", retired_questions)
    report.add("quizzes retired (attempts kept)", retired_quizzes)
    report.add("unchanged", [f"{slug} quiz" for slug in unchanged])
