"""Account pages: log in (rate-limited by django-axes), log out, and the lockout page."""

import hashlib
import math

from axes.helpers import get_client_username, get_cool_off, get_failure_limit
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import views as auth_views
from django.core.cache import cache
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from crosscheck.text import text_problem


def cooloff_minutes(request: HttpRequest | None = None) -> int:
    """Return how long a lockout lasts, in whole minutes (rounded up)."""
    cool_off = get_cool_off(request)
    return math.ceil(cool_off.total_seconds() / 60) if cool_off else 0


class LoginView(auth_views.LoginView):
    """Django's login, saying up front how many failed attempts lock it.

    LoginView already keeps `next` on this site: an off-site or scheme-less
    target falls back to LOGIN_REDIRECT_URL.
    """

    template_name = "registration/login.html"

    def post(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        username = str(request.POST.get("username", ""))[:255]
        # A name no account can have (a NUL, a lone surrogate: the text policy)
        # goes straight to the form, which refuses it; PostgreSQL could not
        # even look it up (a 500 in the fault suite).
        if username and not text_problem(username, "Username") and username_throttled(username):
            return throttled(request, username)
        return super().post(request, *args, **kwargs)

    def get_context_data(self, **kwargs) -> dict:
        context = super().get_context_data(**kwargs)
        context["failure_limit"] = get_failure_limit(self.request, None)
        context["cooloff_minutes"] = cooloff_minutes(self.request)
        return context


def username_throttled(username: str) -> bool:
    """Return whether this attempt on `username` must wait (the global per-username throttle).

    Past USERNAME_THROTTLE_FAILURES failures from any addresses within the
    cool-off time, one attempt per USERNAME_THROTTLE_SECONDS goes through (a
    cache `add`, atomic): slow enough to stop guessing from many addresses,
    never a lock an attacker could keep the real user behind.
    """
    cool_off = get_cool_off(None)
    recent = AccessAttempt.objects.filter(username=username)
    if cool_off:
        recent = recent.filter(attempt_time__gte=timezone.now() - cool_off)
    failures = recent.aggregate(total=Sum("failures_since_start"))["total"] or 0
    if failures < settings.USERNAME_THROTTLE_FAILURES:
        return False
    # Hashed: any characters, any length, make a valid cache key.
    key = "login-throttle:" + hashlib.sha256(username.encode()).hexdigest()
    return not cache.add(key, 1, timeout=settings.USERNAME_THROTTLE_SECONDS)


def throttled(request: HttpRequest, username: str) -> HttpResponse:
    seconds = settings.USERNAME_THROTTLE_SECONDS
    response = render(
        request,
        "registration/throttled.html",
        {"username": username, "seconds": seconds},
        status=429,
    )
    response["Retry-After"] = str(seconds)
    return response


login = LoginView.as_view()
# POST only (Django refuses a GET): a link or an image cannot log anyone out.
logout = auth_views.LogoutView.as_view()


def locked_out(
    request: HttpRequest, original_response: HttpResponse | None = None, credentials=None
) -> HttpResponse:
    """Answer a locked-out login with 429 and a page that says how long to wait.

    django-axes calls this (settings.AXES_LOCKOUT_CALLABLE) instead of its
    plain-text message.
    """
    minutes = cooloff_minutes(request)
    context = {
        "failure_limit": get_failure_limit(request, credentials),
        "username": get_client_username(request, credentials) or "",
        "cooloff_minutes": minutes,
    }
    response = render(request, "registration/lockout.html", context, status=429)
    if minutes:
        response["Retry-After"] = str(minutes * 60)
    return response
