"""Search: relevance, stemming, safe highlighting, hostile input, the page without JS.

Runs on whichever database the suite runs on (SQLite by default, PostgreSQL under
`make test-postgres`): nothing here assumes one backend.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from course.search import backends
from course.search.models import Section
from course.search.sections import query_terms, split_sections

pytestmark = pytest.mark.django_db


def test_index_has_a_section_per_heading_of_every_lesson():
    from course.lessons.models import Lesson

    for lesson in Lesson.objects.published():
        anchors = set(
            Section.objects.filter(lesson_slug=lesson.slug).values_list("anchor", flat=True)
        )
        assert {heading["id"] for heading in lesson.headings} <= anchors


def test_cold_start_finds_the_lambda_cold_start_section_first():
    hits = backends.search("cold start")
    assert (hits[0].lesson_slug, hits[0].anchor) == ("lambda", "cold-starts-and-billed-duration")
    assert hits[0].url == "/lessons/lambda/#cold-starts-and-billed-duration"


def test_dockerfile_finds_docker_first():
    assert backends.search("dockerfile")[0].lesson_slug == "docker"


def test_stemming_plural_finds_singular():
    hits = backends.search("containers")
    assert hits
    assert any("<mark>container</mark>" in hit.snippet_html.lower() for hit in hits)


def test_falls_back_to_any_word_when_not_all_match():
    assert backends.search("fargate xyzzyplugh")[0].lesson_slug == "fargate"


@pytest.mark.parametrize(
    "query",
    ['"', '"unbalanced', "NEAR(a b", "a AND OR NOT", "col:term", "*", "-", "^x", "a & | !", "()"],
)
def test_query_syntax_from_users_is_never_an_error(client, query):
    assert backends.search(query) is not None
    assert client.get("/search/", {"q": query}).status_code == 200


def test_query_terms_keep_only_words():
    assert query_terms('Cold "START" near(cold) cold') == ["cold", "start", "near"]


def test_split_sections_uses_heading_ids():
    html = '<p>Intro.</p><h2 id="a">A<a class="heading-anchor" href="#a">#</a></h2><p>x</p>'
    parts = split_sections("T", html, [{"id": "a", "title": "A", "level": 2}])
    assert [(p.anchor, p.heading, p.body) for p in parts] == [("", "T", "Intro."), ("a", "A", "x")]


def test_highlight_escapes_the_text_and_marks_only_matches(client):
    Section.objects.create(
        lesson_slug="docker",
        lesson_title="Docker",
        lesson_order=99,
        anchor="evil",
        heading="Evil",
        body="zebraword <script>alert(1)</script> & more",
    )
    backends_rebuild_fts_only()
    response = client.get("/search/", {"q": "<script>zebraword"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "<script>alert" not in html
    assert "<mark>zebraword</mark>" in html
    assert "alert(1)" in html
    if connection.vendor == "sqlite":
        # PostgreSQL's ts_headline drops what its parser reads as tags; SQLite keeps them.
        assert "<mark>zebraword</mark> &lt;<mark>script</mark>&gt;alert(1)&lt;/" in html
    assert html.count("<mark>") == html.count("</mark>")
    assert "&lt;script&gt;zebraword" in html  # the query itself, echoed escaped


def backends_rebuild_fts_only():
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {backends.FTS_TABLE}({backends.FTS_TABLE}) VALUES ('rebuild')"
            )


def test_results_page_links_to_section_anchors_in_two_queries(client):
    with CaptureQueriesContext(connection) as queries:
        response = client.get("/search/", {"q": "cold start"})
    assert response.status_code == 200
    html = response.content.decode()
    assert 'href="/lessons/lambda/#cold-starts-and-billed-duration"' in html
    assert "<mark>" in html
    assert len(queries) == 1  # the search; no session for an anonymous reader


def test_empty_search_suggests_lessons(client):
    html = client.get("/search/").content.decode()
    assert "Type a word or two" in html
    assert 'href="/lessons/docker/"' in html


def test_nonsense_says_nothing_matched_and_suggests_lessons(client):
    response = client.get("/search/", {"q": "qwxzzy"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Nothing in the course matched" in html
    assert 'href="/lessons/lambda/"' in html


def test_too_long_query_gets_a_message(client):
    response = client.get("/search/", {"q": "x" * 201})
    assert response.status_code == 400
    assert "at most 200 characters" in response.content.decode()


def test_search_is_get_only(client):
    assert client.post("/search/", {"q": "x"}).status_code == 405


def test_header_has_a_plain_search_form(client):
    html = client.get("/").content.decode()
    assert '<form class="site-search" method="get" action="/search/" role="search">' in html
    assert 'name="q"' in html


def test_signed_in_search_does_not_add_per_result_queries(client, alice):
    client.force_login(alice)
    with CaptureQueriesContext(connection) as few:
        client.get("/search/", {"q": "lambda"})
    with CaptureQueriesContext(connection) as many:
        client.get("/search/", {"q": "container"})
    assert len(few) == len(many)


def test_resync_rebuilds_the_index():
    from django.core.management import call_command

    Section.objects.all().delete()
    call_command("sync_content", verbosity=0)
    assert backends.search("cold start")[0].lesson_slug == "lambda"
