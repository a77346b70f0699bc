"""The pages: /functions/, a function's page (test events, invoke), the runner page's save
controls, draft autosave and drafts moving to the account at log-in."""

from __future__ import annotations

from unittest import mock

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from course.functions.models import (
    KEEP_VERSIONS,
    Function,
    FunctionDraft,
    FunctionVersion,
    TestEvent,
)
from tests.functions.conftest import HELLO

RUNNER = "/tools/function-runner/"
DRAFT = "/tools/function-runner/draft"
HX = {"HX-Request": "true"}


def form(**overrides):
    return {
        "name": "greeter",
        "runtime": "python",
        "code": HELLO,
        "memory_mb": "128",
        "timeout_s": "3",
        "event": "{}",
        **overrides,
    }


# --- /functions/ ------------------------------------------------------------------------------


def test_list_needs_log_in(client, db):
    response = client.get("/functions/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_list_wrong_method(client, alice):
    client.force_login(alice)
    assert client.post("/functions/").status_code == 405


def test_list_shows_only_mine_and_escapes_names(client, alice, bob_fn):
    Function.objects.create(owner=alice, name="a", runtime="python", code="<b>x</b>")
    client.force_login(alice)
    page = client.get("/functions/").content.decode()
    assert "bobs" not in page and ">a</a>" in page


def _list_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get("/functions/").status_code == 200
    return len(queries)


def test_list_query_count_is_fixed(client, alice):
    client.force_login(alice)
    fn = Function.objects.create(owner=alice, name="f0", runtime="python", code=HELLO)
    TestEvent.objects.create(function=fn, name="e", body="{}")
    one = _list_queries(client)
    for i in range(1, 8):
        other = Function.objects.create(owner=alice, name=f"f{i}", runtime="python", code=HELLO)
        TestEvent.objects.create(function=other, name="e", body="{}")
    # session (none when sessions live in Redis), user, functions with their event counts
    assert _list_queries(client) == one <= 3


# --- A function's page ------------------------------------------------------------------------


def test_detail_anonymous_other_user_and_mine(client, alice, charlie, alice_fn):
    assert client.get(alice_fn.get_absolute_url()).status_code == 302
    client.force_login(charlie)
    assert client.get(alice_fn.get_absolute_url()).status_code == 404
    client.force_login(alice)
    page = client.get(alice_fn.get_absolute_url())
    assert page.status_code == 200 and b"Test events" in page.content


def test_new_event_from_a_template(client, alice, alice_fn):
    client.force_login(alice)
    page = client.get(alice_fn.get_absolute_url() + "?template=sqs").content.decode()
    assert "aws:sqs" in page and "eventSourceARN" in page


def test_create_edit_delete_events(client, alice, alice_fn):
    client.force_login(alice)
    url = f"/functions/{alice_fn.pk}/events/"
    response = client.post(url, {"name": "s3-put", "body": '{"Records": []}'})
    assert response.status_code == 302
    event = alice_fn.test_events.get()
    fragment = client.post(
        f"{url}{event.pk}", {"name": "renamed", "body": "{\n}"}, headers=HX
    ).content.decode()
    assert "renamed" in fragment and "<html" not in fragment
    event.refresh_from_db()
    assert event.name == "renamed"
    client.post(f"{url}{event.pk}", {"action": "delete"})
    assert not alice_fn.test_events.exists()


@pytest.mark.parametrize(
    "data,message",
    [
        ({"name": "", "body": "{}"}, "Name the event"),
        ({"name": "a b", "body": "{}"}, "Name the event"),
        ({"name": "x" * 26, "body": "{}"}, "Name the event"),
        ({"name": "ok", "body": "{nope"}, "not valid JSON"),
        ({"name": "ok", "body": "NaN"}, "not standard JSON"),
    ],
)
def test_bad_events_are_refused(client, alice, alice_fn, data, message):
    client.force_login(alice)
    response = client.post(f"/functions/{alice_fn.pk}/events/", data)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not alice_fn.test_events.exists()


def test_ten_events_at_most(client, alice, alice_fn):
    TestEvent.objects.bulk_create(
        TestEvent(function=alice_fn, name=f"e{i}", body="{}") for i in range(10)
    )
    client.force_login(alice)
    response = client.post(f"/functions/{alice_fn.pk}/events/", {"name": "more", "body": "{}"})
    assert response.status_code == 400 and "at most 10" in response.content.decode()
    assert alice_fn.test_events.count() == 10


def test_duplicate_event_name(client, alice, alice_fn):
    TestEvent.objects.create(function=alice_fn, name="same", body="{}")
    client.force_login(alice)
    response = client.post(f"/functions/{alice_fn.pk}/events/", {"name": "same", "body": "{}"})
    assert response.status_code == 400 and alice_fn.test_events.count() == 1


def test_events_of_another_users_function(client, charlie, alice_fn):
    event = TestEvent.objects.create(function=alice_fn, name="mine", body="{}")
    client.force_login(charlie)
    base = f"/functions/{alice_fn.pk}/events/"
    assert client.post(base, {"name": "x", "body": "{}"}).status_code == 404
    assert client.post(f"{base}{event.pk}", {"action": "delete"}).status_code == 404
    assert TestEvent.objects.filter(pk=event.pk).exists()


def test_invoke_with_a_saved_event_shows_report_and_cold(client, alice, alice_fn, fake_runner):
    event = TestEvent.objects.create(function=alice_fn, name="ada", body='{"name": "Ada"}')
    client.force_login(alice)
    url = f"/functions/{alice_fn.pk}/invoke"
    fragment = client.post(url, {"event": str(event.pk)}, headers=HX).content.decode()
    assert "Cold</strong>" in fragment and "INIT phase" in fragment
    assert "Init duration" in fragment and "Ada" in fragment and "<html" not in fragment
    page = client.post(url, {"event": ""})
    assert page.status_code == 200 and b"<html" in page.content
    assert fake_runner.call_args.args[0].event == {}


def test_invoke_page_anonymous_and_other_user(client, charlie, alice_fn, fake_runner):
    url = f"/functions/{alice_fn.pk}/invoke"
    assert client.post(url, {"event": ""}).status_code == 302
    client.force_login(charlie)
    assert client.post(url, {"event": ""}).status_code == 404
    assert client.get(url).status_code == 405
    assert not fake_runner.called


# --- The runner page --------------------------------------------------------------------------


def test_runner_page_anonymous_has_no_save_controls(client, db):
    page = client.get(RUNNER).content.decode()
    assert "Save as new" not in page and 'name="name"' not in page
    assert "python3.14" in page and "nodejs24.x" in page


def test_runner_page_says_which_lambda_runtime_each_corresponds_to(client, db, fake_runner):
    page = client.get(RUNNER).content.decode()
    assert "python3.11" in page and "nodejs20.x" in page


def test_save_as_then_save_versions(client, alice):
    client.force_login(alice)
    response = client.post("/functions/new", form())
    fn = Function.objects.get(owner=alice)
    assert response.status_code == 302 and f"fn={fn.pk}" in response["Location"]
    page = client.get(f"{RUNNER}?fn={fn.pk}").content.decode()
    assert "greeter" in page and "Save as new" in page
    for i in range(KEEP_VERSIONS + 3):
        client.post(f"/functions/{fn.pk}/save", form(code=HELLO + f"# {i}\n"))
    fn.refresh_from_db()
    assert fn.version == KEEP_VERSIONS + 4
    assert fn.versions.count() == KEEP_VERSIONS
    assert fn.versions.first().number == fn.version - 1
    # A save that changes nothing keeps the version.
    fragment = client.post(f"/functions/{fn.pk}/save", form(code=fn.code), headers=HX)
    assert b"no change" in fragment.content
    fn.refresh_from_db()
    assert fn.version == KEEP_VERSIONS + 4


def test_a_plain_forms_crlf_line_breaks_are_saved_as_lf(client, alice):
    """Browsers send a textarea's lines with CRLF; the editor and the API with LF: the same code
    saved both ways is the same code (and re-saving it is no change)."""
    client.force_login(alice)
    client.post("/functions/new", form(code=HELLO.replace("\n", "\r\n")))
    fn = Function.objects.get(owner=alice)
    assert fn.code == HELLO and "\r" not in fn.code
    fragment = client.post(f"/functions/{fn.pk}/save", form(code=HELLO), headers=HX)
    assert b"no change" in fragment.content


def test_htmx_save_as_redirects_the_page(client, alice):
    client.force_login(alice)
    response = client.post("/functions/new", form(), headers=HX)
    assert response.status_code == 204 and "fn=" in response["HX-Redirect"]


def test_save_with_bad_input_changes_nothing(client, alice, alice_fn):
    client.force_login(alice)
    response = client.post(f"/functions/{alice_fn.pk}/save", form(memory_mb="64"))
    assert response.status_code == 400 and b"Memory must be" in response.content
    fragment = client.post(f"/functions/{alice_fn.pk}/save", form(name="no spaces"), headers=HX)
    assert b"Name the function" in fragment.content
    alice_fn.refresh_from_db()
    assert (alice_fn.memory_mb, alice_fn.name, alice_fn.version) == (128, "hello", 1)
    assert not FunctionVersion.objects.exists()


def test_rename_duplicate_delete(client, alice, alice_fn):
    TestEvent.objects.create(function=alice_fn, name="e1", body="{}")
    client.force_login(alice)
    client.post(f"/functions/{alice_fn.pk}/rename", {"name": "renamed"})
    alice_fn.refresh_from_db()
    assert alice_fn.name == "renamed" and alice_fn.version == 1
    client.post(f"/functions/{alice_fn.pk}/duplicate")
    copy = Function.objects.exclude(pk=alice_fn.pk).get()
    assert copy.name == "renamed-copy" and copy.test_events.count() == 1
    response = client.post(f"/functions/{alice_fn.pk}/delete")
    assert response.status_code == 302 and response["Location"] == "/functions/"
    assert list(Function.objects.all()) == [copy]


def test_runner_buttons_on_another_users_function(client, charlie, alice_fn):
    client.force_login(charlie)
    for action in ("save", "rename", "duplicate", "delete"):
        assert client.post(f"/functions/{alice_fn.pk}/{action}", form()).status_code == 404
    assert client.get(f"{RUNNER}?fn={alice_fn.pk}").status_code == 404
    assert client.get(f"{RUNNER}?fn=abc").status_code == 404
    alice_fn.refresh_from_db()
    assert alice_fn.name == "hello" and Function.objects.count() == 1


def test_runner_buttons_anonymous_and_wrong_method(client, alice_fn):
    assert client.post("/functions/new", form()).status_code == 302
    assert client.post(f"/functions/{alice_fn.pk}/delete").status_code == 302
    assert client.get(f"/functions/{alice_fn.pk}/delete").status_code == 405
    assert Function.objects.count() == 1


# --- Drafts -----------------------------------------------------------------------------------


def test_a_draft_comes_back_on_the_runner_page(client, alice):
    client.force_login(alice)
    response = client.post(DRAFT, form(code="# half-typed <script>"), headers=HX)
    assert response.status_code == 200 and b"Draft saved" in response.content
    page = client.get(RUNNER).content.decode()
    assert "# half-typed &lt;script&gt;" in page and "unsaved changes are back" in page
    # A chosen starter wins over the draft.
    assert "half-typed" not in client.get(f"{RUNNER}?starter=python-hello").content.decode()


def test_a_saved_functions_draft_is_its_own(client, alice, alice_fn):
    client.force_login(alice)
    client.post(DRAFT, form(function=str(alice_fn.pk), code="# edited"), headers=HX)
    assert "# edited" in client.get(f"{RUNNER}?fn={alice_fn.pk}").content.decode()
    assert "# edited" not in client.get(RUNNER).content.decode()
    client.post(f"/functions/{alice_fn.pk}/save", form(name="hello", code="# edited\n" + HELLO))
    assert not FunctionDraft.objects.exists()


def test_drafts_of_someone_elses_function_are_refused(client, charlie, alice_fn):
    client.force_login(charlie)
    assert client.post(DRAFT, form(function=str(alice_fn.pk))).status_code == 404
    assert not FunctionDraft.objects.exists()


def test_too_large_draft_is_refused(client, alice):
    client.force_login(alice)
    response = client.post(DRAFT, form(code="x" * (256 * 1024 + 1)))
    assert response.status_code == 400 and not FunctionDraft.objects.exists()


def test_draft_wrong_method(client, db):
    assert client.get(DRAFT).status_code == 405


def test_anonymous_draft_moves_to_the_account_at_log_in(db, alice):
    client = Client()
    client.get(RUNNER)
    client.post(DRAFT, form(code="# typed before logging in"), headers=HX)
    draft = FunctionDraft.objects.get()
    assert draft.user is None
    other = Client()  # another visitor does not see it
    assert "typed before" not in other.get(RUNNER).content.decode()
    assert client.login(username="alice", password="correct horse battery")
    draft.refresh_from_db()
    assert draft.user == alice and draft.session_key == ""
    assert "# typed before logging in" in client.get(RUNNER).content.decode()


def test_anonymous_draft_moves_at_sign_up(db):
    client = Client()
    client.get(RUNNER)
    client.post(DRAFT, form(code="# typed before signing up"), headers=HX)
    response = client.post(
        "/accounts/signup/",
        {
            "username": "newbie",
            "password1": "a long passphrase 42",
            "password2": "a long passphrase 42",
        },
    )
    assert response.status_code == 302
    assert FunctionDraft.objects.get().user.username == "newbie"


def test_query_counts_of_the_runner_page_are_fixed(client, alice, fake_runner):
    client.force_login(alice)
    Function.objects.create(owner=alice, name="one", runtime="python", code=HELLO)
    with CaptureQueriesContext(connection) as first:
        client.get(RUNNER)
    for i in range(5):
        Function.objects.create(owner=alice, name=f"n{i}", runtime="python", code=HELLO)
    with CaptureQueriesContext(connection) as second:
        client.get(RUNNER)
    assert len(first) == len(second)


def test_a_change_through_the_api_wins_over_an_older_draft(client, alice, alice_fn):
    client.force_login(alice)
    client.post(DRAFT, form(function=str(alice_fn.pk), code="# old draft"), headers=HX)
    client.put(
        f"/api/functions/{alice_fn.pk}",
        '{"code": "# from the API\\n"}',
        content_type="application/json",
    )
    page = client.get(f"{RUNNER}?fn={alice_fn.pk}").content.decode()
    assert "# from the API" in page and "# old draft" not in page


# --- Ids that are not ASCII digits ------------------------------------------------------------


@pytest.mark.parametrize("raw", ["²", "٣", "9" * 30])
def test_invoke_with_a_non_ascii_or_huge_event_id_runs_the_empty_event(
    client, alice, alice_fn, fake_runner, raw
):
    # "٣" must not pick the event whose id is 3: int() would read it so.
    TestEvent.objects.create(function=alice_fn, name="three", body='{"name": "Three"}')
    client.force_login(alice)
    response = client.post(f"/functions/{alice_fn.pk}/invoke", {"event": raw}, headers=HX)
    assert response.status_code == 200
    assert fake_runner.call_args.args[0].event == {}


@pytest.mark.parametrize("raw", ["²", "٣", "9" * 30])
def test_draft_with_a_non_ascii_or_huge_function_id_is_not_saved(client, alice, raw):
    client.force_login(alice)
    response = client.post(DRAFT, {"function": raw, "code": "x"}, headers=HX)
    assert response.status_code == 200 and b"Not saved" in response.content
    assert not FunctionDraft.objects.exists()


def test_save_as_with_a_non_ascii_origin_saves_and_keeps_other_drafts(client, alice, alice_fn):
    client.force_login(alice)
    client.post(DRAFT, form(function=str(alice_fn.pk), code="# edited"), headers=HX)
    response = client.post("/functions/new", form(name="copy", function="²"))
    assert response.status_code == 302 and Function.objects.filter(name="copy").exists()
    assert FunctionDraft.objects.count() == 1


# --- Double submits --------------------------------------------------------------------------


@pytest.fixture
def late_checks():
    """The forms' checks (name free, fewer than 10 events) pass as they would for parallel
    requests that all validated before any of them wrote."""
    from course.functions.forms import FunctionForm, TestEventForm

    with (
        mock.patch.object(FunctionForm, "clean_name", lambda self: self.cleaned_data["name"]),
        mock.patch.object(TestEventForm, "clean_name", lambda self: self.cleaned_data["name"]),
        mock.patch.object(TestEventForm, "clean", lambda self: self.cleaned_data),
    ):
        yield


def test_save_as_with_a_name_taken_meanwhile_is_a_400(client, alice, alice_fn, late_checks):
    client.force_login(alice)
    response = client.post("/functions/new", form(name="hello"))
    assert response.status_code == 400
    assert "You already have a function named hello." in response.content.decode()
    assert Function.objects.count() == 1


def test_rename_and_save_into_a_name_taken_meanwhile_are_400s(client, alice, alice_fn, late_checks):
    other = Function.objects.create(owner=alice, name="other", runtime="python", code="# o")
    client.force_login(alice)
    response = client.post(f"/functions/{other.pk}/rename", {"name": "hello"})
    assert response.status_code == 400 and b"named hello" in response.content
    response = client.post(f"/functions/{other.pk}/save", form(name="hello", code="# new"))
    assert response.status_code == 400 and b"named hello" in response.content
    other.refresh_from_db()
    assert (other.name, other.code, other.version) == ("other", "# o", 1)


def test_the_event_cap_holds_when_the_forms_count_is_stale(client, alice, alice_fn, late_checks):
    TestEvent.objects.bulk_create(
        TestEvent(function=alice_fn, name=f"e{i}", body="{}") for i in range(9)
    )
    client.force_login(alice)
    base = f"/functions/{alice_fn.pk}/events/"
    answers = [client.post(base, {"name": f"new{i}", "body": "{}"}).status_code for i in range(4)]
    assert answers == [302, 400, 400, 400]
    assert alice_fn.test_events.count() == 10
    response = client.post(base, {"name": "e1", "body": "{}"}, headers=HX)
    assert response.status_code == 200 and "at most 10" in response.content.decode()


def test_an_event_name_taken_meanwhile_is_a_400(client, alice, alice_fn, late_checks):
    first = TestEvent.objects.create(function=alice_fn, name="one", body="{}")
    second = TestEvent.objects.create(function=alice_fn, name="two", body="{}")
    client.force_login(alice)
    base = f"/functions/{alice_fn.pk}/events/"
    response = client.post(base, {"name": "one", "body": "{}"})
    assert response.status_code == 400 and b"already has an event named one" in response.content
    response = client.post(f"{base}{second.pk}", {"name": "one", "body": "{}"})
    assert response.status_code == 400 and b"already has an event named one" in response.content
    assert sorted(alice_fn.test_events.values_list("name", flat=True)) == ["one", "two"]
    assert first.pk != second.pk


# --- NUL ---------------------------------------------------------------------------------------


def test_nul_is_refused_in_saves_events_and_drafts(client, alice, alice_fn):
    client.force_login(alice)
    response = client.post("/functions/new", form(name="nul", code="a\x00b"))
    assert response.status_code == 400 and "NUL character" in response.content.decode()
    response = client.post(f"/functions/{alice_fn.pk}/save", form(name="hello", code="a\x00"))
    assert response.status_code == 400
    base = f"/functions/{alice_fn.pk}/events/"
    assert client.post(base, {"name": "n\x00", "body": "{}"}).status_code == 400
    assert client.post(base, {"name": "n", "body": '{"a": "x\x00"}'}).status_code == 400
    for field in ("code", "event", "name"):
        response = client.post(DRAFT, form(**{field: "a\x00b"}), headers=HX)
        assert response.status_code == 400 and "NUL character" in response.content.decode()
    alice_fn.refresh_from_db()
    assert alice_fn.code == HELLO and alice_fn.version == 1
    assert not TestEvent.objects.exists() and not FunctionDraft.objects.exists()
    assert list(Function.objects.values_list("name", flat=True)) == ["hello"]
