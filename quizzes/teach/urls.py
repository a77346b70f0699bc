"""Teacher pages under /teach/ and the students' side of classes under /classes/.

Included by quizzes/urls.py, so the names live in the "quizzes" namespace.
"""

from django.urls import path

from quizzes.teach import views

urlpatterns = [
    path("teach/", views.teach_home, name="teach"),
    path("teach/classes/<int:pk>/", views.class_page, name="teach_class"),
    path("teach/classes/<int:pk>/join-code/", views.join_code, name="teach_join_code"),
    path("teach/classes/<int:pk>/teachers/", views.add_teacher, name="teach_add_teacher"),
    path(
        "teach/classes/<int:pk>/teachers/<int:user_id>/remove/",
        views.remove_teacher,
        name="teach_remove_teacher",
    ),
    path("teach/classes/<int:pk>/analysis/", views.analysis_page, name="teach_analysis"),
    path(
        "teach/classes/<int:pk>/students/<int:user_id>/",
        views.student_page,
        name="teach_student",
    ),
    path(
        "teach/classes/<int:pk>/students/<int:user_id>/remove/",
        views.remove_student,
        name="teach_remove_student",
    ),
    path("teach/classes/<int:pk>/matrix.csv", views.matrix_csv, name="teach_matrix_csv"),
    path("teach/classes/<int:pk>/analysis.csv", views.analysis_csv, name="teach_analysis_csv"),
    path(
        "teach/classes/<int:pk>/students/<int:user_id>/note/",
        views.student_note,
        name="teach_student_note",
    ),
    path("teach/classes/<int:pk>/labs.csv", views.lab_analysis_csv, name="teach_labs_csv"),
    path(
        "teach/classes/<int:pk>/gradebook-<str:lms>.csv",
        views.gradebook_csv,
        name="teach_gradebook_csv",
    ),
    path("teach/classes/<int:pk>/settings/", views.class_settings, name="teach_settings"),
    path("teach/classes/<int:pk>/archive/", views.archive, name="teach_archive"),
    path("teach/classes/<int:pk>/assignments/", views.assignments, name="teach_assignments"),
    path(
        "teach/classes/<int:pk>/assignments/<int:assignment_id>/delete/",
        views.delete_assignment,
        name="teach_delete_assignment",
    ),
    path(
        "teach/classes/<int:pk>/extensions/",
        views.add_extension,
        name="teach_add_extension",
    ),
    path("classes/calendar/<str:token>.ics", views.calendar_feed, name="calendar_feed"),
    path("classes/", views.my_classes, name="classes"),
    path("classes/join/", views.join, name="join"),
    path("classes/<int:pk>/leave/", views.leave, name="leave"),
]
