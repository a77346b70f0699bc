import re

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from course.glossary.linker import GlossaryLink, link_terms
from course.glossary.models import Term
from course.lessons.models import Lesson

pytestmark = pytest.mark.django_db

REQUIRED = [
    "container", "image", "task", "task-definition", "cluster", "launch-type", "registry",
    "repository", "cold-start", "gb-second", "concurrency", "event-source", "array-job", "bundle",
]  # fmt: skip


def test_glossary_defines_the_course_terms():
    slugs = set(Term.objects.values_list("slug", flat=True))
    assert len(slugs) >= 25
    assert set(REQUIRED) <= slugs


def test_every_term_links_to_an_existing_lesson_section():
    headings = {lesson.slug: {h["id"] for h in lesson.headings} for lesson in Lesson.objects.all()}
    for term in Term.objects.all():
        assert term.anchor in headings[term.lesson_slug], term.slug


def test_page_lists_every_term_with_its_lesson_link_in_few_queries(client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/glossary/")
    assert response.status_code == 200
    html = response.content.decode()
    for term in Term.objects.all():
        assert f'id="{term.slug}"' in html
        assert f'href="{term.lesson_url()}"' in html
    assert 'href="/lessons/lambda/#cold-starts-and-billed-duration"' in html
    assert len(queries) <= 3  # terms, lesson titles (+ the page cache)


def test_glossary_is_get_only(client):
    assert client.post("/glossary/").status_code == 405


def test_lessons_link_a_terms_first_use_once():
    ecs = Lesson.objects.get(slug="ecs").body_html
    links = re.findall(r'<a class="glossary-link" href="/glossary/#task-definition">', ecs)
    assert len(links) == 1
    lam = Lesson.objects.get(slug="lambda").body_html
    assert '<a class="glossary-link" href="/glossary/#cold-start">' in lam


def test_no_links_inside_headings_code_links_or_figures():
    for lesson in Lesson.objects.all():
        for tag in ("h2", "h3", "code", "pre", "figure"):
            for inner in re.findall(rf"<{tag}[ >].*?</{tag}>", lesson.body_html, re.S):
                assert "glossary-link" not in inner, (lesson.slug, tag)


def test_linker_unit_cases():
    links = [
        GlossaryLink("task", ("task", "tasks")),
        GlossaryLink("task-definition", ("task definition",)),
    ]
    html = (
        '<h2 id="t">Task</h2><p><code>task</code> <a href="/x">task</a> '
        '<img alt="task" src="a.svg"> A task definition, a task &amp; tasks.</p>'
    )
    out = link_terms(html, links)
    assert out == (
        '<h2 id="t">Task</h2><p><code>task</code> <a href="/x">task</a> '
        '<img alt="task" src="a.svg"> A '
        '<a class="glossary-link" href="/glossary/#task-definition">task definition</a>, a '
        '<a class="glossary-link" href="/glossary/#task">task</a> &amp; tasks.</p>'
    )


def test_a_missing_section_is_an_error_with_file_and_line(content_dir, settings):
    path = settings.GLOSSARY_FILE
    text = path.read_text()
    path.write_text(text.replace("lambda#cold-starts-and-billed-duration", "lambda#nope", 1))
    line = next(n for n, row in enumerate(path.read_text().splitlines(), 1) if "lambda#nope" in row)
    with pytest.raises(CommandError, match=rf"glossary.yaml:{line}: .*no section #nope"):
        call_command("sync_content", verbosity=0)
    assert Term.objects.filter(slug="cold-start", anchor="cold-starts-and-billed-duration").exists()


def test_an_unknown_lesson_is_an_error(content_dir, settings):
    path = settings.GLOSSARY_FILE
    path.write_text(path.read_text().replace("teaches: batch#", "teaches: batchh#", 1))
    with pytest.raises(CommandError, match="no lesson with slug 'batchh'"):
        call_command("sync_content", verbosity=0)
