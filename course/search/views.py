from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from course.lessons.models import Lesson
from course.search import backends
from course.search.forms import SearchForm


@require_GET
def search(request: HttpRequest) -> HttpResponse:
    """GET /search/?q=: a plain form, so it works without JavaScript; never changes anything."""
    form = SearchForm(request.GET)
    query = ""
    hits: list[backends.Hit] = []
    if form.is_valid():
        query = form.cleaned_data["q"]
        hits = backends.search(query)
    # Suggestions for an empty search, one that matched nothing, or one too long to run.
    suggestions = [] if hits else list(Lesson.objects.outline())
    status = 400 if form.errors else 200
    return render(
        request,
        "search/search.html",
        {"form": form, "query": query, "hits": hits, "suggestions": suggestions},
        status=status,
    )
