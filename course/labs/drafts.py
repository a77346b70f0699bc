"""Lab drafts: saved as the learner types, so a closed tab or a restart loses nothing."""

from __future__ import annotations

from django.db import IntegrityError, transaction

from course.labs.models import Lab, LabDraft

SESSION_DRAFTS = "lab_draft_ids"
MAX_DRAFT_CHARS = 64 * 1024


def current_text(lab: Lab, request) -> str:
    """The learner's draft, or the lab's starter."""
    draft = _owned(lab, request).first()
    return draft.text if draft is not None else lab.starter


def _owned(lab: Lab, request):
    if request.user.is_authenticated:
        return LabDraft.objects.filter(lab=lab, user=request.user)
    key = request.session.session_key
    ids = request.session.get(SESSION_DRAFTS, [])
    if not key or not ids:
        return LabDraft.objects.none()
    return LabDraft.objects.filter(lab=lab, user__isnull=True, pk__in=ids)


def save(lab: Lab, request, text: str) -> LabDraft:
    """Upsert the learner's draft of ``lab`` (a race between two saves keeps one row)."""
    if request.user.is_authenticated:
        owner = {"user": request.user}
    else:
        if not request.session.session_key:
            request.session.save()
        owner = {"user": None, "session_key": request.session.session_key}
        existing = _owned(lab, request).first()
        if existing is not None:
            existing.text = text
            existing.save(update_fields=["text", "updated_at"])
            return existing
    try:
        with transaction.atomic():
            draft, _ = LabDraft.objects.update_or_create(lab=lab, **owner, defaults={"text": text})
    except IntegrityError:  # the other save created it first
        draft = LabDraft.objects.get(lab=lab, **owner)
        draft.text = text
        draft.save(update_fields=["text", "updated_at"])
    if not request.user.is_authenticated:
        ids = request.session.get(SESSION_DRAFTS, [])
        if draft.pk not in ids:
            request.session[SESSION_DRAFTS] = [*ids, draft.pk][-100:]
    return draft


def move_to_user(ids: list[int], user) -> None:
    """Give anonymous drafts to ``user``; where they already have one, the newer text wins."""
    with transaction.atomic():
        for draft in LabDraft.objects.select_for_update().filter(pk__in=ids, user__isnull=True):
            mine = LabDraft.objects.select_for_update().filter(lab=draft.lab, user=user).first()
            if mine is None:
                draft.user, draft.session_key = user, ""
                draft.save(update_fields=["user", "session_key", "updated_at"])
                continue
            if draft.updated_at > mine.updated_at:
                mine.text = draft.text
                mine.save(update_fields=["text", "updated_at"])
            draft.delete()
