"""
The e-mails of watching: sent by the background worker, never in a request
(docs/watching.md).

- At once (EmailChoice.INSTANT, the default): `send_instant` e-mails the
  notifications an event wrote, one message per user per event batch (a
  bulk approval of 40 claims on a watched topic is one e-mail listing them).
- Daily (EmailChoice.DAILY): `send_digests` e-mails each user every
  notification not yet e-mailed, once a day. The Digest row (unique per
  user and day) is inserted first, in the same transaction as the marks:
  a second run the same day, or a second worker at once, fails on the
  constraint and sends nothing.
- A notification is marked e-mailed (`emailed_at`) in the transaction that
  sends it: a failed send rolls the mark back, and the next run tries again.

Links are built on SITE_URL, like the feeds', never on a request's host.
"""

from __future__ import annotations

import logging
from datetime import datetime, time, timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import mail
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.utils import timezone

from watching.models import Digest, EmailChoice, Notification

logger = logging.getLogger(__name__)

# Lines listed in one e-mail; the rest are counted and on the notifications page.
SHOWN = 50


def choice_of(user) -> str:
    preference = getattr(user, "email_preference", None)
    return preference.email if preference is not None else EmailChoice.INSTANT


def message(user, notifications: list[Notification], subject: str, template: str):
    body = render_to_string(
        template,
        {
            "user": user,
            "notifications": notifications[:SHOWN],
            "more": max(0, len(notifications) - SHOWN),
            "count": len(notifications),
            "page_url": settings.SITE_URL + "/notifications/",
            "settings_url": settings.SITE_URL + "/notifications/settings/",
            "newsroom": settings.NEWSROOM_NAME,
        },
    )
    return mail.EmailMessage(
        subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=[user.email]
    )


def recipients(user_ids):
    return get_user_model().objects.filter(pk__in=user_ids, is_active=True).exclude(email="")


def locked(notifications):
    # Only the notification rows: the joins for display are on nullable sides.
    return list(
        notifications.for_display().select_for_update(of=("self",)).order_by("created_at", "pk")
    )


def send_instant(notification_ids: list[int]) -> int:
    """E-mail these notifications to those who want e-mail at once; return the e-mails sent."""
    pending = Notification.objects.filter(pk__in=notification_ids, emailed_at=None)
    users = recipients(pending.values("user_id")).select_related("email_preference")
    sent = 0
    with mail.mailers.default as connection:
        for user in users.order_by("pk"):
            if choice_of(user) != EmailChoice.INSTANT:
                continue  # A digest takes them, or no e-mail at all.
            with transaction.atomic():
                rows = locked(pending.filter(user=user))
                if not rows:
                    continue  # Another delivery of this task sent them.
                subject = (
                    f"{settings.NEWSROOM_NAME}: {rows[0].summary}"
                    if len(rows) == 1
                    else f"{settings.NEWSROOM_NAME}: {len(rows)} changes on what you watch"
                )
                connection.send_messages(
                    [message(user, rows, short(subject), "watching/email/instant.txt")]
                )
                Notification.objects.filter(pk__in=[r.pk for r in rows]).update(
                    emailed_at=timezone.now()
                )
                sent += 1
    return sent


def send_digests(now: datetime | None = None) -> int:
    """Send today's digest to each daily user with notifications not yet e-mailed.

    Return how many were sent. A user whose digest for today was sent
    already is skipped (the database refuses a second Digest row).
    """
    now = now or timezone.now()
    day = timezone.localdate(now)
    waiting = Notification.objects.filter(emailed_at=None, created_at__lte=now)
    users = recipients(waiting.values("user_id")).filter(email_preference__email=EmailChoice.DAILY)
    sent = 0
    with mail.mailers.default as connection:
        for user in users.order_by("pk"):
            try:
                with transaction.atomic():
                    digest = Digest.objects.create(user=user, day=day, sent_at=now)
                    rows = locked(waiting.filter(user=user))
                    if not rows:
                        transaction.set_rollback(True)
                        continue
                    subject = (
                        f"{settings.NEWSROOM_NAME} daily digest, {day:%b %-d, %Y}: "
                        f"{len(rows)} change{'s' * (len(rows) != 1)} on what you watch"
                    )
                    connection.send_messages(
                        [message(user, rows, subject, "watching/email/digest.txt")]
                    )
                    Notification.objects.filter(pk__in=[r.pk for r in rows]).update(
                        emailed_at=now, digest=digest
                    )
                    Digest.objects.filter(pk=digest.pk).update(notification_count=len(rows))
                    sent += 1
            except IntegrityError:
                logger.info("The digest of %s for %s was sent already.", user, day)
    return sent


def short(subject: str) -> str:
    return subject if len(subject) <= 150 else subject[:149] + "…"


def next_digest_time(now: datetime | None = None) -> datetime:
    """Return the next NOTIFICATIONS_DIGEST_HOUR o'clock, in TIME_ZONE, after `now`."""
    now = timezone.localtime(now or timezone.now())
    at = timezone.make_aware(
        datetime.combine(now.date(), time(settings.NOTIFICATIONS_DIGEST_HOUR)), now.tzinfo
    )
    return at if at > now else at + timedelta(days=1)
