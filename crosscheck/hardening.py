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


def client_ip(request: HttpRequest) -> str | None:
    """Return the client's address, read behind settings.TRUSTED_PROXY_COUNT proxies.

    Each trusted proxy appends the address it saw to X-Forwarded-For, so the
    client is that many hops from the right of the header plus REMOTE_ADDR;
    anything further left is whatever the client wrote, and is ignored.
    """
    from django.conf import settings

    remote = request.META.get("REMOTE_ADDR")
    count = settings.TRUSTED_PROXY_COUNT
    if count <= 0:
        return remote
    forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    chain = [a for a in forwarded if a] + ([remote] if remote else [])
    if not chain:
        return None
    return chain[max(0, len(chain) - 1 - count)]
