from django.urls import path

from course.lessons import views

# No namespace: templates and tests name these "home" and "lesson".
urlpatterns = [
    path("", views.home, name="home"),
    path("lessons/<slug:slug>/", views.lesson_detail, name="lesson"),
]
