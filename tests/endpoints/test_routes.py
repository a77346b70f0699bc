"""Route keys validated and matched as API Gateway HTTP APIs do (pure)."""

from __future__ import annotations

import pytest

from course.functions.endpoints import routes

TABLE = [
    "GET /pets/dog/1",
    "GET /pets/dog/{id}",
    "GET /pets/{proxy+}",
    "ANY /{proxy+}",
    "POST /items",
    "GET /items",
    "ANY /items",
    "GET /",
    "$default",
]


@pytest.mark.parametrize(
    "method,path,route,params",
    [
        # AWS's own example: the most specific route wins.
        ("GET", "/pets/dog/1", "GET /pets/dog/1", {}),
        ("GET", "/pets/dog/2", "GET /pets/dog/{id}", {"id": "2"}),
        ("GET", "/pets/cat/1", "GET /pets/{proxy+}", {"proxy": "cat/1"}),
        ("POST", "/pets/cat/1", "ANY /{proxy+}", {"proxy": "pets/cat/1"}),
        # A named method before ANY on the same path; ANY takes the others.
        ("GET", "/items", "GET /items", {}),
        ("POST", "/items", "POST /items", {}),
        ("DELETE", "/items", "ANY /items", {}),
        ("GET", "/", "GET /", {}),
        # {proxy+} needs at least one segment: "/" for POST falls to $default.
        ("POST", "/", "$default", {}),
        ("GET", "/a/b/c", "ANY /{proxy+}", {"proxy": "a/b/c"}),
    ],
)
def test_matching_table(method, path, route, params):
    chosen = routes.select(routes.parse_all(TABLE), method, path)
    assert chosen is not None
    assert (chosen[0].key, chosen[1]) == (route, params)


def test_no_match_without_default():
    table = routes.parse_all(["GET /items", "GET /items/{id}"])
    assert routes.select(table, "POST", "/items") is None
    assert routes.select(table, "GET", "/items/1/extra") is None
    assert routes.select(table, "GET", "/items/") is None  # an empty segment is no {id}
    assert routes.select(table, "GET", "/Items") is None  # paths are case-sensitive
    assert routes.select(routes.parse_all(["$default"]), "PATCH", "/x")[0].key == "$default"


def test_path_variables_are_whole_segments():
    table = routes.parse_all(["GET /items/{id}/tags/{tag}"])
    assert routes.select(table, "GET", "/items/7/tags/red")[1] == {"id": "7", "tag": "red"}


@pytest.mark.parametrize(
    "key,fault",
    [
        ("", "cannot be empty"),
        ("GET", "is not a route key"),
        ("FETCH /items", "is not a route key"),
        ("get /items", "capitals"),
        ("GET items", "must start with /"),
        ("GET /items/{proxy+}/more", "must come last"),
        ("GET /items/{id}/{id}", "appears twice"),
        ("GET /items//x", "empty segment"),
        ("GET /items/", "empty segment"),
        ("GET /items{id}", "whole segment"),
        ("GET /it<em>s", "characters a URL path cannot hold"),
        (7, "is text"),
        ("GET /" + "a" * 300, "at most"),
    ],
)
def test_bad_route_keys_say_why(key, fault):
    with pytest.raises(routes.BadRoute, match=fault):
        routes.parse(key)


def test_route_lists():
    assert [r.key for r in routes.parse_all(["GET  /items", "$default"])] == [
        "GET /items",
        "$default",
    ]
    for bad, fault in [
        ([], "at least one"),
        ("GET /x", "at least one"),
        (["GET /a"] * 2, "twice"),
        (["GET /a/{x}", "GET /a/{y}"], "twice"),
        (["$default", "$default"], "twice"),
        ([f"GET /r{i}" for i in range(21)], "at most 20"),
    ]:
        with pytest.raises(routes.BadRoute, match=fault):
            routes.parse_all(bad)
