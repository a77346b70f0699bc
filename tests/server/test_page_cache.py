"""The anonymous page cache: fast for everyone without a session, never shared with anyone else."""

from django.core.management import call_command

from course.lessons.models import Lesson


def test_second_anonymous_view_runs_no_queries(client, db, django_assert_num_queries):
    first = client.get("/lessons/docker/")
    with django_assert_num_queries(0):
        second = client.get("/lessons/docker/")
    assert second.content == first.content
    assert "Cookie" in second["Vary"]


def test_cached_pages_carry_no_csrf_token_and_set_no_cookie(client, db):
    for _ in range(2):
        response = client.get("/lessons/lambda/")
        html = response.content.decode()
        assert "X-CSRFToken" not in html
        assert "csrfmiddlewaretoken" not in html
        assert "csrftoken" not in response.cookies


def test_a_signed_in_reader_never_gets_the_shared_page(client, alice):
    client.get("/lessons/docker/")  # warms the cache as an anonymous reader
    client.force_login(alice)
    html = client.get("/lessons/docker/").content.decode()
    assert "Signed in as <strong>alice</strong>" in html
    assert "X-CSRFToken" in html


def test_query_strings_and_htmx_bypass_the_cache(client, db):
    client.get("/lessons/lambda/")
    prefilled = client.get("/lessons/lambda/?requests=3M&duration_ms=120&memory_mb=1536")
    assert 'name="memory_mb" value="1536"' in prefilled.content.decode()


def test_sync_content_clears_the_cache(client, db):
    client.get("/lessons/docker/")
    Lesson.objects.filter(slug="docker").update(title="Docker, stale title")
    assert "Docker, stale title" not in client.get("/lessons/docker/").content.decode()
    call_command("sync_content", verbosity=0)  # restores the title and clears the cache
    Lesson.objects.filter(slug="docker").update(title="Docker, fresh title")
    call_command("sync_content", verbosity=0)
    assert '<h1 id="lesson-title">Docker</h1>' in client.get("/lessons/docker/").content.decode()


def test_404s_are_not_cached(client, db):
    assert client.get("/lessons/not-yet/").status_code == 404
    Lesson.objects.filter(slug="batch").update(slug="not-yet")
    assert client.get("/lessons/not-yet/").status_code == 200
