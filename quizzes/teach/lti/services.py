"""What a validated launch does to our data, each workflow in one transaction: the LMS user's
account, the LMS course's class, the resource link, and the roster from NRPS."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone
from pylti1p3.exception import LtiServiceException
from pylti1p3.names_roles import NamesRolesProvisioningService
from pylti1p3.service_connector import ServiceConnector

from course.common.text import contains_nul
from quizzes.models import TEACHERS_GROUP, Classroom, Enrollment
from quizzes.teach.lti import tool
from quizzes.teach.lti.models import LtiContext, LtiUser, Platform, ResourceLink, TargetKind

log = logging.getLogger(__name__)

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
ROLES = CLAIM + "roles"
CONTEXT = CLAIM + "context"
RESOURCE_LINK = CLAIM + "resource_link"
CUSTOM = CLAIM + "custom"
AGS = "https://purl.imsglobal.org/spec/lti-ags/claim/endpoint"
NRPS = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
# Context roles that teach (LIS vocabulary; short forms are allowed by the spec too).
TEACHING_ROLES = ("Instructor", "Administrator", "ContentDeveloper", "TeachingAssistant")


class LaunchRefused(Exception):
    """A validated token whose content we cannot act on, said in words."""


def _object(claims: dict, name: str) -> dict:
    """A claim the spec defines as a JSON object; {} when absent. A signed token can still carry
    any JSON there, and acting on a string or list as if it were an object would be a 500."""
    value = claims.get(name)
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise LaunchRefused(f"The launch's {_short(name)} claim must be a JSON object.")
    return value


def _text(claims: dict, name: str) -> str:
    """A claim the spec defines as a string; "" when absent (numbers are taken as written)."""
    value = claims.get(name)
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise LaunchRefused(f"The launch's {_short(name)} claim must be a string.")
    if contains_nul(value):  # the database refuses NUL in text
        raise LaunchRefused(f"The launch's {_short(name)} claim contains a NUL character.")
    return str(value)


def _short(name: str) -> str:
    return name.rsplit("/", 1)[-1]


def roles(claims: dict) -> list[str]:
    """The roles claim: a list of strings (LTI 1.3 core, 5.3.7)."""
    value = claims.get(ROLES)
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(role, str) for role in value):
        raise LaunchRefused("The launch's roles claim must be a list of role names.")
    return value


def is_instructor(roles: list[str]) -> bool:
    if not isinstance(roles, list):  # NRPS members' roles come from the platform as JSON too
        return False
    for role in roles:
        name = str(role).rsplit("#", 1)[-1].rsplit("/", 1)[-1]
        if name in TEACHING_ROLES:
            return True
    return False


def _username(platform: Platform, sub: str) -> str:
    # Stable, unique and within 150 characters whatever the LMS's sub looks like.
    return f"lti-{platform.pk}-{hashlib.sha256(sub.encode()).hexdigest()[:24]}"


def check_claims(claims: dict) -> None:
    """Every claim this site reads has the JSON type the spec gives it, or LaunchRefused. Checked
    before anything is written, so a malformed launch changes nothing."""
    if contains_nul(claims):  # the database refuses NUL in text and JSON alike
        raise LaunchRefused("The launch's claims contain a NUL character.")
    for name in (CONTEXT, RESOURCE_LINK, CUSTOM, AGS, NRPS):
        _object(claims, name)
    for name in ("sub", "given_name", "family_name", "email"):
        _text(claims, name)
    for parent, names in ((CONTEXT, ("id", "title", "label")), (RESOURCE_LINK, ("id", "title"))):
        for name in names:
            _text(_object(claims, parent), name)
    _text(_object(claims, CUSTOM), "target")
    _text(_object(claims, NRPS), "context_memberships_url")
    roles(claims)


def link_user(platform: Platform, claims: dict) -> LtiUser:
    """The account for this LMS user, made on the first launch without a password."""
    sub = _text(claims, "sub")
    if not sub:
        raise LaunchRefused(
            "The launch names no user (sub is empty); anonymous launches are not supported."
        )
    User = get_user_model()
    with transaction.atomic():
        link = LtiUser.objects.select_related("user").filter(platform=platform, sub=sub).first()
        if link is None:
            user, created = User.objects.get_or_create(username=_username(platform, sub))
            if created:
                user.set_unusable_password()
                user.save(update_fields=["password"])
            link = LtiUser.objects.create(platform=platform, sub=sub, user=user)
        user = link.user
        changed = False
        names = (("first_name", "given_name"), ("last_name", "family_name"), ("email", "email"))
        for field, claim in names:
            value = _text(claims, claim)[: User._meta.get_field(field).max_length]
            if value and getattr(user, field) != value:
                setattr(user, field, value)
                changed = True
        if changed:
            user.save(update_fields=["first_name", "last_name", "email"])
    return link


def link_context(platform: Platform, claims: dict) -> LtiContext | None:
    """The class of this LMS course, made on its first launch."""
    context = _object(claims, CONTEXT)
    context_id = _text(context, "id")
    if not context_id:
        return None
    title = (_text(context, "title") or _text(context, "label") or context_id)[:255]
    memberships_url = _text(_object(claims, NRPS), "context_memberships_url")[:500]
    with transaction.atomic():
        found = (
            LtiContext.objects.select_related("classroom")
            .filter(platform=platform, context_id=context_id)
            .first()
        )
        if found is None:
            classroom = Classroom(name=title[:100])
            classroom.join_enabled = False  # the LMS roster decides who is in it
            classroom.save_new_code()
            found = LtiContext.objects.create(
                platform=platform, context_id=context_id, classroom=classroom
            )
        found.title = title
        if memberships_url:
            found.memberships_url = memberships_url
        found.save(update_fields=["title", "memberships_url"])
    return found


def place_in_class(context: LtiContext, user, instructor: bool) -> None:
    if instructor:
        context.classroom.teachers.add(user)
        teachers, _ = Group.objects.get_or_create(name=TEACHERS_GROUP)
        user.groups.add(teachers)
    else:
        context.classroom.enroll(user)


@dataclass(frozen=True)
class Target:
    kind: str
    key: str

    @classmethod
    def parse(cls, text: str) -> Target | None:
        kind, _, key = (text or "").partition(":")
        if kind in TargetKind.values and key:
            return cls(kind, key)
        return None

    def __str__(self) -> str:
        return f"{self.kind}:{self.key}"


def link_resource(context: LtiContext, claims: dict, lti_user: LtiUser, instructor: bool):
    """Record the placement (its target from our deep-linking custom parameter) and, for a
    learner, that scores of this placement go to their LMS gradebook."""
    resource = _object(claims, RESOURCE_LINK)
    link_id = _text(resource, "id")
    if not link_id:
        return None
    target = Target.parse(_text(_object(claims, CUSTOM), "target"))
    with transaction.atomic():
        link, _ = ResourceLink.objects.get_or_create(context=context, resource_link_id=link_id)
        link.title = _text(resource, "title")[:255]
        if target is not None:
            link.kind, link.target = target.kind, target.key[:100]
        link.ags_endpoint = _object(claims, AGS)
        link.save()
        if not instructor and link.ags_endpoint:
            link.learners.add(lti_user)
    return link


class RosterUnavailable(Exception):
    """The LMS did not give the roster; said in words a teacher can act on."""


NRPS_VERSIONS = ["2.0"]


def fetch_roster(context: LtiContext) -> list:
    """Every member the LMS lists for this course, from the NRPS endpoint its last launch named
    (all pages). Raises RosterUnavailable and writes nothing."""
    if not context.memberships_url:
        raise RosterUnavailable(
            "The LMS has not offered this course's roster yet: turn on Names and Role "
            "Provisioning for the tool in the LMS, then open the course from the LMS once."
        )
    connector = ServiceConnector(tool.registration_for(context.platform), tool.http_session())
    service = NamesRolesProvisioningService(
        connector,
        {"context_memberships_url": context.memberships_url, "service_versions": NRPS_VERSIONS},
    )
    try:
        members = _all_pages(service, context.memberships_url)
    except LtiServiceException as error:
        status = error.response.status_code
        log.warning("LTI roster of %s refused: %s", context, error)
        raise RosterUnavailable(
            f"The LMS refused to send the roster (HTTP {status}). Nothing was changed; try again "
            "later, or check that the tool may read the course's members in the LMS."
        ) from None
    except Exception as error:  # timeouts, refused connections, answers that are not JSON
        log.warning("LTI roster of %s not fetched: %r", context, error)
        raise RosterUnavailable(
            "The LMS could not be reached or did not answer with a roster. Nothing was changed; "
            "try again in a moment."
        ) from None
    if members is None:
        raise RosterUnavailable(
            "The LMS answered with something that is not a membership list. Nothing was changed."
        )
    return members


MAX_ROSTER_PAGES = 200


def _all_pages(service: NamesRolesProvisioningService, url: str) -> list | None:
    """Every page of the membership container; None when a page is not one. PyLTI1p3's
    get_members reads a page without "members" as an empty roster, which would empty the class;
    here such an answer changes nothing."""
    members: list = []
    for _ in range(MAX_ROSTER_PAGES):
        page = service.get_nrps_data(url)
        body = page.get("body")
        if not isinstance(body, dict) or not isinstance(body.get("members"), list):
            return None
        members.extend(body["members"])
        url = page.get("next_page_url")
        if not url:
            return members
    return None  # a next-page chain that does not end


def _name(user) -> str:
    return user.get_full_name() or user.email or user.username


def sync_roster(context: LtiContext, members: list[dict]) -> dict:
    """The class's students and teachers from the NRPS membership list: members the LMS lists
    as active get accounts (on first sight) and their place; removed or inactive learners leave
    the class. Returns counts, and the names of who joined and who left."""
    platform = context.platform
    added = removed = 0
    added_names: list[str] = []
    keep_students = set()
    with transaction.atomic():
        for member in members:
            # The platform's JSON, as it comes: a member that is not an object, or whose fields
            # are not strings, is skipped rather than failing the teacher's launch.
            if not isinstance(member, dict):
                continue
            sub = str(member.get("user_id") or "")
            if not sub:
                continue
            active = str(member.get("status") or "Active").lower() == "active"
            if not active:
                continue
            try:
                link = link_user(platform, {**member, "sub": sub})
            except LaunchRefused:
                continue
            instructor = is_instructor(member.get("roles") or [])
            if instructor:
                place_in_class(context, link.user, True)
            else:
                keep_students.add(link.user_id)
                if context.classroom.enroll(link.user):
                    added += 1
                    added_names.append(_name(link.user))
        # Only LMS-made accounts leave: someone who joined by code stays.
        leaving = Enrollment.objects.filter(
            classroom=context.classroom, student__lti_links__platform=platform
        ).exclude(student_id__in=keep_students)
        removed_names = sorted(_name(e.student) for e in leaving.select_related("student"))
        removed, _ = leaving.delete()
        context.synced_at = timezone.now()
        context.save(update_fields=["synced_at"])
    return {
        "members": len(members),
        "added": added,
        "removed": removed,
        "added_names": sorted(added_names),
        "removed_names": removed_names,
    }
