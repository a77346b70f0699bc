from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers

from quizzes.models import ReviewAnswer, ReviewItem
from quizzes.review import schedule, workflow
from quizzes.review.forms import ReviewAnswerForm


def _page(request: HttpRequest, item, form, feedback, status: int = 200) -> HttpResponse:
    context = {
        "item": item,
        "form": form,
        "choices": workflow.shown_choices(item.question) if item else [],
        "feedback": feedback,
        "counts": workflow.counts(request.user),
        "intervals": schedule.INTERVAL_DAYS,
    }
    template = "review/_review.html" if request.htmx else "review/review.html"
    return render(request, template, context, status=status)


@require_GET
@login_required
@vary_on_headers("HX-Request")
def review(request: HttpRequest) -> HttpResponse:
    """The next due question, with the feedback on the one just answered (?answered=<id>)."""
    feedback = None
    answered = request.GET.get("answered", "")
    if answered.isdigit():
        feedback = (
            ReviewAnswer.objects.filter(pk=int(answered), item__user=request.user)
            .select_related("item__question__quiz__lesson")
            .first()
        )
    item = workflow.next_due(request.user)
    form = None
    if item:
        form = ReviewAnswerForm(
            item.question, workflow.shown_choices(item.question), initial={"version": item.version}
        )
    return _page(request, item, form, feedback)


@require_POST
@login_required
def answer(request: HttpRequest, item_id: int) -> HttpResponse:
    item = get_object_or_404(
        ReviewItem.objects.select_related("question__quiz__lesson").prefetch_related(
            "question__choices"
        ),
        pk=item_id,
        user=request.user,  # someone else's item is a 404
    )
    form = ReviewAnswerForm(item.question, workflow.shown_choices(item.question), request.POST)
    if not form.is_valid():
        return _page(request, item, form, None, status=400)
    choices, number = form.response()
    correct = workflow.grade(item.question, choices, number)
    recorded = workflow.record_answer(item, form.cleaned_data["version"], correct)
    if recorded is None:
        messages.info(request, "That question was already answered; here is the next one.")
        return redirect("quizzes:review_due")
    return redirect(f"{reverse('quizzes:review_due')}?answered={recorded.pk}")
