"""Route keys as API Gateway HTTP APIs validate and match them (pure: no Django).

https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-routes.html
- A route key is ``$default`` or ``METHOD /path``; METHOD is ANY or an HTTP method.
- ``{name}`` is a path variable for one whole segment; ``{name+}`` is greedy (the rest of the
  path, one segment or more) and must be the last segment.
- A request goes to the most specific match: a full match of path and method first, then a
  match through a greedy path variable, then ``$default``; ANY catches the methods a path does
  not name. No match: 404 ``{"message":"Not Found"}``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

DEFAULT = "$default"
METHODS = ("ANY", "DELETE", "GET", "HEAD", "OPTIONS", "PATCH", "POST", "PUT")
MAX_ROUTES = 20
MAX_ROUTE_KEY = 200
# A literal segment: RFC 3986's unreserved and sub-delims, ':' '@', and percent-escapes.
LITERAL = re.compile(r"[A-Za-z0-9\-._~!$&'()*+,;=:@%]+")
VARIABLE = re.compile(r"\{([A-Za-z0-9_.:-]+)(\+?)\}")

LITERAL_SEGMENT, VARIABLE_SEGMENT, GREEDY_SEGMENT = 0, 1, 2


class BadRoute(ValueError):
    """A route key API Gateway would refuse; the message says why."""


@dataclass(frozen=True)
class Route:
    key: str
    method: str  # "" for $default
    segments: tuple[tuple[int, str], ...]  # (kind, literal text or variable name)

    @property
    def greedy(self) -> bool:
        return bool(self.segments) and self.segments[-1][0] == GREEDY_SEGMENT

    def match(self, method: str, parts: list[str]) -> dict[str, str] | None:
        """The path parameters when this route takes the request, else None."""
        if self.method not in ("ANY", method):
            return None
        params: dict[str, str] = {}
        for index, (kind, text) in enumerate(self.segments):
            if kind == GREEDY_SEGMENT:
                rest = parts[index:]
                if not rest or not all(rest[:-1]) or rest == [""]:
                    return None
                params[text] = "/".join(rest)
                return params
            if index >= len(parts):
                return None
            if kind == LITERAL_SEGMENT:
                if parts[index] != text:
                    return None
            elif not parts[index]:
                return None
            else:
                params[text] = parts[index]
        return params if len(parts) == len(self.segments) else None

    def specificity(self) -> tuple:
        """Sorts most specific first: no greedy variable, then literal segments before
        variables from left to right, then a named method before ANY."""
        return (self.greedy, tuple(kind for kind, _ in self.segments), self.method == "ANY")


def parse(key: object) -> Route:
    """One route key, validated as API Gateway does (BadRoute says what is wrong)."""
    if not isinstance(key, str):
        raise BadRoute("A route key is text, such as GET /items or $default.")
    key = " ".join(key.split())
    if key == DEFAULT:
        return Route(DEFAULT, "", ())
    if not key:
        raise BadRoute("A route key cannot be empty: write e.g. GET /items or $default.")
    if len(key) > MAX_ROUTE_KEY:
        raise BadRoute(f"Route keys are at most {MAX_ROUTE_KEY} characters.")
    method, _, path = key.partition(" ")
    if method.upper() not in METHODS or not path:
        raise BadRoute(
            f"{key!r} is not a route key: write a method ({', '.join(METHODS)}), a space and a "
            "path starting with /, e.g. GET /items/{id}, or $default."
        )
    if method != method.upper():
        raise BadRoute(f"{key!r}: write the method in capitals ({method.upper()}).")
    if not path.startswith("/") or " " in path:
        raise BadRoute(f"{key!r}: the path must start with / and contain no spaces.")
    segments: list[tuple[int, str]] = []
    names: set[str] = set()
    raw = [] if path == "/" else path[1:].split("/")
    for index, segment in enumerate(raw):
        variable = VARIABLE.fullmatch(segment)
        if variable:
            name, greedy = variable.group(1), bool(variable.group(2))
            if name in names:
                raise BadRoute(f"{key!r}: the path variable {{{name}}} appears twice.")
            if greedy and index != len(raw) - 1:
                raise BadRoute(f"{key!r}: a greedy path variable ({{{name}+}}) must come last.")
            names.add(name)
            segments.append((GREEDY_SEGMENT if greedy else VARIABLE_SEGMENT, name))
        elif not segment:
            raise BadRoute(f"{key!r}: the path has an empty segment (// or a trailing /).")
        elif "{" in segment or "}" in segment:
            raise BadRoute(
                f"{key!r}: a path variable fills a whole segment, as /items/{{id}} "
                "(names: letters, digits, _ . : -)."
            )
        elif not LITERAL.fullmatch(segment):
            raise BadRoute(f"{key!r}: {segment!r} has characters a URL path cannot hold.")
        else:
            segments.append((LITERAL_SEGMENT, segment))
    canonical = f"{method} {path}"
    return Route(canonical, method, tuple(segments))


def parse_all(keys: object) -> list[Route]:
    """A whole route list: at least one, at most MAX_ROUTES, no duplicates."""
    if not isinstance(keys, list) or not keys:
        raise BadRoute("Give at least one route key (e.g. $default).")
    if len(keys) > MAX_ROUTES:
        raise BadRoute(f"An endpoint has at most {MAX_ROUTES} routes.")
    routes: list[Route] = []
    seen: set[tuple] = set()
    for key in keys:
        route = parse(key)
        # GET /items/{id} and GET /items/{name} are the same route to API Gateway.
        shape = (route.method, tuple(kind if kind else text for kind, text in route.segments))
        if route.key == DEFAULT:
            shape = (DEFAULT,)
        if shape in seen:
            raise BadRoute(f"{route.key!r} is there twice (or matches the same requests).")
        seen.add(shape)
        routes.append(route)
    return routes


def select(routes: list[Route], method: str, path: str) -> tuple[Route, dict[str, str]] | None:
    """The route that takes ``method path`` (the decoded path), with its path parameters."""
    parts = [] if path in ("", "/") else path[1:].split("/")
    best: tuple[tuple, Route, dict[str, str]] | None = None
    fallback = None
    for route in routes:
        if route.key == DEFAULT:
            fallback = route
            continue
        params = route.match(method, parts)
        if params is not None and (best is None or route.specificity() < best[0]):
            best = (route.specificity(), route, params)
    if best is not None:
        return best[1], best[2]
    if fallback is not None:
        return fallback, {}
    return None
