"""The owner's page (/functions/<id>/endpoint) and the JSON API (/api/functions/<id>/endpoint,
/api/functions/<id>/keys): the public contract, forms, ownership and bad input."""

from __future__ import annotations

import json

import pytest

from course.functions.endpoints.models import ApiKey, Endpoint, key_hash
from tests.endpoints.conftest import make_key


def api(fn, suffix="endpoint"):
    return f"/api/functions/{fn.pk}/{suffix}"


def send(client, method, path, payload=None):
    if method == "get":
        return client.get(path)
    body = payload if isinstance(payload, str | bytes) else json.dumps(payload or {})
    return getattr(client, method)(path, body, content_type="application/json")


PLAN = {"enabled": True, "api_key_required": True, "rate": 2, "burst": 4, "daily_quota": 50}


def test_api_contract(client, alice, alice_fn):
    client.force_login(alice)
    before = client.get(api(alice_fn)).json()
    assert before["url"] is None and before["enabled"] is False
    assert before["routes"] == ["$default"]
    assert not Endpoint.objects.exists()  # a GET creates nothing
    body = send(client, "post", api(alice_fn), {**PLAN, "routes": ["GET /items", "$default"]})
    assert body.status_code == 200
    endpoint = Endpoint.objects.get()
    assert body.json() == {
        "url": f"http://testserver/fn/{endpoint.public_id}/",
        **PLAN,
        "routes": ["GET /items", "$default"],
    }
    assert client.get(api(alice_fn)).json() == body.json()
    # Partial updates keep the rest; turning it off.
    off = send(client, "post", api(alice_fn), {"enabled": False}).json()
    assert off["enabled"] is False and off["rate"] == 2


def test_keys_contract(client, alice, alice_fn):
    client.force_login(alice)
    created = send(client, "post", api(alice_fn, "keys"), {"name": "mobile"})
    assert created.status_code == 201
    key = created.json()
    assert set(key) == {"id", "name", "value"} and key["name"] == "mobile"
    assert ApiKey.objects.get().hash == key_hash(key["value"])  # only the hash is stored
    unnamed = send(client, "post", api(alice_fn, "keys")).json()
    assert unnamed["name"] == "key-2"
    listed = client.get(api(alice_fn, "keys")).json()["keys"]
    assert [k["name"] for k in listed] == ["mobile", "key-2"]
    assert all("value" not in k and k["revoked"] is False for k in listed)
    assert client.delete(api(alice_fn, f"keys/{key['id']}")).status_code == 204
    assert send(client, "delete", api(alice_fn, "keys"), {"id": unnamed["id"]}).status_code == 204
    assert all(k["revoked"] for k in client.get(api(alice_fn, "keys")).json()["keys"])


@pytest.mark.parametrize(
    "payload,field,words",
    [
        ({"enabled": "maybe"}, "enabled", "true or false"),
        ({"rate": 0}, "rate", "from 1 to 100"),
        ({"rate": 101}, "rate", "from 1 to 100"),
        ({"burst": "x"}, "burst", "from 1 to 200"),
        ({"daily_quota": 100_001}, "daily_quota", "from 1 to 100,000"),
        ({"daily_quota": True}, "daily_quota", "whole number"),
        ({"routes": []}, "routes", "at least one"),
        ({"routes": ["GET /a/{proxy+}/b"]}, "routes", "must come last"),
        ({"routes": "GET /x"}, "routes", None),
        ({"colour": "red"}, "colour", "Unknown field"),
    ],
)
def test_bad_settings_change_nothing(client, alice, alice_fn, payload, field, words):
    client.force_login(alice)
    send(client, "post", api(alice_fn), PLAN)
    before = client.get(api(alice_fn)).json()
    response = send(client, "post", api(alice_fn), payload)
    if words is None:  # a text box's lines are fine too
        assert response.status_code == 200
        return
    assert response.status_code == 400
    assert words in response.json()["errors"][field]
    assert client.get(api(alice_fn)).json() == before


def test_bad_bodies(client, alice, alice_fn):
    client.force_login(alice)
    assert send(client, "post", api(alice_fn), "{not json").status_code == 400
    assert send(client, "post", api(alice_fn), "[1]").json()["errors"]["body"]
    assert send(client, "post", api(alice_fn, "keys"), {"name": "x" * 65}).status_code == 400
    assert send(client, "post", api(alice_fn, "keys"), {"name": "a\x00b"}).status_code == 400
    assert send(client, "post", api(alice_fn, "keys"), {"who": 1}).status_code == 400
    assert send(client, "delete", api(alice_fn, "keys"), {"id": "x"}).status_code == 400
    assert client.delete(api(alice_fn, "keys/999")).status_code == 404
    assert not ApiKey.objects.exists()


def test_key_cap(client, alice, alice_fn):
    client.force_login(alice)
    for _ in range(10):
        assert send(client, "post", api(alice_fn, "keys")).status_code == 201
    refused = send(client, "post", api(alice_fn, "keys"))
    assert refused.status_code == 400 and "at most 10" in refused.json()["errors"]["__all__"]


@pytest.mark.parametrize(
    "method,suffix",
    [("get", "endpoint"), ("post", "endpoint"), ("get", "keys"), ("post", "keys"),
     ("delete", "keys/1")],
)  # fmt: skip
def test_anonymous_and_other_users(client, alice_fn, bob, method, suffix):
    response = send(client, method, api(alice_fn, suffix), {})
    assert response.status_code == 401 and response.json()["errorType"] == "Unauthorized"
    client.force_login(bob)
    assert send(client, method, api(alice_fn, suffix), {}).status_code == 404


def test_another_users_key_cannot_be_revoked(client, alice_fn, bob, bob_fn):
    endpoint = Endpoint.objects.create(function=alice_fn)
    key, _ = make_key(endpoint)
    client.force_login(bob)
    assert client.delete(api(bob_fn, f"keys/{key.pk}")).status_code == 404
    assert client.post(f"/functions/{bob_fn.pk}/endpoint/keys/{key.pk}/revoke").status_code == 404
    key.refresh_from_db()
    assert key.revoked_at is None


def test_csrf_is_enforced_on_the_api(alice, alice_fn):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    assert send(client, "post", api(alice_fn), PLAN).status_code == 403
    assert not Endpoint.objects.exists()


def test_wrong_methods(client, alice, alice_fn):
    client.force_login(alice)
    assert client.put(api(alice_fn)).status_code == 405
    assert client.post(f"/functions/{alice_fn.pk}/endpoint").status_code == 405
    assert client.get(f"/functions/{alice_fn.pk}/endpoint/save").status_code == 405
    assert client.get(f"/functions/{alice_fn.pk}/endpoint/keys").status_code == 405


# --- The page ----------------------------------------------------------------------------


def page(fn):
    return f"/functions/{fn.pk}/endpoint"


def test_page_needs_the_owner(client, alice_fn, bob):
    assert client.get(page(alice_fn)).status_code == 302  # to the log-in page
    client.force_login(bob)
    assert client.get(page(alice_fn)).status_code == 404
    assert client.post(f"{page(alice_fn)}/save", {"enabled": "1"}).status_code == 404
    assert client.post(f"{page(alice_fn)}/keys").status_code == 404
    assert not Endpoint.objects.exists()


def test_turn_on_configure_and_off(client, alice, alice_fn, django_assert_max_num_queries):
    client.force_login(alice)
    html = client.get(page(alice_fn)).content.decode()
    assert "no endpoint yet" in html and "Turn the endpoint on" in html
    response = client.post(f"{page(alice_fn)}/save", {"enabled": "1"})
    assert response.status_code == 302
    endpoint = Endpoint.objects.get()
    assert endpoint.enabled
    with django_assert_max_num_queries(8):
        html = client.get(page(alice_fn)).content.decode()
    assert f"/fn/{endpoint.public_id}/" in html and "curl -i" in html
    form = {"routes": "GET /items\nPOST /items\n\n$default", "api_key_required": ["0", "1"],
            "rate": "3", "burst": "6", "daily_quota": "99"}  # fmt: skip
    assert client.post(f"{page(alice_fn)}/save", form).status_code == 302
    endpoint.refresh_from_db()
    assert endpoint.routes == ["GET /items", "POST /items", "$default"]
    assert (endpoint.api_key_required, endpoint.rate, endpoint.burst) == (True, 3, 6)
    html = client.get(page(alice_fn)).content.decode()
    assert "x-api-key: YOUR_KEY" in html and "/items" in html
    client.post(f"{page(alice_fn)}/save", {"enabled": "0"})
    endpoint.refresh_from_db()
    assert not endpoint.enabled and endpoint.rate == 3


def test_page_bad_input_shows_why_and_keeps_what_was_typed(client, alice, alice_fn):
    client.force_login(alice)
    client.post(f"{page(alice_fn)}/save", {"enabled": "1"})
    form = {"routes": "GET items", "api_key_required": "0", "rate": "500", "burst": "1",
            "daily_quota": "1"}  # fmt: skip
    response = client.post(f"{page(alice_fn)}/save", form)
    assert response.status_code == 400
    html = response.content.decode()
    assert "must start with /" in html or "from 1 to 100" in html
    assert "GET items" in html
    assert Endpoint.objects.get().routes == ["$default"]


def test_htmx_answers_the_fragment(client, alice, alice_fn):
    client.force_login(alice)
    response = client.post(f"{page(alice_fn)}/save", {"enabled": "1"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200 and 'id="endpoint-panel"' in html
    assert "<html" not in html and "the endpoint is on" in html
    assert "<html" in client.get(page(alice_fn)).content.decode()
    assert "<html" not in client.get(page(alice_fn), HTTP_HX_REQUEST="true").content.decode()


def test_keys_on_the_page(client, alice, alice_fn):
    client.force_login(alice)
    response = client.post(f"{page(alice_fn)}/keys", {"name": "<b>phone</b>"})
    html = response.content.decode()
    key = ApiKey.objects.get()
    assert response.status_code == 200 and "shown only this once" in html
    assert "&lt;b&gt;phone&lt;/b&gt;" in html and "<b>phone</b>" not in html
    value = html.split("<code>")[-1].split("</code>")[0]
    assert key.hash == key_hash(value)
    assert value not in client.get(page(alice_fn)).content.decode()
    response = client.post(f"{page(alice_fn)}/keys/{key.pk}/revoke")
    assert response.status_code == 302
    key.refresh_from_db()
    assert key.revoked_at is not None
    assert "Revoked" in client.get(page(alice_fn)).content.decode()
    refused = client.post(f"{page(alice_fn)}/keys", {"name": " " * 70})
    assert refused.status_code == 400 and "1-64 characters" in refused.content.decode()


def test_detail_page_links_to_the_endpoint(client, alice, alice_fn):
    client.force_login(alice)
    assert page(alice_fn) in client.get(f"/functions/{alice_fn.pk}/").content.decode()
