"""LTI 1.3 endpoints: the tool's JWKS, OIDC login initiation, launches and deep linking.

The login and launch views are csrf_exempt, and only they: the LMS posts them cross-site, so
no CSRF token of ours can be in the form. Their forgery protection is the protocol's own: the
state cookie set at login must come back with a platform-signed id_token whose single-use nonce
we issued (PyLTI1p3 checks them; tool.OneTimeNonceSessionService makes the nonce single-use).
"""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth import login
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from pylti1p3.deep_link_resource import DeepLinkResource
from pylti1p3.exception import LtiException, OIDCException
from pylti1p3.lineitem import LineItem

from course.labs.models import Lab
from course.lessons.models import Lesson
from quizzes.models import Quiz
from quizzes.teach.access import taught_class, teacher_required
from quizzes.teach.lti import keys, services, tool
from quizzes.teach.lti.forms import DeepLinkForm
from quizzes.teach.lti.middleware import remember_frame_origins
from quizzes.teach.lti.models import LtiContext, Platform, TargetKind

log = logging.getLogger(__name__)
SESSION_LAUNCHES = "lti_launch_ids"
AUTH_BACKEND = "quizzes.auth.TeacherAwareBackend"
# Fetch Metadata: what a browser says it loads the login into when that is a frame.
FRAMED_DESTINATIONS = ("iframe", "frame")


def refuse(request: HttpRequest, message: str, status: int = 400) -> HttpResponse:
    """A plain explanation, never a stack trace and never a signed-in session."""
    return render(request, "lti/refused.html", {"message": message}, status=status)


@require_GET
def jwks(request: HttpRequest) -> JsonResponse:
    response = JsonResponse(keys.jwks())
    response["Cache-Control"] = "public, max-age=3600"
    return response


@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def oidc_login(request: HttpRequest) -> HttpResponse:
    params = request.POST if request.method == "POST" else request.GET
    launch_url = request.build_absolute_uri(reverse("lti:launch"))
    target = params.get("target_link_uri", "")
    if target and urlsplit(target).path != urlsplit(launch_url).path:
        return refuse(request, f"This tool launches at {launch_url}, not {target}.")
    iss, client_id = params.get("iss", ""), params.get("client_id", "")
    platform = tool.DatabaseToolConf().platform(iss, client_id or None) if iss else None
    if platform is None:
        return refuse(
            request,
            "This platform is not registered with the course site (unknown issuer or client id). "
            "An administrator adds it with `manage.py lti_platform add`.",
        )
    login_request = tool.CookieCheckingOIDCLogin(
        request,
        tool.DatabaseToolConf(),
        session_service=tool.OneTimeNonceSessionService(request),
        launch_data_storage=tool.launch_storage(),
    )
    if request.headers.get("Sec-Fetch-Dest") in FRAMED_DESTINATIONS:
        # Loaded in the LMS's iframe, where the browser may drop our cookies: check first, as
        # PyLTI1p3 documents, and offer a new window if they are blocked. (The check page's
        # own continuation carries lti1p3_new_window, so it is not checked twice.)
        login_request.enable_check_cookies()
    try:
        response = login_request.redirect(launch_url)
    except (OIDCException, LtiException) as error:
        return refuse(request, f"The login request was refused: {error}")
    response.lti_frame_origins = [platform.origin]
    return response


def _target_url(kind: str, key: str) -> str | None:
    if kind == TargetKind.LESSON:
        found = Lesson.objects.filter(is_published=True, slug=key).first()
    elif kind == TargetKind.QUIZ:
        found = Quiz.objects.active().select_related("lesson").filter(lesson__slug=key).first()
    elif kind == TargetKind.LAB:
        found = Lab.objects.active().select_related("lesson").filter(key=key).first()
    else:
        found = None
    return found.get_absolute_url() if found else None


@csrf_exempt
@never_cache
@require_POST
def launch(request: HttpRequest) -> HttpResponse:
    message_launch = tool.message_launch(request)
    try:
        claims = message_launch.get_launch_data()
    except (AttributeError, TypeError, ValueError, KeyError) as error:
        # PyLTI1p3 reads the decoded token as it comes (a payload that is a JSON list, a nonce
        # that is an object) before the signature is checked, so forged tokens fail in it with
        # these rather than LtiException. Caught around this one decode/validate call only.
        log.info("LTI launch with a malformed id_token refused: %r", error)
        return refuse(request, "The launch was refused: the id_token is malformed.", status=403)
    except LtiException as error:
        text = str(error)
        if text in ("State not found", "Missing state param") or "cookie" in text:
            text += (
                " — the login step's cookie did not come back. Your browser may block cookies "
                "inside the course frame; ask your teacher to set the tool to open in a new window."
            )
        return refuse(request, f"The launch was refused: {text}", status=403)
    platform = Platform.objects.filter(
        issuer=claims.get("iss"), client_id=message_launch.get_client_id()
    ).first()
    if platform is None:  # removed between validation and now
        return refuse(request, "This platform is no longer registered.", status=403)
    try:
        services.check_claims(claims)
        instructor = services.is_instructor(services.roles(claims))
        lti_user = services.link_user(platform, claims)
        context = services.link_context(platform, claims)
    except services.LaunchRefused as error:
        return refuse(request, f"The launch was refused: {error}", status=403)
    if context is not None:
        services.place_in_class(context, lti_user.user, instructor)
    login(request, lti_user.user, backend=AUTH_BACKEND)
    launch_id = message_launch.get_launch_id()
    request.session[SESSION_LAUNCHES] = [*request.session.get(SESSION_LAUNCHES, [])[-9:], launch_id]

    if message_launch.is_deep_link_launch():
        if not instructor:
            response = refuse(request, "Only teachers can place course content.", status=403)
        else:
            form = DeepLinkForm(initial={"launch_id": launch_id})
            response = render(request, "lti/deep_link.html", {"form": form})
    else:
        if context is not None and instructor and context.memberships_url:
            _sync_roster(context)
        link = None
        if context is not None:
            link = services.link_resource(context, claims, lti_user, instructor)
        url = _target_url(link.kind, link.target) if link is not None and link.target else None
        response = redirect(url or "/", permanent=False)
        response.status_code = 303
    remember_frame_origins(response, [platform.origin])
    return response


def _sync_roster(context) -> None:
    """On a teacher's launch: the LMS roster into the class, fetched as the "Sync roster" button
    does (so an answer that is not a roster empties nothing). A failing platform is logged; the
    teacher still gets in."""
    try:
        members = services.fetch_roster(context)
    except services.RosterUnavailable as problem:
        log.warning("LTI roster of %s not synced at launch: %s", context, problem)
        return
    services.sync_roster(context, members)


@require_POST
def deep_link(request: HttpRequest) -> HttpResponse:
    form = DeepLinkForm(request.POST)
    if not form.is_valid():
        return refuse(request, "Choose a lesson, quiz or lab from the list.")
    launch_id = form.cleaned_data["launch_id"]
    if not request.user.is_authenticated or launch_id not in request.session.get(
        SESSION_LAUNCHES, []
    ):
        return refuse(
            request, "This deep-linking session has expired; start again from the LMS.", 403
        )
    try:
        message_launch = tool.message_launch(request, launch_id=launch_id)
        settings_claim = (
            message_launch.get_launch_data().get(
                "https://purl.imsglobal.org/spec/lti-dl/claim/deep_linking_settings"
            )
            or {}
        )
        return_url = settings_claim.get("deep_link_return_url", "")
        deep = message_launch.get_deep_link()
    except LtiException as error:
        return refuse(request, f"This deep-linking session cannot continue: {error}", 403)
    target = services.Target.parse(form.cleaned_data["target"])
    title = {value: label for _, group in form.fields["target"].choices for value, label in group}[
        str(target)
    ]
    resource = (
        DeepLinkResource()
        .set_url(request.build_absolute_uri(reverse("lti:launch")))
        .set_title(title)
        .set_custom_params({"target": str(target)})
    )
    if target.kind in (TargetKind.QUIZ, TargetKind.LAB):
        # A gradebook column for it, which scores are posted to (AGS).
        resource.set_lineitem(
            LineItem().set_label(title).set_score_maximum(100).set_tag(str(target))
        )
    token = deep.get_response_jwt([resource])
    response = render(
        request,
        "lti/deep_link_return.html",
        {"return_url": return_url, "jwt": token, "title": title},
    )
    parts = urlsplit(return_url)
    response.lti_form_action = f"{parts.scheme}://{parts.netloc}"
    return response


# --- Teachers: the roster on demand --------------------------------------------------------------


def _roster_summary(result: dict) -> str:
    parts = [f"Roster synced from the LMS: {result['members']} member(s) listed"]
    if result["added_names"]:
        parts.append(f"joined: {', '.join(result['added_names'])}")
    if result["removed_names"]:
        parts.append(f"removed from the class: {', '.join(result['removed_names'])}")
    if not result["added_names"] and not result["removed_names"]:
        parts.append("no changes")
    return "; ".join(parts) + "."


@require_POST
@teacher_required
def sync_roster(request: HttpRequest, pk: int) -> HttpResponse:
    """The class's roster from the LMS now, through the NRPS endpoint its last launch named
    (launches sync it too, but only when a teacher launches). The LMS failing changes nothing."""
    classroom = taught_class(request, pk)
    lti_context = LtiContext.objects.select_related("platform").filter(classroom=classroom).first()
    status, note, error = 200, "", ""
    if lti_context is None:
        status, error = 400, "This class is not linked to an LMS course, so it has no LMS roster."
    elif classroom.is_archived:
        status, error = 400, f"{classroom.name} is archived, so it is read-only."
    else:
        try:
            members = services.fetch_roster(lti_context)
        except services.RosterUnavailable as problem:
            status, error = 502, str(problem)
        else:
            note = _roster_summary(services.sync_roster(lti_context, members))
    if request.htmx and lti_context is not None:
        # Swapped in place; a problem is a 200 so that htmx shows it.
        context = {"classroom": classroom, "lti": lti_context, "note": note, "error": error}
        return render(request, "lti/_roster.html", context)
    if error:
        return render(request, "quizzes/problem.html", {"message": error}, status=status)
    messages.success(request, note)
    return redirect(classroom.get_absolute_url() + "#lms-roster")
