from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.views.decorators.http import require_GET

from course.lessons.models import Lesson, LessonRead
from course.lessons.reads import remember_anonymous_read
from course.server.page_cache import cache_for_anonymous


def read_lesson_ids(user) -> set[int]:
    if not user.is_authenticated:
        return set()
    return set(LessonRead.objects.filter(user=user).values_list("lesson_id", flat=True))


def record_read(user, lesson: Lesson) -> None:
    """One upsert per visit: the first visit creates the row, later ones move last_read_at."""
    now = timezone.now()
    LessonRead.objects.bulk_create(
        [LessonRead(user=user, lesson=lesson, last_read_at=now)],
        update_conflicts=True,
        unique_fields=["user", "lesson"],
        update_fields=["last_read_at"],
    )


@require_GET
@cache_for_anonymous
def home(request: HttpRequest) -> HttpResponse:
    lessons = list(Lesson.objects.outline())
    read_ids = read_lesson_ids(request.user)
    return render(
        request,
        "lessons/home.html",
        {"lessons": lessons, "read_ids": read_ids, "read_count": len(read_ids)},
    )


@require_GET
@remember_anonymous_read
@cache_for_anonymous
def lesson_detail(request: HttpRequest, slug: str) -> HttpResponse:
    lesson = get_object_or_404(Lesson.objects.published(), slug=slug)
    outline = list(Lesson.objects.outline())
    index = next(i for i, item in enumerate(outline) if item.pk == lesson.pk)
    if request.user.is_authenticated:
        record_read(request.user, lesson)
    read_ids = read_lesson_ids(request.user)
    return render(
        request,
        "lessons/lesson.html",
        {
            "lesson": lesson,
            "outline": outline,
            "previous": outline[index - 1] if index > 0 else None,
            "next": outline[index + 1] if index + 1 < len(outline) else None,
            "position": index + 1,
            "read_ids": read_ids,
        },
    )
