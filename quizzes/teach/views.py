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

from course.accounts.models import Profile
from course.common import ical
from quizzes import reports
from quizzes.models import (
    Assignment,
    Classroom,
    Enrollment,
    Extension,
    StudentNote,
)
from quizzes.teach import queries
from quizzes.teach.access import taught_class, teacher_required
from quizzes.teach.csv import (
    analysis_csv_rows,
    canvas_rows,
    csv_response,
    lab_analysis_csv_rows,
    matrix_csv_rows,
    moodle_rows,
)
from quizzes.teach.forms import (
    AssignmentForm,
    ClassroomForm,
    CoTeacherForm,
    ExtensionForm,
    JoinForm,
    NoteForm,
)


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
    archived = request.GET.get("archived") == "1"
    context = {
        "classes": queries.classes_taught_archived(request.user, archived),
        "form": form,
        "archived": archived,
    }
    return page(request, "home", context, status=status)


ARCHIVED = "{name} is archived, so it is read-only: unarchive it on its settings page to change it."


def refuse_archived(request: HttpRequest, classroom: Classroom) -> HttpResponse | None:
    """Every change to an archived class stops here (its reports stay readable)."""
    if not classroom.is_archived:
        return None
    message = ARCHIVED.format(name=classroom.name)
    return render(request, "quizzes/problem.html", {"message": message}, status=400)


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
    # Its LMS link (quizzes/teach/lti), if any, comes in the same query: the LMS roster panel.
    classroom = taught_class(request, pk, related=("lti",))
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
    if refused := refuse_archived(request, classroom):
        return refused
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
    if refused := refuse_archived(request, classroom):
        return refused
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
    if refused := refuse_archived(request, classroom):
        return refused
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
    if refused := refuse_archived(request, classroom):
        return refused
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
        "labs": queries.class_lab_analysis(classroom),
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
    report = queries.student_report(student, classroom)
    note = queries.student_note(classroom, user_id)
    context = {
        "classroom": classroom,
        "report": report,
        "note": note,
        "note_form": NoteForm(instance=note),
    }
    return page(request, "student", context)


@require_POST
@teacher_required
def student_note(request: HttpRequest, pk: int, user_id: int) -> HttpResponse:
    """Save the class's private note about a student (shared by its teachers only)."""
    classroom = taught_class(request, pk)
    student = queries.class_student(classroom, user_id)
    if student is None:
        raise Http404("No such student in this class.")
    if refused := refuse_archived(request, classroom):
        return refused
    note = queries.student_note(classroom, user_id) or StudentNote(
        classroom=classroom, student_id=user_id
    )
    form = NoteForm(request.POST, instance=note)
    url = reverse("quizzes:teach_student", kwargs={"pk": pk, "user_id": user_id}) + "#note"
    if form.is_valid():
        note = form.save(commit=False)
        note.updated_by = request.user
        note.save()
        messages.success(request, "Note saved. Only this class's teachers can read it.")
        return redirect(url)
    report = queries.student_report(student, classroom)
    context = {"classroom": classroom, "report": report, "note": note, "note_form": form}
    return render(request, "teach/student.html", context, status=400)


@require_GET
@teacher_required
@never_cache
def matrix_csv(request: HttpRequest, pk: int) -> HttpResponse:
    classroom = taught_class(request, pk)
    matrix = queries.progress_matrix(classroom, request.GET.get("sort"))
    rows = matrix_csv_rows(matrix.rows, matrix.lessons)
    return csv_response(f"{classroom.file_slug}-progress.csv", rows)


GRADEBOOKS = {"moodle": moodle_rows, "canvas": canvas_rows}


@require_GET
@teacher_required
@never_cache
def gradebook_csv(request: HttpRequest, pk: int, lms: str) -> HttpResponse:
    """One row per student, one column per assignment (percentages), in the LMS's own CSV."""
    if lms not in GRADEBOOKS:
        raise Http404("No such gradebook format.")
    classroom = taught_class(request, pk)
    matrix = queries.progress_matrix(classroom)
    rows = GRADEBOOKS[lms](matrix.rows, matrix.assignments, classroom.name)
    return csv_response(f"{classroom.file_slug}-{lms}-grades.csv", rows)


@require_GET
@teacher_required
@never_cache
def lab_analysis_csv(request: HttpRequest, pk: int) -> HttpResponse:
    classroom = taught_class(request, pk)
    rows = lab_analysis_csv_rows(queries.class_lab_analysis(classroom))
    return csv_response(f"{classroom.file_slug}-labs.csv", rows)


# --- Teacher: class settings, archive, assignments ---------------------------------------------


@require_http_methods(["GET", "POST"])
@teacher_required
def class_settings(request: HttpRequest, pk: int) -> HttpResponse:
    """Rename the class, change its time zone; archive or unarchive it."""
    classroom = taught_class(request, pk)
    if request.method == "POST":
        if refused := refuse_archived(request, classroom):
            return refused
        form = ClassroomForm(request.POST, instance=classroom)
        if form.is_valid():
            form.save()
            messages.success(request, "Class settings saved.")
            return redirect("quizzes:teach_settings", pk=classroom.pk)
        context = {"classroom": classroom, "form": form}
        return render(request, "teach/settings.html", context, status=400)
    form = ClassroomForm(instance=classroom)
    return render(request, "teach/settings.html", {"classroom": classroom, "form": form})


@require_POST
@teacher_required
def archive(request: HttpRequest, pk: int) -> HttpResponse:
    """POST action=archive|unarchive."""
    classroom = taught_class(request, pk)
    action = request.POST.get("action", "")
    if action not in {"archive", "unarchive"}:
        message = "Choose whether to archive or unarchive the class."
        return render(request, "quizzes/problem.html", {"message": message}, status=400)
    classroom.is_archived = action == "archive"
    classroom.save(update_fields=["is_archived", "updated_at"])
    if classroom.is_archived:
        messages.success(
            request,
            f"{classroom.name} is archived: read-only, closed to new students, and listed "
            "under archived classes.",
        )
    else:
        messages.success(request, f"{classroom.name} is active again.")
    return redirect("quizzes:teach_settings", pk=classroom.pk)


def assignments_context(classroom: Classroom, **extra) -> dict:
    students = queries.student_infos(classroom)
    assignments = list(
        Assignment.objects.filter(classroom=classroom)
        .select_related("lesson")
        .prefetch_related("extensions__student")
        .order_by("due_at", "pk")
    )
    return {
        "classroom": classroom,
        "assignments": assignments,
        "form": AssignmentForm(classroom=classroom),
        "extension_form": ExtensionForm(
            classroom=classroom, students=students, assignments=assignments
        ),
        "students": {student.id: student for student in students},
        **extra,
    }


@require_http_methods(["GET", "POST"])
@teacher_required
def assignments(request: HttpRequest, pk: int) -> HttpResponse:
    """The class's assignments; POST assigns a lesson with a due date and time."""
    classroom = taught_class(request, pk)
    if request.method == "GET":
        return render(request, "teach/assignments.html", assignments_context(classroom))
    if refused := refuse_archived(request, classroom):
        return refused
    form = AssignmentForm(request.POST, classroom=classroom)
    if form.is_valid():
        Assignment.objects.create(
            classroom=classroom,
            lesson=form.cleaned_data["lesson"],
            due_at=form.cleaned_data["due_at"],
            created_by=request.user,
        )
        messages.success(request, f"{form.cleaned_data['lesson'].title} assigned.")
        return redirect("quizzes:teach_assignments", pk=classroom.pk)
    context = assignments_context(classroom, form=form)
    return render(request, "teach/assignments.html", context, status=400)


def class_assignment(classroom: Classroom, assignment_id: int) -> Assignment:
    return get_object_or_404(
        Assignment.objects.select_related("lesson"), classroom=classroom, pk=assignment_id
    )


@require_POST
@teacher_required
def delete_assignment(request: HttpRequest, pk: int, assignment_id: int) -> HttpResponse:
    classroom = taught_class(request, pk)
    assignment = class_assignment(classroom, assignment_id)
    if refused := refuse_archived(request, classroom):
        return refused
    assignment.delete()
    messages.success(request, f"{assignment.lesson.title} is no longer assigned.")
    return redirect("quizzes:teach_assignments", pk=classroom.pk)


@require_POST
@teacher_required
def add_extension(request: HttpRequest, pk: int) -> HttpResponse:
    """Give one student their own due date for one assignment (replacing an earlier one)."""
    classroom = taught_class(request, pk)
    if refused := refuse_archived(request, classroom):
        return refused
    students = queries.student_infos(classroom)
    assignments = list(Assignment.objects.filter(classroom=classroom).select_related("lesson"))
    form = ExtensionForm(
        request.POST, classroom=classroom, students=students, assignments=assignments
    )
    if form.is_valid():
        assignment = next(a for a in assignments if a.pk == form.cleaned_data["assignment"])
        Extension.objects.update_or_create(
            assignment=assignment,
            student_id=form.cleaned_data["student"],
            defaults={"due_at": form.cleaned_data["due_at"]},
        )
        name = next(s.display for s in students if s.id == form.cleaned_data["student"])
        messages.success(request, f"{name} has a new due date for {assignment.lesson.title}.")
        return redirect("quizzes:teach_assignments", pk=classroom.pk)
    context = assignments_context(classroom)
    context["extension_form"] = form
    return render(request, "teach/assignments.html", context, status=400)


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
    if enrollment.classroom.is_archived:
        # An archived class is a closed record: its roster is part of it, for students too.
        message = (
            f"{name} is archived, so it is read-only: its roster cannot change, and you stay in "
            "it. Ask its teacher if you need to be removed."
        )
        return render(request, "quizzes/problem.html", {"message": message}, status=400)
    enrollment.delete()
    messages.success(request, f"You left {name}.")
    return redirect("quizzes:classes")


# --- Students: the calendar feed ---------------------------------------------------------------


@require_GET
@never_cache
def calendar_feed(request: HttpRequest, token: str) -> HttpResponse:
    """The student's due dates as iCalendar. No log-in (calendar apps cannot sign in): the
    unguessable token in the URL is the key, and the student can reset it."""
    profile = get_object_or_404(Profile.objects.select_related("user"), calendar_token=token)
    items = queries.due_items(profile.user)
    events = [
        ical.Event(
            uid=f"assignment-{item.state.assignment.id}-user-{profile.user_id}@cloud-compute-course",
            start=item.due_at,
            summary=f"Due: {item.title} ({item.classroom_name})",
            description=f"{item.title} for {item.classroom_name}: read it, pass its quiz and "
            "its labs.",
            url=request.build_absolute_uri(item.url),
        )
        for item in items
    ]
    body = ical.calendar(events, name="Cloud Compute Course: due dates")
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="due-dates.ics"'
    return response
