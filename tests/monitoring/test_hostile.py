"""The monitor against a hostile learner's log output and filters."""

from __future__ import annotations

import pytest

from course.functions.monitoring import recording
from course.functions.monitoring.models import LogEntry
from tests.monitoring.conftest import announce, make_invocation


def page(function, query: str = "") -> str:
    return f"/functions/{function.pk}/monitor{query}"


def logs(function) -> str:
    return f"/api/functions/{function.pk}/logs"


def test_an_entry_is_stored_bounded_whatever_the_runner_returned(alice_fn):
    """The runner keeps 64 KB of output, but monitoring does not rely on it: 10 MB of logs from
    any path are stored as CloudWatch Logs' largest event at most, their end (REPORT) kept."""
    invocation = make_invocation("big-1", output="x" * (10 * 1024 * 1024) + "\n")
    announce(alice_fn, invocation)
    entry = LogEntry.objects.get(function=alice_fn)
    assert len(entry.text) <= recording.MAX_LOG_CHARS
    assert entry.truncated
    assert entry.text.startswith("START RequestId: big-1")
    assert entry.text.rstrip().splitlines()[-1].startswith("REPORT RequestId: big-1")


def test_a_small_entry_is_stored_whole(alice_fn):
    announce(alice_fn, make_invocation("small-1", output="hello\n"))
    entry = LogEntry.objects.get(function=alice_fn)
    assert not entry.truncated and "hello\n" in entry.text


# --- What held ---------------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["%", "_", "%%", "a_c", "\\", "'", "' OR 1=1 --", ".*", "[a]"])
def test_filters_are_literal_text(client, alice, alice_fn, query):
    announce(alice_fn, make_invocation("plain-1", output="nothing special here\n"))
    announce(alice_fn, make_invocation("lit-1", output=f"literal {query} inside\n"))
    client.force_login(alice)
    found = client.get(logs(alice_fn), {"q": query}).json()
    assert [entry["request_id"] for entry in found] == ["lit-1"]


def test_nul_in_the_filter_is_a_clear_400(client, alice, alice_fn):
    client.force_login(alice)
    response = client.get(logs(alice_fn), {"q": "a\x00b"})
    assert response.status_code == 400 and "q" in response.json()["errors"]
    assert client.get(page(alice_fn, "?q=a%00b")).status_code == 400


def test_nul_ansi_and_surrogates_in_output_are_stored_and_shown_escaped(client, alice, alice_fn):
    output = "\x1b[31mred\x1b[0m \x00nul \ud800 <b>bold</b>\n"
    announce(alice_fn, make_invocation("odd-1", output=output))
    entry = LogEntry.objects.get(function=alice_fn)
    assert "\x00" not in entry.text and "\ud800" not in entry.text
    client.force_login(alice)
    html = client.get(page(alice_fn)).content.decode()
    assert "<b>bold</b>" not in html and "&lt;b&gt;bold&lt;/b&gt;" in html
    assert client.get(logs(alice_fn)).status_code == 200


@pytest.mark.parametrize(
    "minutes", ["0", "-1", "1441", "1e3", "١٠", "10.5", "99999999999999999999", "", "x"]
)
def test_odd_windows_never_500(client, alice, alice_fn, minutes):
    client.force_login(alice)
    for url in (page(alice_fn), f"/api/functions/{alice_fn.pk}/metrics", logs(alice_fn)):
        assert client.get(url, {"minutes": minutes}).status_code in (200, 400)
