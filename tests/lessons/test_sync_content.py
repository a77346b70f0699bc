"""sync_content: validate everything first, then write in one transaction; never lose progress."""

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from course.lessons.models import Lesson, LessonRead


def sync():
    call_command("sync_content", verbosity=0)


def test_all_course_lessons_are_loaded_in_order(db):
    slugs = list(Lesson.objects.published().values_list("slug", flat=True))
    for required in ["docker", "ecs", "fargate", "ecr", "lambda", "batch", "lightsail"]:
        assert required in slugs
    assert slugs.index("docker") < slugs.index("lambda") < slugs.index("lightsail")


def test_resync_is_a_no_op(db, capsys):
    before = {lesson.slug: lesson.updated_at for lesson in Lesson.objects.all()}
    call_command("sync_content")
    out = capsys.readouterr().out
    assert "(0 changes)" in out
    assert {lesson.slug: lesson.updated_at for lesson in Lesson.objects.all()} == before


def test_stored_html_is_rendered_with_diagrams(db):
    docker = Lesson.objects.get(slug="docker")
    assert '<figure class="diagram">' in docker.body_html
    # Stored with a placeholder; the serving process's storage names the file (test_static_urls).
    assert 'src="static:diagrams/docker-on-os.svg"' in docker.body_html
    assert "/static/diagrams/docker-on-os.svg" in "".join(html for _, html in docker.body_parts())
    assert docker.toc_html.startswith("<ol>")
    assert docker.reading_minutes >= 3


def test_a_broken_file_names_file_and_line_and_changes_nothing(db, content_dir):
    lesson_file = content_dir / "lessons" / "02-ecs.md"
    text = lesson_file.read_text()
    lesson_file.write_text(text.replace("title:", "title: [unclosed", 1))
    other = content_dir / "lessons" / "01-docker.md"
    other.write_text(other.read_text().replace("title: Docker", "title: Docker, edited", 1))
    with pytest.raises(CommandError) as error:
        sync()
    assert "02-ecs.md:2: front matter is not valid YAML" in str(error.value)
    assert "nothing was written" in str(error.value)
    assert Lesson.objects.get(slug="docker").title == "Docker"


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (lambda t: t.replace("slug: ecs\n", ""), "02-ecs.md:1: 'slug' is required"),
        (
            lambda t: t.replace("order: 2", "order: two"),
            "02-ecs.md:4: order must be a whole number",
        ),
        (
            lambda t: t.replace("slug: ecs", "slug: ECS!"),
            "02-ecs.md:3: slug 'ECS!' must be lower-case",
        ),
        (lambda t: t + "\n\n[[no-such-widget]]\n", "unknown embed [[no-such-widget]]"),
        (
            lambda t: t + "\n\n![a missing picture](diagrams/missing.svg)\n",
            "image 'diagrams/missing.svg' is not in static/",
        ),
        (lambda t: t.replace("---\n", "", 1), "02-ecs.md:1: missing front matter"),
        (lambda t: t.replace("order: 2", "order: 1"), "order 1 is also used by"),
    ],
)
def test_validation_errors(db, content_dir, edit, expected):
    lesson_file = content_dir / "lessons" / "02-ecs.md"
    lesson_file.write_text(edit(lesson_file.read_text()))
    with pytest.raises(CommandError) as error:
        sync()
    assert expected in str(error.value)


def test_embed_error_reports_the_file_line(db, content_dir):
    lesson_file = content_dir / "lessons" / "02-ecs.md"
    lines = lesson_file.read_text().splitlines()
    lines.insert(8, "[[bogus]]")
    lesson_file.write_text("\n".join(lines) + "\n")
    with pytest.raises(CommandError) as error:
        sync()
    assert "02-ecs.md:9: unknown embed [[bogus]]" in str(error.value)


def test_editing_a_lesson_keeps_reads(db, content_dir, alice):
    ecs = Lesson.objects.get(slug="ecs")
    LessonRead.objects.create(user=alice, lesson=ecs, last_read_at=ecs.updated_at)
    lesson_file = content_dir / "lessons" / "02-ecs.md"
    lesson_file.write_text(lesson_file.read_text() + "\n\nA new closing paragraph.\n")
    sync()
    ecs.refresh_from_db()
    assert "A new closing paragraph." in ecs.body_html
    assert LessonRead.objects.filter(user=alice, lesson=ecs).exists()


def test_a_removed_lesson_is_unpublished_not_deleted(db, content_dir, alice):
    lightsail = Lesson.objects.get(slug="lightsail")
    LessonRead.objects.create(user=alice, lesson=lightsail, last_read_at=lightsail.updated_at)
    for path in (content_dir / "quizzes").glob("lightsail.*"):
        path.unlink()
    (content_dir / "labs" / "lightsail-bundle.yaml").unlink()
    (content_dir / "lessons" / "09-lightsail.md").unlink()
    # The glossary's entries that the lesson teaches go with it (a link target must exist).
    glossary = content_dir / "glossary.yaml"
    entries = glossary.read_text().split("\n- ")
    glossary.write_text("\n- ".join(e for e in entries if "teaches: lightsail#" not in e))
    sync()
    lightsail.refresh_from_db()
    assert not lightsail.is_published
    assert LessonRead.objects.filter(lesson=lightsail).count() == 1
