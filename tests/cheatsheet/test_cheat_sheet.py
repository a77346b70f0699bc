import re
from pathlib import Path

import pytest
from django.contrib.staticfiles import finders
from django.db import connection
from django.test.utils import CaptureQueriesContext

from course.lessons.markdown import extract_section
from course.lessons.models import Lesson

pytestmark = pytest.mark.django_db


def test_every_lesson_has_stored_takeaways():
    for lesson in Lesson.objects.published():
        assert "<li>" in lesson.takeaways_html, lesson.slug


def test_page_has_the_takeaways_of_every_lesson_in_one_query(client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/cheat-sheet/")
    assert response.status_code == 200
    html = response.content.decode()
    lessons = list(Lesson.objects.published())
    for lesson in lessons:
        assert lesson.takeaways_html in html
        assert f'href="{lesson.get_absolute_url()}"' in html
    assert len(queries) <= 2  # the lessons (+ the page cache's lookup)


def test_print_stylesheet_exists_and_is_linked(client):
    html = client.get("/cheat-sheet/").content.decode()
    match = re.search(r'<link rel="stylesheet" href="([^"]*print[^"]*\.css)" media="print">', html)
    assert match
    css = Path(finders.find("css/print.css")).read_text()
    assert "@media print" in css
    assert ".site-header" in css and "display: none" in css
    assert "attr(href)" in css


def test_cheat_sheet_is_get_only(client):
    assert client.post("/cheat-sheet/").status_code == 405


def test_extract_section_stops_at_the_next_h2():
    html = (
        '<h2 id="a">A</h2><p>x</p><h2 id="key-takeaways">K</h2><ul><li>t</li></ul><h2 id="s">S</h2>'
    )
    assert extract_section(html, "key-takeaways") == "<ul><li>t</li></ul>"
    assert extract_section(html, "missing") == ""
