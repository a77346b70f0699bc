"""Teacher pages (/teach/...) and the students' side of classes (/classes/...).

Thin views: forms.py validates, queries.py gathers, quizzes/reports.py computes. Every
class-scoped teacher view looks the class up among the classes the signed-in teacher teaches, so
another teacher's class is a 404 (never a 403 that would confirm it exists).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django.views.decorators.vary import vary_on_headers
from django_htmx.http import HttpResponseClientRedirect

from quizzes import reports
from quizzes.models import (
    Classroom,
    Enrollment,
)
from quizzes.teach import queries
from quizzes.teach.access import taught_class, teacher_required
from quizzes.teach.csv import analysis_csv_rows, csv_response, matrix_csv_rows
from quizzes.teach.forms import ClassroomForm, CoTeacherForm, JoinForm


def page(
    request: HttpRequest, name: str, context: dict, fragment: str | None = None, status: int = 200
) -> HttpResponse:
    """The full page teach/<name>.html, or for htmx its fragment (teach/_<name>.html)."""
    if request.htmx:
        return render(request, f"teach/_{fragment or name}.html", context)
    return render(request, f"teach/{name}.html", context, status=status)


# --- Teacher: classes --------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@teacher_required
@vary_on_headers("HX-Request")
def teach_home(request: HttpRequest) -> HttpResponse:
    """The teacher's classes, and the form that creates one."""
    form = ClassroomForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        classroom = form.save(commit=False)
        classroom.save_new_code()
        classroom.teachers.add(request.user)
        messages.success(
            request, f"Class “{classroom.name}” created. Share its join code with your students."
        )
        if request.htmx:
            return HttpResponseClientRedirect(classroom.get_absolute_url())
        return redirect(classroom)
    status = 400 if request.method == "POST" else 200
    context = {"classes": queries.classes_taught(request.user), "form": form}
    return page(request, "home", context, status=status)


def join_url(request: HttpRequest, classroom: Classroom) -> str:
    return request.build_absolute_uri(f"{reverse('quizzes:join')}?code={classroom.join_code}")


def class_context(request: HttpRequest, classroom: Classroom, **extra) -> dict:
    return {
        "classroom": classroom,
        "matrix": queries.progress_matrix(classroom, request.GET.get("sort")),
        "teachers": queries.teacher_names(classroom),
        "join_url": join_url(request, classroom),
        "teacher_form": CoTeacherForm(classroom=classroom),
        **extra,
    }


@require_GET
@teacher_required
@vary_on_headers("HX-Request")
def class_page(request: HttpRequest, pk: int) -> HttpResponse:
    """Join code, teachers and the progress matrix; htmx (sorting) gets the matrix alone."""
    classroom = taught_class(request, pk)
    if request.htmx:
        matrix = queries.progress_matrix(classroom, request.GET.get("sort"))
        return render(request, "teach/_matrix.html", {"classroom": classroom, "matrix": matrix})
    return render(request, "teach/class.html", class_context(request, classroom))


JOIN_CODE_ACTIONS = {
    "regenerate": "New join code: {code}. The old code no longer lets anyone in.",
    "disable": "Join code turned off: nobody new can join until you turn it back on.",
    "enable": "Join code turned on: students can join with {code}.",
}


@require_POST
@teacher_required
def join_code(request: HttpRequest, pk: int) -> HttpResponse:
    """Regenerate, disable or enable the class's join code (POST action=...)."""
    classroom = taught_class(request, pk)
    action = request.POST.get("action", "")
    if action not in JOIN_CODE_ACTIONS:
        message = "Choose what to do with the join code: regenerate, disable or enable."
        if request.htmx:
            context = {"classroom": classroom, "join_url": join_url(request, classroom)}
            return render(request, "teach/_join_code.html", {**context, "error": message})
        return render(request, "quizzes/problem.html", {"message": message}, status=400)
    if action == "regenerate":
        classroom.save_new_code()
    else:
        classroom.join_enabled = action == "enable"
        classroom.save(update_fields=["join_enabled", "updated_at"])
    note = JOIN_CODE_ACTIONS[action].format(code=classroom.join_code)
    if request.htmx:
        context = {"classroom": classroom, "join_url": join_url(request, classroom), "note": note}
        return render(request, "teach/_join_code.html", context)
    messages.success(request, note)
    return redirect(classroom.get_absolute_url() + "#join-code")


@require_POST
@teacher_required
def add_teacher(request: HttpRequest, pk: int) -> HttpResponse:
    """Add a co-teacher by username: they see and manage the class like its creator."""
    classroom = taught_class(request, pk)
    form = CoTeacherForm(request.POST, classroom=classroom)
    if form.is_valid():
        classroom.teachers.add(form.user)
        note = f"{form.user.get_username()} now teaches this class."
        if request.htmx:
            context = {
                "classroom": classroom,
                "teachers": queries.teacher_names(classroom),
                "teacher_form": CoTeacherForm(classroom=classroom),
                "note": note,
            }
            return render(request, "teach/_teachers.html", context)
        messages.success(request, note)
        return redirect(classroom.get_absolute_url() + "#teachers")
    if request.htmx:
        context = {
            "classroom": classroom,
            "teachers": queries.teacher_names(classroom),
            "teacher_form": form,
        }
        return render(request, "teach/_teachers.html", context)
    context = class_context(request, classroom, teacher_form=form)
    return render(request, "teach/class.html", context, status=400)


def confirm_removal(request: HttpRequest, classroom: Classroom, **context) -> HttpResponse:
    """GET of a removal URL: a page that says what will happen, with the POST button. Removing
    someone is one click from the class page, so the click only asks; this works without JS."""
    return render(request, "teach/confirm_remove.html", {"classroom": classroom, **context})


@require_http_methods(["GET", "POST"])
@teacher_required
def remove_teacher(request: HttpRequest, pk: int, user_id: int) -> HttpResponse:
    """GET: confirm. POST: take a teacher off the class (yourself included), as long as one
    teacher remains."""
    classroom = taught_class(request, pk)
    if request.method == "GET":
        teachers = dict(queries.teacher_names(classroom))
        if user_id not in teachers:
            raise Http404("No such teacher in this class.")
        if len(teachers) == 1:
            return last_teacher(request, teachers[user_id])
        yourself = user_id == request.user.pk
        name = "yourself" if yourself else teachers[user_id]
        return confirm_removal(
            request,
            classroom,
            title=f"Remove {name} as a teacher of {classroom.name}?",
            explanation=(
                f"You will no longer see {classroom.name} or its reports. Another teacher of "
                "the class can add you back."
                if yourself
                else f"{name} will no longer see {classroom.name} or its reports. You can add "
                "them back at any time."
            ),
            confirm_label=f"Remove {name} as a teacher",
            cancel_url=classroom.get_absolute_url() + "#teachers",
        )
    with transaction.atomic():
        # Lock the class row: two teachers removing each other at once must not leave none.
        Classroom.objects.select_for_update().get(pk=classroom.pk)
        teachers = dict(queries.teacher_names(classroom))
        if user_id not in teachers:
            raise Http404("No such teacher in this class.")
        if len(teachers) == 1:
            return last_teacher(request, teachers[user_id])
        classroom.teachers.remove(user_id)
    if user_id == request.user.pk:
        messages.success(request, f"You no longer teach {classroom.name}.")
        return redirect("quizzes:teach")
    messages.success(request, f"{teachers[user_id]} no longer teaches this class.")
    return redirect(classroom.get_absolute_url() + "#teachers")


def last_teacher(request: HttpRequest, name: str) -> HttpResponse:
    message = f"A class needs at least one teacher: add another teacher before you remove {name}."
    return render(request, "quizzes/problem.html", {"message": message}, status=400)


@require_http_methods(["GET", "POST"])
@teacher_required
def remove_student(request: HttpRequest, pk: int, user_id: int) -> HttpResponse:
    """GET: confirm. POST: take a student out of the class. Their quiz records stay theirs."""
    classroom = taught_class(request, pk)
    enrollment = get_object_or_404(
        Enrollment.objects.select_related("student"), classroom=classroom, student_id=user_id
    )
    name = enrollment.student.get_username()
    if request.method == "GET":
        return confirm_removal(
            request,
            classroom,
            title=f"Remove {name} from {classroom.name}?",
            explanation=(
                f"{name} leaves {classroom.name} and its reports. Their own reading and quiz "
                "records are kept, and they can rejoin with the class code."
            ),
            confirm_label=f"Remove {name} from {classroom.name}",
            cancel_url=enrollment.get_absolute_url(),
        )
    enrollment.delete()
    messages.success(
        request,
        f"{name} was removed from {classroom.name}. Their own quiz records are kept, and they "
        "can rejoin with the class code.",
    )
    return redirect(classroom.get_absolute_url())


# --- Teacher: reports --------------------------------------------------------------------------


@require_GET
@teacher_required
@vary_on_headers("HX-Request")
def analysis_page(request: HttpRequest, pk: int) -> HttpResponse:
    """Per quiz: the score distribution and each question's statistics."""
    classroom = taught_class(request, pk)
    context = {
        "classroom": classroom,
        "quizzes": queries.class_analysis(classroom),
        "facility_flag": reports.FACILITY_FLAG_BELOW,
        "discrimination_flag": reports.DISCRIMINATION_FLAG_BELOW,
        "min_responses": reports.MIN_RESPONSES_FOR_FLAGS,
    }
    return page(request, "analysis", context)


@require_GET
@teacher_required
@vary_on_headers("HX-Request")
def student_page(request: HttpRequest, pk: int, user_id: int) -> HttpResponse:
    """One student's reading history, attempts and answers; 404 unless they are in the class."""
    classroom = taught_class(request, pk)
    student = queries.class_student(classroom, user_id)
    if student is None:
        raise Http404("No such student in this class.")
    report = queries.student_report(student)
    return page(request, "student", {"classroom": classroom, "report": report})


@require_GET
@teacher_required
@never_cache
def matrix_csv(request: HttpRequest, pk: int) -> HttpResponse:
    classroom = taught_class(request, pk)
    matrix = queries.progress_matrix(classroom, request.GET.get("sort"))
    rows = matrix_csv_rows(matrix.rows, matrix.lessons)
    return csv_response(f"{classroom.file_slug}-progress.csv", rows)


@require_GET
@teacher_required
@never_cache
def analysis_csv(request: HttpRequest, pk: int) -> HttpResponse:
    classroom = taught_class(request, pk)
    rows = analysis_csv_rows(queries.class_analysis(classroom), absolute=request.build_absolute_uri)
    return csv_response(f"{classroom.file_slug}-analysis.csv", rows)


# --- Students: joining and leaving -------------------------------------------------------------


@require_GET
@login_required
@vary_on_headers("HX-Request")
def my_classes(request: HttpRequest) -> HttpResponse:
    enrollments = queries.classes_joined(request.user)
    return page(request, "classes", {"enrollments": enrollments})


@require_http_methods(["GET", "POST"])
@login_required
@vary_on_headers("HX-Request")
def join(request: HttpRequest) -> HttpResponse:
    """GET: the form (?code= fills it in, so a teacher can share a link). POST: join."""
    if request.method == "POST":
        form = JoinForm(request.POST)
        if form.is_valid():
            classroom = form.classroom
            if classroom.enroll(request.user):
                messages.success(request, f"You joined {classroom.name}.")
            else:
                messages.info(request, f"You are already in {classroom.name}.")
            if request.htmx:
                return HttpResponseClientRedirect(reverse("quizzes:classes"))
            return redirect("quizzes:classes")
        return page(request, "join", {"form": form}, fragment="join_form", status=400)
    form = JoinForm(initial={"code": request.GET.get("code", "")[:40]})
    return page(request, "join", {"form": form}, fragment="join_form")


@require_POST
@login_required
def leave(request: HttpRequest, pk: int) -> HttpResponse:
    enrollment = get_object_or_404(
        Enrollment.objects.select_related("classroom"), classroom_id=pk, student=request.user
    )
    name = enrollment.classroom.name
    enrollment.delete()
    messages.success(request, f"You left {name}.")
    return redirect("quizzes:classes")
