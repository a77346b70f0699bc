from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from course.glossary.models import Term
from course.lessons.models import Lesson
from course.server.page_cache import cache_for_anonymous


@require_GET
@cache_for_anonymous
def glossary(request: HttpRequest) -> HttpResponse:
    terms = list(Term.objects.all())
    titles = dict(Lesson.objects.published().values_list("slug", "title"))
    rows = [(term, titles.get(term.lesson_slug, term.lesson_slug)) for term in terms]
    return render(request, "glossary/glossary.html", {"rows": rows})
