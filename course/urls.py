"""The site's URLs: each feature's own urls.py, in the order they are matched."""

from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("course.lessons.urls")),
    path("", include("course.calculator.urls")),
    path("", include("course.runner.web.urls")),
    path("", include("quizzes.urls")),
    path("", include("course.labs.urls")),
    path("", include("course.functions.urls")),
    path("", include("course.functions.monitoring.urls")),
    path("", include("course.functions.schedules.urls")),
    path("", include("course.functions.endpoints.urls")),
    path("", include("course.search.urls")),
    path("", include("course.cheatsheet.urls")),
    path("", include("course.glossary.urls")),
    path("", include("course.server.urls")),
    path("", include("quizzes.teach.lti.urls")),
    path("accounts/", include("course.accounts.urls")),
    path("admin/", admin.site.urls),
]
