"""
One-time form tokens: a form sent twice at once (a double click, two tabs, a
retrying proxy) does its work once.

- Every form that changes data and would do it twice carries a hidden token,
  a fresh random one each time the page is drawn (`{% submission_token %}`,
  claims.templatetags.submissions; the new-claim form's own `form_token`).
- `submitted_once` writes the token (FormSubmission, unique) FIRST, in the
  same transaction as the view's work. The second of two identical POSTs
  waits on the unique index (PostgreSQL) or for the write lock (SQLite,
  IMMEDIATE transactions) until the first commits, then fails to insert:
  it does nothing and is redirected to where the first one led, with a
  message saying it was done once. If the first rolled back, the second
  goes ahead.
- Only a redirect (the action done, or refused with a message) keeps the
  token; a page drawn again (form errors, a preview) frees it, so that the
  corrected form, sent with the same token, goes through.
- A POST without a token acts as before (scripts, the API, older pages):
  the state checks of each action (approving only a pending claim...) still
  refuse a replay, and the claim form's session list still catches a
  sequential one. A malformed token is refused with 400, doing nothing.
- Kept FORM_SUBMISSION_KEEP_DAYS days (7 by default), then purged by
  `manage.py clean_imports` (`purge_submissions`): a token guards against a
  second sending of the same page, which comes within seconds or minutes,
  not weeks; without the purge the table would grow by a row per tokened
  POST for ever. A row is a technical record (no history, no content of the
  claim or the action: that is in the claims' own history), so it is
  deleted, not kept: a page left open longer than the setting and sent
  twice after that acts twice, as a page without a token would, under the
  same state checks.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from datetime import timedelta
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.db import IntegrityError, transaction
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect
from django.utils import timezone

from claims.models import FormSubmission

FIELD = "submission"
TOKEN = re.compile(r"[0-9a-f]{32}")
REPLAYED = "This form was already sent: it was done once, and not again."


def new_token() -> str:
    return uuid.uuid4().hex


def submitted_once(
    view: Callable[..., HttpResponse] | None = None,
    *,
    field: str = FIELD,
    message: str = REPLAYED,
):
    """Do a POST view's work once per token in `request.POST[field]`.

    The view may set `request.submission_result` to the address a replay is
    sent to; by default, where the view's redirect led.
    """

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            token = request.POST.get(field, "") if request.method == "POST" else ""
            if not token:
                return view(request, *args, **kwargs)
            if not TOKEN.fullmatch(token):
                return HttpResponseBadRequest(
                    "This form's one-time token is not valid: reload the page and send it again."
                )
            user = request.user if request.user.is_authenticated else None
            with transaction.atomic():
                try:
                    with transaction.atomic():
                        record = FormSubmission.objects.create(
                            token=token, user=user, path=request.path[:500]
                        )
                except IntegrityError:
                    return replayed(request, token, user, message)
                response = view(request, *args, **kwargs)
                result = getattr(request, "submission_result", None) or (
                    response.get("Location") if response.status_code in (301, 302, 303) else None
                )
                if result:
                    record.result_url = result[:2000]
                    record.save(update_fields=["result_url"])
                else:
                    # Nothing done (errors, a preview): the corrected form may use it.
                    record.delete()
                return response

        return wrapper

    return decorate(view) if view is not None else decorate


def replayed(request: HttpRequest, token: str, user, message: str) -> HttpResponse:
    first = FormSubmission.objects.filter(token=token).first()
    if first is None or first.user_id != (user.pk if user else None):
        return HttpResponseBadRequest("This form was sent from another session: nothing was done.")
    messages.info(request, message)
    return redirect(first.result_url or request.path)


def purge_submissions(now=None) -> int:
    """Delete the one-time tokens older than FORM_SUBMISSION_KEEP_DAYS; return how many went."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.FORM_SUBMISSION_KEEP_DAYS)
    deleted, _ = FormSubmission.objects.filter(created_at__lt=cutoff).delete()
    return deleted
