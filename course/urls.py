from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from course import accounts, health, views
from course.login_throttle import ThrottledAuthenticationForm

urlpatterns = [
    path("", views.home, name="home"),
    path("lessons/<slug:slug>/", views.lesson_detail, name="lesson"),
    path("", include("course.tools_urls")),
    path("", include("quizzes.urls")),
    path("", include("course.labs.urls")),
    path("healthz", health.healthz, name="healthz"),
    path("accounts/signup/", accounts.signup, name="signup"),
    path(
        "accounts/login/",
        auth_views.LoginView.as_view(authentication_form=ThrottledAuthenticationForm),
        name="login",
    ),
    path("accounts/", include("django.contrib.auth.urls")),
    path("admin/", admin.site.urls),
]
