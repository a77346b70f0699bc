"""Sign-up and the throttled log-in; every other account page is Django's own auth views.

No namespace: Django's auth views and templates name these "login", "logout", "signup"...
"""

from django.contrib.auth import views as auth_views
from django.urls import include, path

from course.accounts import views
from course.accounts.forms import ThrottledAuthenticationForm

urlpatterns = [
    path("signup/", views.signup, name="signup"),
    path("profile/", views.account, name="account"),
    path("profile/calendar/reset/", views.reset_calendar, name="reset_calendar"),
    path(
        "login/",
        auth_views.LoginView.as_view(authentication_form=ThrottledAuthenticationForm),
        name="login",
    ),
    path("", include("django.contrib.auth.urls")),
]
