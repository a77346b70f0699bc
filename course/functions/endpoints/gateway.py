"""What API Gateway does around a Lambda proxy integration, payload format version 2.0 (pure: no
Django): the event it sends the function, and how it turns the function's result into an HTTP
response.

AWS's reference, "Create AWS Lambda proxy integrations for HTTP APIs in API Gateway":
https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-develop-integrations-lambda.html
- Format 2.0 has no multiValueHeaders or multiValueQueryStringParameters: duplicate headers and
  query strings are joined with commas. Header names are lower case. Every cookie of the request
  goes to the ``cookies`` list; each cookie of the response becomes a set-cookie header.
- A result without ``statusCode`` (valid JSON) is read as: isBase64Encoded false, statusCode
  200, content-type application/json, and the body is the function's response.
"""

from __future__ import annotations

import base64
import binascii
import json
import re
import time
from dataclasses import dataclass, field
from urllib.parse import parse_qsl

MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
# Bodies of these types reach the function as text; any other body (and text that is not
# UTF-8) is base64-encoded with isBase64Encoded true, as HTTP APIs pass binary payloads.
TEXT_TYPES = re.compile(
    r"^(text/[^;]+|application/(json|xml|javascript|ecmascript|x-www-form-urlencoded|graphql)"
    r"|[a-z]+/[^;]+\+(json|xml))\s*(;.*)?$",
    re.IGNORECASE,
)
NO_BODY_STATUSES = frozenset({204, 304})
HEADER_NAME = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
COOKIE_NAME = HEADER_NAME

# Headers a function may not set on our origin: framing of the HTTP message itself (hop-by-hop,
# lengths: the server computes them), cookies outside the ``cookies`` list (which is scoped to
# the endpoint), the security headers the endpoint always sends, and headers that act on the
# whole origin rather than this response (HSTS, Clear-Site-Data, Alt-Svc, reporting, a Basic
# auth prompt that would ask for passwords in our name, origin-wide client hints and sign-in
# status).
REFUSED_HEADERS = frozenset(
    {
        "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection",
        "te", "trailer", "transfer-encoding", "upgrade", "content-length", "date", "server",
        "set-cookie", "set-cookie2", "x-content-type-options", "x-frame-options",
        "content-security-policy-report-only", "strict-transport-security", "clear-site-data",
        "alt-svc", "nel", "report-to", "reporting-endpoints", "service-worker-allowed",
        "www-authenticate", "public-key-pins", "expect-ct", "origin-agent-cluster",
        # Kept by the browser for the whole origin, beyond this response: which client hints
        # every later request to the site carries, and FedCM's signed-in status of the site.
        "accept-ch", "critical-ch", "set-login",
    }
)  # fmt: skip


@dataclass
class Request:
    """The parts of an HTTP request the event is made of, as the server received them."""

    method: str
    raw_path: str  # percent-encoded, relative to the endpoint ("/items/1")
    path: str  # decoded, for route matching
    raw_query: str
    headers: list[tuple[str, str]]  # (name, value) in any case, repeats allowed
    body: bytes
    source_ip: str
    protocol: str = "HTTP/1.1"
    domain: str = "localhost"


@dataclass
class Answer:
    """The HTTP response API Gateway sends back."""

    status: int
    headers: dict[str, str] = field(default_factory=dict)
    cookies: list[str] = field(default_factory=list)
    body: bytes = b""


def message(status: int, text: str) -> Answer:
    """API Gateway's own answers: a JSON object with one "message"."""
    body = json.dumps({"message": text}, separators=(",", ":")).encode()
    return Answer(status, {"content-type": "application/json"}, [], body)


# A usage plan's quota answers as REST APIs' QUOTA_EXCEEDED gateway response: 429 "Limit
# Exceeded"; the rate limit as THROTTLED: 429 "Too Many Requests"; a missing or unknown key as
# INVALID_API_KEY: 403 "Forbidden"
# (https://docs.aws.amazon.com/apigateway/latest/developerguide/supported-gateway-response-types.html).
QUOTA_MESSAGE = "Limit Exceeded"


def aws_time(epoch: float) -> str:
    """$context.requestTime: "12/Mar/2020:19:03:58 +0000" (CLF, always UTC here)."""
    t = time.gmtime(epoch)
    return (
        f"{t.tm_mday:02d}/{MONTHS[t.tm_mon - 1]}/{t.tm_year}:"
        f"{t.tm_hour:02d}:{t.tm_min:02d}:{t.tm_sec:02d} +0000"
    )


def is_text(content_type: str) -> bool:
    return bool(TEXT_TYPES.match(content_type.strip()))


def split_cookies(header: str) -> list[str]:
    return [part.strip() for part in header.split(";") if part.strip()]


def cookie_name(cookie: str) -> str:
    return cookie.split("=", 1)[0].strip()


def visible_cookies(header: str, hidden: frozenset[str]) -> list[str]:
    """The cookies of a Cookie header but those named in ``hidden``. A server joins repeated
    Cookie headers with "," (gunicorn does; HTTP/2 clients split their cookies into several), so
    a part holding a hidden cookie after a comma is split there too: the hidden one goes, the
    others stay. A part without one is kept whole (a comma may be in a value)."""
    kept: list[str] = []
    for part in split_cookies(header):
        pieces = [piece.strip() for piece in part.split(",") if piece.strip()]
        if any(cookie_name(piece) in hidden for piece in pieces):
            kept.extend(piece for piece in pieces if cookie_name(piece) not in hidden)
        else:
            kept.append(part)
    return kept


def build_event(
    request: Request,
    *,
    route_key: str,
    path_parameters: dict[str, str],
    api_id: str,
    account_id: str,
    request_id: str,
    now: float,
    hidden_cookies: frozenset[str] = frozenset(),
) -> dict:
    """The payload format 2.0 event. ``hidden_cookies`` are names the function never sees (the
    site's session and CSRF cookies), neither in ``cookies`` nor in the cookie header."""
    headers: dict[str, str] = {}
    cookies: list[str] = []
    for name, value in request.headers:
        name = name.lower()
        if name == "cookie":
            cookies.extend(visible_cookies(value, hidden_cookies))
            continue
        headers[name] = f"{headers[name]},{value}" if name in headers else value
    if cookies:
        headers["cookie"] = "; ".join(cookies)
    query: dict[str, str] = {}
    for name, value in parse_qsl(request.raw_query, keep_blank_values=True):
        query[name] = f"{query[name]},{value}" if name in query else value
    event: dict = {"version": "2.0", "routeKey": route_key, "rawPath": request.raw_path,
                   "rawQueryString": request.raw_query}  # fmt: skip
    if cookies:
        event["cookies"] = cookies
    event["headers"] = headers
    if query:
        event["queryStringParameters"] = query
    domain = request.domain
    event["requestContext"] = {
        "accountId": account_id,
        "apiId": api_id,
        "domainName": domain,
        "domainPrefix": domain.split(".", 1)[0],
        "http": {
            "method": request.method,
            "path": request.raw_path,
            "protocol": request.protocol,
            "sourceIp": request.source_ip,
            "userAgent": headers.get("user-agent", ""),
        },
        "requestId": request_id,
        "routeKey": route_key,
        "stage": "$default",
        "time": aws_time(now),
        "timeEpoch": int(now * 1000),
    }
    if path_parameters:
        event["pathParameters"] = dict(path_parameters)
    if request.body:
        text = None
        if is_text(headers.get("content-type", "")):
            try:
                text = request.body.decode("utf-8")
            except UnicodeDecodeError:
                text = None
        if text is None:
            event["body"] = base64.b64encode(request.body).decode("ascii")
            event["isBase64Encoded"] = True
        else:
            event["body"] = text
            event["isBase64Encoded"] = False
    else:
        event["isBase64Encoded"] = False
    return event


class BadResult(ValueError):
    """A result API Gateway cannot map: it answers 500 Internal Server Error."""


def _header_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float | str):
        text = str(value)
    else:
        raise BadResult("header values are strings")
    if any(ord(c) < 32 and c != "\t" or ord(c) == 127 for c in text):
        raise BadResult("header values cannot hold control characters")
    return text


def map_result(result: object, raw_json: bytes) -> Answer:
    """The HTTP response for a successful invocation's result (``raw_json`` is its JSON text)."""
    if not isinstance(result, dict) or "statusCode" not in result:
        # Inferred format: the whole result is the body; a JSON string is the text itself.
        body = result.encode() if isinstance(result, str) else raw_json
        return Answer(200, {"content-type": "application/json"}, [], body)
    status = result.get("statusCode")
    if isinstance(status, str) and status.isdigit():
        status = int(status)
    if isinstance(status, bool) or not isinstance(status, int) or not 200 <= status <= 599:
        raise BadResult("statusCode must be a number from 200 to 599")
    headers: dict[str, str] = {}
    raw_headers = result.get("headers")
    raw_headers = {} if raw_headers is None else raw_headers
    if not isinstance(raw_headers, dict):
        raise BadResult("headers must be an object")
    for name, value in raw_headers.items():
        if not HEADER_NAME.fullmatch(name):
            raise BadResult("header names are tokens")
        lower = name.lower()
        if lower in REFUSED_HEADERS:
            continue
        headers[lower] = _header_value(value)
    cookies = result.get("cookies")
    cookies = [] if cookies is None else cookies
    if not isinstance(cookies, list) or not all(isinstance(c, str) for c in cookies):
        raise BadResult("cookies must be a list of strings")
    body = result.get("body")
    if body is None:
        data = b""
    elif isinstance(body, str):
        if result.get("isBase64Encoded") is True:
            try:
                data = base64.b64decode(body, validate=True)
            except (binascii.Error, ValueError):
                raise BadResult("the body is not valid base64") from None
        else:
            data = body.encode("utf-8", "surrogatepass")
    else:
        # Not a string: API Gateway sends its JSON text.
        data = json.dumps(body, ensure_ascii=False, allow_nan=False).encode()
    headers.setdefault("content-type", "application/json")
    if status in NO_BODY_STATUSES:
        # RFC 9110: these answers end at the headers. gunicorn drops such a body itself, but a
        # server that sends it (runserver does) hands the next response on a kept-alive
        # connection a learner-written beginning.
        data = b""
    return Answer(status, headers, list(cookies), data)


@dataclass
class Cookie:
    name: str
    value: str
    attributes: dict[str, str | bool]


def parse_set_cookie(text: str) -> Cookie | None:
    """A Set-Cookie string from a function's ``cookies``; None when it is malformed."""
    if any(ord(c) < 32 or ord(c) == 127 for c in text):
        return None
    first, *rest = text.split(";")
    name, sep, value = first.partition("=")
    name, value = name.strip(), value.strip()
    if not sep or not COOKIE_NAME.fullmatch(name):
        return None
    attributes: dict[str, str | bool] = {}
    for part in rest:
        key, has_value, val = part.strip().partition("=")
        key = key.strip().lower()
        if key in ("expires", "max-age", "samesite") and has_value:
            attributes[key] = val.strip()
        elif key in ("secure", "httponly"):
            attributes[key] = True
        # Path and Domain are dropped: the endpoint sets Path itself and never a Domain.
    return Cookie(name, value, attributes)
