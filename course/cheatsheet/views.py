from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from course.lessons.models import Lesson
from course.server import static_urls
from course.server.page_cache import cache_for_anonymous


@require_GET
@cache_for_anonymous
def cheat_sheet(request: HttpRequest) -> HttpResponse:
    """Every lesson's "Key takeaways" on one printable page, as extracted by sync_content."""
    lessons = list(Lesson.objects.published().only("slug", "title", "order", "takeaways_html"))
    sheet = [(lesson, static_urls.resolve(lesson.takeaways_html)) for lesson in lessons]
    return render(request, "cheatsheet/cheat_sheet.html", {"sheet": sheet})
