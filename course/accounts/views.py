"""Sign-up; every other account page is Django's own auth views (see urls.py here)."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_http_methods, require_POST

from course.accounts.forms import ProfileForm, SignupForm
from course.accounts.models import Profile


def safe_next(request: HttpRequest) -> str | None:
    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return None


@require_http_methods(["GET", "POST"])
def signup(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        return redirect(safe_next(request) or "home")
    form = SignupForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = form.save()
        login(request, user, backend=settings.AUTHENTICATION_BACKENDS[0])
        return redirect(safe_next(request) or "home")
    return render(
        request, "registration/signup.html", {"form": form, "next": safe_next(request) or ""}
    )


def calendar_url(request: HttpRequest, profile: Profile) -> str:
    # By name: the feed is served by the classes feature, which accounts does not import.
    path = reverse("quizzes:calendar_feed", kwargs={"token": profile.calendar_token})
    return request.build_absolute_uri(path)


@require_http_methods(["GET", "POST"])
@login_required
def account(request: HttpRequest) -> HttpResponse:
    """Your display name and student ID (teachers see both), and your calendar feed."""
    profile = Profile.objects.for_user(request.user)
    form = ProfileForm(request.POST or None, instance=profile)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, "Your details are saved.")
        return redirect("account")
    context = {"form": form, "profile": profile, "calendar_url": calendar_url(request, profile)}
    status = 400 if request.method == "POST" else 200
    return render(request, "registration/account.html", context, status=status)


@require_POST
@login_required
def reset_calendar(request: HttpRequest) -> HttpResponse:
    """A new feed address: the old one stops working at once (for a link shared by mistake)."""
    Profile.objects.for_user(request.user).reset_calendar_token()
    messages.success(
        request,
        "Your calendar feed has a new address; the old one no longer works. Subscribe again "
        "with the new one.",
    )
    return redirect(reverse("account") + "#calendar")
