"""
Limits on what hostile input can make the app store.

django-axes records every failed login's username in a 255-character column;
on PostgreSQL a longer one (Django's login form does not enforce the user
model's 150 before authenticating) made the failed attempt itself fail with
a 500. The fault suite's hostile sweep (tests/ops) found it.
"""

from __future__ import annotations

from django.http import HttpRequest

# axes.models.AccessBase.username: CharField(max_length=255).
AXES_USERNAME_LENGTH = 255


def axes_username(request: HttpRequest, credentials: dict | None = None) -> str | None:
    """Return the username django-axes records and locks on, cut to the length it can store."""
    if credentials:
        username = credentials.get("username")
    else:
        username = getattr(request, "data", request.POST).get("username")
    if username is None:
        return None
    return str(username)[:AXES_USERNAME_LENGTH]
