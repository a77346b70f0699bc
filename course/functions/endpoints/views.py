"""A saved function's HTTP endpoint: the public /fn/<endpoint-id>/... URL that runs it as API
Gateway's HTTP API would, the owner's page (/functions/<id>/endpoint) and the JSON API
(/api/functions/<id>/endpoint, /api/functions/<id>/keys)."""

from __future__ import annotations

import base64
import copy
import re
import secrets
import time
from http.cookies import CookieError

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.encoding import escape_uri_path
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers

from course import runner
from course.accounts.throttle import client_address
from course.common.numbers import parse_id
from course.functions import execution, signals
from course.functions.endpoints import gateway, routes, throttle
from course.functions.endpoints.forms import FIELDS, ApiKeyForm, EndpointForm
from course.functions.endpoints.middleware import SANDBOX_POLICY
from course.functions.endpoints.models import (
    MAX_REVOKED_KEYS,
    ApiKey,
    Endpoint,
    UsageCounter,
    key_hash,
)
from course.functions.models import Function
from course.functions.web import api_function, json_object, owned_or_404
from course.lessons.reads import COOKIE_NAME as READS_COOKIE
from course.runner.web.forms import MAX_EVENT_BYTES
from course.runner.web.limits import endpoint_limiters
from course.runner.web.views import event_size

# HTTP APIs give a Lambda integration at most 30 s; here the site's longest function timeout
# caps it too (https://docs.aws.amazon.com/apigateway/latest/developerguide/http-api-quotas.html).
INTEGRATION_TIMEOUT_S = 30
# The request body an endpoint reads: base64 makes it a third larger, and the event must stay
# within Lambda's 6 MB synchronous payload.
MAX_REQUEST_BODY = 4 * 1024 * 1024


def site_cookies() -> frozenset[str]:
    """Our own cookies: never shown to a function, never set by one."""
    return frozenset(
        {
            settings.SESSION_COOKIE_NAME,
            settings.CSRF_COOKIE_NAME,
            settings.LANGUAGE_COOKIE_NAME,
            "messages",  # django.contrib.messages' cookie storage
            "lti_frame",  # quizzes.teach.lti.middleware.FRAME_COOKIE (course imports no quizzes)
            READS_COOKIE,
        }
    )


# --- The public endpoint -------------------------------------------------------------------

# Requests a page of our own may never send to /fn/, as the browser declares them (Sec-Fetch-*).
# An endpoint is on our origin, which the site's policy trusts ('self'), so with one HTML
# injection anywhere on the site:
# - <script src="/fn/<id>/x.js"> (or a style, worker, font...) would run or apply a learner's
#   file with our origin's privileges;
# - a form of ours pointed at /fn/ (formaction) would post its fields, CSRF token and password
#   included, to a learner's function; so would an htmx attribute (hx-post, with the form's
#   values).
# None of this is legitimate: our pages never link to, embed or call an endpoint, and an
# endpoint's own pages load nothing (default-src 'none') and have an opaque origin (sandbox).
# A typed or pasted URL ("none"), other sites' pages and API clients are answered as before.
EMBEDDED_DESTINATIONS = frozenset(
    {
        "audioworklet", "embed", "font", "frame", "iframe", "manifest", "object",
        "paintworklet", "script", "serviceworker", "sharedworker", "style", "worker", "xslt",
    }
)  # fmt: skip
OUR_SITE = frozenset({"same-origin", "same-site"})
# The shape of every endpoint id issued (models.new_public_id; the column holds 32).
PUBLIC_ID = re.compile(r"[a-z0-9]{1,32}")


def _sent_by_our_pages(request: HttpRequest) -> bool:
    site = request.headers.get("sec-fetch-site", "").strip().lower()
    if site not in OUR_SITE:
        return False
    dest = request.headers.get("sec-fetch-dest", "").strip().lower()
    mode = request.headers.get("sec-fetch-mode", "").strip().lower()
    submitted = mode == "navigate" and request.method not in ("GET", "HEAD")
    return dest in EMBEDDED_DESTINATIONS or submitted or "hx-request" in request.headers


def _gateway_response(
    answer: gateway.Answer, endpoint: Endpoint | None = None, request_id: str = ""
) -> HttpResponse:
    headers = dict(answer.headers)
    response = HttpResponse(
        answer.body, status=answer.status, content_type=headers.pop("content-type", None)
    )
    policy = SANDBOX_POLICY
    for name, value in headers.items():
        if name == "content-security-policy":
            # A second policy in the same header: browsers enforce every policy listed, so
            # the learner's can only take more away than ours already does.
            policy = f"{SANDBOX_POLICY}, {value}"
            continue
        response[name] = value
    response.endpoint_policy = policy  # the middleware sets it last, after everything else
    response["Content-Security-Policy"] = policy
    response["X-Content-Type-Options"] = "nosniff"
    if request_id:
        response["apigw-requestid"] = request_id
    allowed: set[str] = set()
    if endpoint is not None:
        taken = site_cookies()
        for text in answer.cookies:
            cookie = gateway.parse_set_cookie(text)
            # __Host- cookies need Path=/, which an endpoint's never has; browsers match the
            # prefix in any case, so do we.
            if cookie is None or cookie.name in taken or cookie.name.lower().startswith("__host-"):
                continue
            attributes = cookie.attributes
            max_age = _max_age(attributes.get("max-age"))
            samesite = str(attributes.get("samesite", "")).capitalize() or None
            try:
                response.set_cookie(
                    cookie.name,
                    cookie.value,
                    max_age=max_age,
                    expires=attributes.get("expires") or None,
                    # Scoped to this endpoint: never sent to the site's own pages.
                    path=endpoint.public_path(),
                    domain=None,
                    secure=bool(attributes.get("secure")),
                    httponly=bool(attributes.get("httponly")),
                    samesite=samesite if samesite in ("Lax", "Strict", "None") else None,
                )
            except (ValueError, TypeError, CookieError):  # a value SimpleCookie refuses
                response.cookies.pop(cookie.name, None)
                continue
            allowed.add(cookie.name)
    response.endpoint_cookies = frozenset(allowed)
    return response


# Browsers cap a cookie's lifetime at 400 days (RFC 6265bis); a longer Max-Age (Django turns
# it into an Expires date too) overflowed the platform's time_t and answered a Django 500.
MAX_COOKIE_AGE_S = 400 * 86400


def _max_age(value: object) -> int | None:
    text = str(value or "").strip()
    if not (text.isascii() and text.isdigit()):
        return None
    # Digits only, so a long one is simply "more than 400 days" (int() never parses thousands).
    return MAX_COOKIE_AGE_S if len(text) > 12 else min(int(text), MAX_COOKIE_AGE_S)


def _message(status: int, text: str, request_id: str = "", **headers: str) -> HttpResponse:
    response = _gateway_response(gateway.message(status, text), request_id=request_id)
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def _request_id() -> str:
    """Shaped as HTTP APIs' request ids ("JKJaXmPLvHcESHA=")."""
    return base64.b64encode(secrets.token_bytes(11)).decode("ascii")


def _incoming(request: HttpRequest, prefix: str, body: bytes) -> gateway.Request:
    path = request.path_info[len(prefix) :] or "/"
    # Our CSRF token in its header (a page of ours sending htmx requests) is the site's secret
    # as much as the cookie is: the function never sees it.
    headers = [
        (key[5:].replace("_", "-"), value)
        for key, value in request.META.items()
        if key.startswith("HTTP_") and key != settings.CSRF_HEADER_NAME
    ]
    for key, name in (("CONTENT_TYPE", "content-type"), ("CONTENT_LENGTH", "content-length")):
        if request.META.get(key):
            headers.append((name, request.META[key]))
    return gateway.Request(
        method=request.method,
        raw_path=escape_uri_path(path),
        path=path,
        raw_query=request.META.get("QUERY_STRING", ""),
        headers=headers,
        body=body,
        source_ip=request.META.get("REMOTE_ADDR", ""),
        protocol=request.META.get("SERVER_PROTOCOL", "HTTP/1.1"),
        domain=request.get_host(),
    )


def _throttled(
    function: Function, text: str, retry_after_s: float, request_id: str, *, record: bool = True
):
    """429. ``record``: count it in the function's throttles metric. Refusals by the site-wide
    limits are not (they protect the site, as API Gateway's account-level throttling does, and
    are not the function's throttles): each record is a database write, and a client flooding
    an endpoint would otherwise make the database write as fast as it sends. What is recorded
    (the usage plan's refusals) has passed the per-endpoint limit, so it is bounded."""
    if record:
        signals.throttled.send(sender=Function, function=function, trigger="endpoint")
    return _message(429, text, request_id, Retry_After=str(max(1, round(retry_after_s))))


def _refused(function: Function, refused: runner.Throttled, request_id: str) -> HttpResponse:
    """A site-wide limit's refusal: not recorded (see _throttled)."""
    return _throttled(
        function, "Too Many Requests", refused.retry_after_s, request_id, record=False
    )


class LengthRequired(Exception):
    """A chunked body this server cannot tell the end of."""


def _read(request: HttpRequest) -> bytes | None:
    """The body, at most MAX_REQUEST_BODY bytes (None when larger, never reading past that)."""
    chunked = "chunked" in request.META.get("HTTP_TRANSFER_ENCODING", "").lower()
    if chunked and not request.META.get("CONTENT_LENGTH"):
        # Django reads a body by its Content-Length: a chunked one would reach the function as
        # no body at all. gunicorn de-chunks it and says where it ends (wsgi.input_terminated):
        # read it from the server, up to the limit. A server that does not (runserver) cannot
        # be read safely: 411, as servers answer a body without a length they can use.
        if not request.META.get("wsgi.input_terminated"):
            raise LengthRequired
        stream = request.META["wsgi.input"]
        body = bytearray()  # appended in place: many tiny chunks cost linear time, not squared
        while len(body) <= MAX_REQUEST_BODY:
            chunk = stream.read(MAX_REQUEST_BODY + 1 - len(body))
            if not chunk:
                break
            body += chunk
        return None if len(body) > MAX_REQUEST_BODY else bytes(body)
    try:
        declared = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        declared = 0
    if declared > MAX_REQUEST_BODY:
        return None
    body = request.read(MAX_REQUEST_BODY + 1)
    return None if len(body) > MAX_REQUEST_BODY else body


def _run(function: Function, event: dict) -> gateway.Answer:
    """Invoke as the function's owner and map the result as HTTP APIs map format 2.0."""
    limit = min(INTEGRATION_TIMEOUT_S, settings.RUNNER_MAX_TIMEOUT_S)
    if function.timeout_s > limit:
        function = copy.copy(function)
        function.timeout_s = limit
    try:
        invocation, _ = execution.run(
            function, event, user=function.owner, trigger="endpoint", spend_rate=False
        )
    except runner.Throttled:  # no concurrency slot free; execution sent signals.throttled
        return gateway.message(429, "Too Many Requests")
    except runner.SandboxUnavailable:
        return gateway.message(503, "Service Unavailable")
    except ValueError:
        return gateway.message(500, "Internal Server Error")
    if invocation.status != "succeeded":
        if (invocation.error or {}).get("errorType") == "Sandbox.Timedout":
            # The function did not answer in time: HTTP APIs answer an integration that
            # times out with 503 Service Unavailable.
            return gateway.message(503, "Service Unavailable")
        return gateway.message(500, "Internal Server Error")
    try:
        return gateway.map_result(invocation.result, invocation.result_json)
    except (gateway.BadResult, ValueError, RecursionError):
        return gateway.message(500, "Internal Server Error")


# One of the site's two csrf_exempt views (with no_endpoint), on purpose: this URL serves API
# clients (curl, other sites' scripts) that have no CSRF token; it never reads the session or
# the user. The
# function runs as its owner whoever calls, the event never carries our session or CSRF
# cookies, and the middleware strips any cookie of ours from the answer, so a forged
# cross-site request gains nothing a direct one would not.
@csrf_exempt
def public(request: HttpRequest, public_id: str, rest: str = "") -> HttpResponse:
    now = time.time()
    request_id = _request_id()
    if _sent_by_our_pages(request):
        return _message(403, "Forbidden", request_id)
    if not PUBLIC_ID.fullmatch(public_id):
        # Not an id we ever issue; and never sent to the database as it is: PostgreSQL refuses
        # a NUL in a query (/fn/%00/ answered a Django 500 page).
        return _message(404, "Not Found", request_id)
    endpoint = (
        Endpoint.objects.select_related("function__owner")
        .filter(public_id=public_id, enabled=True)
        .first()
    )
    if endpoint is None:
        return _message(404, "Not Found", request_id)
    function = endpoint.function
    prefix = f"/fn/{public_id}"
    path = request.path_info[len(prefix) :] or "/"
    chosen = routes.select([routes.parse(key) for key in endpoint.routes], request.method, path)
    if chosen is None:
        return _message(404, "Not Found", request_id)
    route, params = chosen
    per_endpoint, per_address = endpoint_limiters()
    try:
        # Before the key is checked: every wrong key a client tries counts against its
        # address, so keys cannot be guessed at the server's full speed.
        per_address.hit(client_address(request))
    except runner.Throttled as refused:
        return _refused(function, refused, request_id)
    bucket = "endpoint"
    if endpoint.api_key_required:
        value = request.headers.get("x-api-key", "")
        key = (
            ApiKey.objects.active().filter(endpoint=endpoint, hash=key_hash(value)).only("pk")
            .first() if value else None
        )  # fmt: skip
        if key is None:
            return _message(403, "Forbidden", request_id)
        bucket = f"key:{key.pk}"
    try:
        per_endpoint.hit(str(endpoint.pk))
    except runner.Throttled as refused:
        return _refused(function, refused, request_id)
    try:
        throttle.spend(endpoint, bucket, now)
    except throttle.Refused as refused:
        text = gateway.QUOTA_MESSAGE if refused.kind == "quota" else "Too Many Requests"
        return _throttled(function, text, refused.retry_after_s, request_id)
    try:
        body = _read(request)
    except LengthRequired:
        return _message(411, "Length Required", request_id)
    if body is None:
        return _message(413, "Request Entity Too Large", request_id)
    event = gateway.build_event(
        _incoming(request, prefix, body),
        route_key=route.key,
        path_parameters=params,
        api_id=endpoint.public_id,
        account_id=f"{function.owner_id:012d}"[-12:],
        request_id=request_id,
        now=now,
        hidden_cookies=site_cookies(),
    )
    if event_size(event) > MAX_EVENT_BYTES:
        return _message(413, "Request Entity Too Large", request_id)
    return _gateway_response(_run(function, event), endpoint, request_id)


@csrf_exempt  # as public(): any method from any client, and nothing here reads the session
def no_endpoint(request: HttpRequest) -> HttpResponse:
    return _message(404, "Not Found", _request_id())


# --- The owner's page ------------------------------------------------------------------------


def _endpoint_of(function: Function) -> Endpoint | None:
    return Endpoint.objects.filter(function=function).first()


def _url(request: HttpRequest, endpoint: Endpoint | None) -> str | None:
    return request.build_absolute_uri(endpoint.public_path()) if endpoint else None


def _context(request: HttpRequest, function: Function, endpoint: Endpoint | None, **extra):
    shown = endpoint or Endpoint(function=function, public_id="")
    values = {**shown.settings_json(), "routes": "\n".join(shown.routes)}
    url = _url(request, endpoint)
    example_path = _example_path(shown.routes)
    curl = ""
    if url:
        key = " -H 'x-api-key: YOUR_KEY'" if shown.api_key_required else ""
        curl = f"curl -i{key} '{url.rstrip('/')}{example_path}'"
    return {
        "function": function,
        "endpoint": endpoint,
        "values": values,
        "url": url,
        "curl": curl,
        "keys": list(endpoint.keys.all()) if endpoint else [],
        **extra,
    }


def _example_path(keys: list[str]) -> str:
    """A path the first route takes, for the curl example."""
    for key in keys:
        if key != routes.DEFAULT:
            route = routes.parse(key)
            segments = route.segments
            parts = [text if kind == routes.LITERAL_SEGMENT else "1" for kind, text in segments]
            return "/" + "/".join(parts)
    return "/"


def _page(request: HttpRequest, context: dict, status: int = 200) -> HttpResponse:
    template = "endpoints/_endpoint.html" if request.htmx else "endpoints/page.html"
    return render(request, template, context, status=status)


def _done(request: HttpRequest, function: Function, endpoint: Endpoint, note: str):
    if request.htmx:
        return _page(request, _context(request, function, endpoint, note=note))
    messages.success(request, note)
    return redirect("endpoints:page", function.pk)


@require_GET
@vary_on_headers("HX-Request")
@login_required
def page(request: HttpRequest, pk: int) -> HttpResponse:
    function = owned_or_404(request, pk)
    return _page(request, _context(request, function, _endpoint_of(function)))


def _save(function: Function, data: dict) -> tuple[Endpoint | None, dict[str, str]]:
    """Apply settings sent as they are for the fields given (the others keep their values)."""
    unknown = sorted(set(data) - set(FIELDS))
    if unknown:
        return None, {unknown[0]: f"Unknown field {unknown[0]!r}."}
    with transaction.atomic():
        endpoint = Endpoint.objects.select_for_update().filter(function=function).first()
        current = (endpoint or Endpoint(function=function)).settings_json()
        form = EndpointForm({**current, **data})
        if not form.is_valid():
            return None, form.messages_by_field()
        endpoint = endpoint or Endpoint(function=function)
        form.apply(endpoint)
        endpoint.save()
    return endpoint, {}


@require_POST
@vary_on_headers("HX-Request")
@login_required
def save(request: HttpRequest, pk: int) -> HttpResponse:
    function = owned_or_404(request, pk)
    data = {name: request.POST[name] for name in FIELDS if name in request.POST}
    endpoint, errors = _save(function, data)
    if errors:
        shown = _endpoint_of(function)
        context = _context(request, function, shown, errors=errors)
        context["values"] = {**context["values"], **data}
        return _page(request, context, status=400)
    state = "on" if endpoint.enabled else "off"
    return _done(request, function, endpoint, f"Saved: the endpoint is {state}.")


# The answers that show a new key's value: no cache may keep them (a shared or back/forward
# cache would hold the secret that is otherwise stored nowhere).
@never_cache
@require_POST
@vary_on_headers("HX-Request")
@login_required
def key_create(request: HttpRequest, pk: int) -> HttpResponse:
    function = owned_or_404(request, pk)
    endpoint = _endpoint_of(function)
    if endpoint is None:
        endpoint, _ = _save(function, {})
    key, value, errors = _create_key(endpoint, {"name": request.POST.get("name", "")})
    if errors:
        context = _context(request, function, endpoint, key_errors=errors)
        return _page(request, context, status=400)
    # Shown once, in this answer (never stored, never in a redirect or a message cookie).
    context = _context(request, function, endpoint, new_key=key, new_value=value)
    return _page(request, context)


@require_POST
@vary_on_headers("HX-Request")
@login_required
def key_revoke(request: HttpRequest, pk: int, key_pk: int) -> HttpResponse:
    function = owned_or_404(request, pk)
    keys = ApiKey.objects.owned_by(request.user).select_related("endpoint")
    key = get_object_or_404(keys, pk=key_pk, endpoint__function=function)
    _revoke(key)
    return _done(request, function, key.endpoint, f"Revoked the key {key.name}.")


def _create_key(endpoint: Endpoint, data: dict) -> tuple[ApiKey | None, str, dict[str, str]]:
    with transaction.atomic():
        # One at a time per endpoint, so the cap on active keys holds.
        list(Endpoint.objects.select_for_update().filter(pk=endpoint.pk).values_list("pk"))
        form = ApiKeyForm(data, endpoint=endpoint)
        if not form.is_valid():
            return None, "", form.messages_by_field()
        value = ApiKey.new_value()
        key = ApiKey.objects.create(
            endpoint=endpoint, name=form.cleaned_data["name"], hash=key_hash(value)
        )
        _forget_old_revoked_keys(endpoint)
    return key, value, {}


def _forget_old_revoked_keys(endpoint: Endpoint) -> None:
    """Keep the newest MAX_REVOKED_KEYS revoked keys, and the usage counters of none other."""
    revoked = ApiKey.objects.filter(endpoint=endpoint, revoked_at__isnull=False).order_by("-pk")
    old = list(revoked.values_list("pk", flat=True)[MAX_REVOKED_KEYS:])
    if old:
        buckets = [f"key:{pk}" for pk in old]
        UsageCounter.objects.filter(endpoint=endpoint, bucket__in=buckets).delete()
        ApiKey.objects.filter(pk__in=old).delete()


def _revoke(key: ApiKey) -> None:
    if key.revoked_at is None:
        ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())


# --- JSON API --------------------------------------------------------------------------------


def _endpoint_json(request: HttpRequest, function: Function, endpoint: Endpoint | None) -> dict:
    shown = endpoint or Endpoint(function=function)
    return {"url": _url(request, endpoint), **shown.settings_json()}


@require_http_methods(["GET", "POST"])
def api_endpoint(request: HttpRequest, pk: int) -> JsonResponse:
    function, problem = api_function(request, pk)
    if problem:
        return problem
    if request.method == "GET":
        return JsonResponse(_endpoint_json(request, function, _endpoint_of(function)))
    data, problem = json_object(request)
    if problem:
        return problem
    endpoint, errors = _save(function, data)
    if errors:
        return JsonResponse({"errors": errors}, status=400)
    return JsonResponse(_endpoint_json(request, function, endpoint))


@never_cache  # as key_create: a POST's answer holds the new key's value
@require_http_methods(["GET", "POST", "DELETE"])
def api_keys(request: HttpRequest, pk: int, key_pk: int | None = None) -> JsonResponse:
    function, problem = api_function(request, pk)
    if problem:
        return problem
    if request.method == "GET" and key_pk is None:
        keys = ApiKey.objects.filter(endpoint__function=function)
        return JsonResponse({"keys": [key.as_json() for key in keys]})
    if request.method == "POST" and key_pk is None:
        data, problem = json_object(request)
        if problem:
            return problem
        unknown = sorted(set(data) - {"name"})
        if unknown:
            problem = {unknown[0]: f"Unknown field {unknown[0]!r}."}
            return JsonResponse({"errors": problem}, status=400)
        endpoint = _endpoint_of(function) or _save(function, {})[0]
        key, value, errors = _create_key(endpoint, data)
        if errors:
            return JsonResponse({"errors": errors}, status=400)
        return JsonResponse({"id": key.pk, "name": key.name, "value": value}, status=201)
    if request.method != "DELETE":
        return JsonResponse({"errors": {"method": "Use DELETE to revoke a key."}}, status=405)
    if key_pk is None:
        data, problem = json_object(request)
        if problem:
            return problem
        raw = data.get("id")
        if isinstance(raw, int) and not isinstance(raw, bool):
            key_pk = raw if 0 < raw < 2**62 else None
        else:
            key_pk = parse_id(raw) if isinstance(raw, str) else None
        if key_pk is None:
            return JsonResponse({"errors": {"id": 'Send the key\'s id: {"id": n}.'}}, status=400)
    keys = ApiKey.objects.owned_by(request.user)
    key = keys.filter(pk=key_pk, endpoint__function=function).first()
    if key is None:
        return JsonResponse({"errors": {"id": "No such key."}}, status=404)
    _revoke(key)
    return HttpResponse(status=204)
