"""The runner form's drafts: saved as the learner types, so a reload, a closed tab or a restart
loses nothing. Anonymous drafts live in the session (their ids, which survive log-in's key
rotation) and join the account at sign-up or log-in, as lab drafts and quiz attempts do."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from course.common.text import contains_nul
from course.functions.models import Function, FunctionDraft

SESSION_DRAFTS = "function_draft_ids"
DRAFT_FIELDS = ("name", "runtime", "code", "memory_mb", "timeout_s", "event")
MAX_DRAFT_CHARS = {"code": 256 * 1024, "event": 256 * 1024}
MAX_OTHER_CHARS = 100


class Unsavable(ValueError):
    """A draft field that cannot be kept, with the message for the learner."""


def fields_from(post) -> dict[str, str] | None:
    """The draft's fields from a POST, or None when one is too long to keep. Raises Unsavable
    for text holding NUL, which the database refuses."""
    fields = {}
    for name in DRAFT_FIELDS:
        value = post.get(name)
        if value is None:
            continue
        if len(value) > MAX_DRAFT_CHARS.get(name, MAX_OTHER_CHARS):
            return None
        if contains_nul(value):
            raise Unsavable(name)
        fields[name] = value
    return fields


def _owned(request, function: Function | None):
    if request.user.is_authenticated:
        return FunctionDraft.objects.filter(user=request.user, function=function)
    ids = request.session.get(SESSION_DRAFTS, [])
    if function is not None or not request.session.session_key or not ids:
        return FunctionDraft.objects.none()
    return FunctionDraft.objects.filter(user__isnull=True, pk__in=ids)


def current(request, function: Function | None) -> FunctionDraft | None:
    return _owned(request, function).first()


def save(request, function: Function | None, fields: dict[str, str]) -> FunctionDraft:
    """Upsert the draft (a race between two saves keeps one row)."""
    if request.user.is_authenticated:
        owner = {"user": request.user, "function": function}
    else:
        if not request.session.session_key:
            request.session.save()
        owner = {"user": None, "session_key": request.session.session_key}
        existing = _owned(request, None).first()
        if existing is not None:
            existing.fields = fields
            existing.save(update_fields=["fields", "updated_at"])
            return existing
    try:
        with transaction.atomic():
            draft, _ = FunctionDraft.objects.update_or_create(**owner, defaults={"fields": fields})
    except IntegrityError:  # the other save created it first
        draft = FunctionDraft.objects.get(**owner)
        draft.fields = fields
        draft.save(update_fields=["fields", "updated_at"])
    if not request.user.is_authenticated:
        ids = request.session.get(SESSION_DRAFTS, [])
        if draft.pk not in ids:
            request.session[SESSION_DRAFTS] = [*ids, draft.pk][-20:]
    return draft


def discard(request, function: Function | None) -> None:
    _owned(request, function).delete()


def move_to_user(ids: list[int], user) -> None:
    """Give anonymous drafts to ``user``; where they already have one, the newer wins."""
    with transaction.atomic():
        for draft in FunctionDraft.objects.select_for_update().filter(
            pk__in=ids, user__isnull=True
        ):
            mine = (
                FunctionDraft.objects.select_for_update()
                .filter(user=user, function__isnull=True)
                .first()
            )
            if mine is None:
                draft.user, draft.session_key = user, ""
                draft.save(update_fields=["user", "session_key", "updated_at"])
                continue
            if draft.updated_at > mine.updated_at:
                mine.fields = draft.fields
                mine.save(update_fields=["fields", "updated_at"])
            draft.delete()
