"""Account pages: log in (rate-limited by django-axes), log out, and the lockout page."""

import math

from axes.helpers import get_client_username, get_cool_off, get_failure_limit
from django.contrib.auth import views as auth_views
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render


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

    def get_context_data(self, **kwargs) -> dict:
        context = super().get_context_data(**kwargs)
        context["failure_limit"] = get_failure_limit(self.request, None)
        context["cooloff_minutes"] = cooloff_minutes(self.request)
        return context


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
