"""
Watching: a logged-in user follows a topic, detainee, source or conflict and
is told what happens to it (docs/watching.md).

- `Watch`: one user, one thing. Stopping a watch sets `stopped_at`; the row
  stays (nothing is hard-deleted) and watching again clears it. Its history
  says who started and stopped it, and when.
- `Notification`: one event (a claim approved, a conflict opened, resolved
  or reopened) for one watcher, written in the event's own transaction by
  watching.events. Read or not (`read_at`), e-mailed or not (`emailed_at`);
  never deleted.
- `EmailChoice`: how a user wants e-mail: at once, a daily digest, or none.
- `Digest`: one daily e-mail to one user; unique per (user, day), so the
  database itself refuses a second digest for the same day.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from simple_history.models import HistoricalRecords

# What may be watched, by the name used in URLs ("topic", …) and the field on Watch.
KINDS = ("topic", "detainee", "source", "conflict")


class WatchQuerySet(models.QuerySet):
    def active(self) -> WatchQuerySet:
        return self.filter(stopped_at__isnull=True)

    def of(self, obj) -> WatchQuerySet:
        """Return the watches (any user's, active or not) on one watchable thing."""
        return self.filter(**{kind_of(obj): obj})


def kind_of(obj) -> str:
    """Return "topic", "detainee", "source" or "conflict": what kind of thing `obj` is."""
    name = obj._meta.model_name
    if name not in KINDS:
        raise ValueError(f"A {name} cannot be watched.")
    return name


class Watch(models.Model):
    """One user following one topic, detainee, source or conflict."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    topic = models.ForeignKey(
        "claims.Topic", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    detainee = models.ForeignKey(
        "claims.Detainee", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    source = models.ForeignKey(
        "sources.Source", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    conflict = models.ForeignKey(
        "claims.Conflict", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    started_at = models.DateTimeField()
    # Set when the user stops watching; cleared when they watch again.
    stopped_at = models.DateTimeField(null=True, blank=True)

    history = HistoricalRecords()
    objects = WatchQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at", "-pk"]
        constraints = [
            # Exactly one thing watched.
            models.CheckConstraint(
                condition=Q(topic__isnull=False, detainee=None, source=None, conflict=None)
                | Q(topic=None, detainee__isnull=False, source=None, conflict=None)
                | Q(topic=None, detainee=None, source__isnull=False, conflict=None)
                | Q(topic=None, detainee=None, source=None, conflict__isnull=False),
                name="watch_one_thing",
            ),
            *(
                models.UniqueConstraint(
                    fields=["user", kind],
                    condition=Q(**{f"{kind}__isnull": False}),
                    name=f"watch_one_per_user_{kind}",
                )
                for kind in KINDS
            ),
        ]
        # The fan-out reads the active watches of the things an event concerns.
        indexes = [
            models.Index(
                fields=[kind], condition=Q(stopped_at=None), name=f"watch_active_{kind}_idx"
            )
            for kind in KINDS
        ]

    def __str__(self) -> str:
        return f"{self.user} watches {self.target}"

    @property
    def kind(self) -> str:
        return next(kind for kind in KINDS if getattr(self, f"{kind}_id") is not None)

    @property
    def target(self):
        return getattr(self, self.kind)


class EmailChoice(models.TextChoices):
    INSTANT = "instant", "At once: an e-mail for each change"
    DAILY = "daily", "Once a day: a digest of the day’s changes"
    NONE = "none", "No e-mail: only the notifications page"


class EmailPreference(models.Model):
    """How one user wants to be e-mailed; without a row, at once (EmailChoice.INSTANT)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="email_preference"
    )
    email = models.CharField(
        "e-mail me",
        max_length=10,
        choices=EmailChoice.choices,
        default=EmailChoice.INSTANT,
    )

    history = HistoricalRecords()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(email__in=EmailChoice.values), name="email_preference_valid"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user}: {self.get_email_display()}"


class Event(models.TextChoices):
    CLAIM_APPROVED = "claim_approved", "Claim approved"
    CONFLICT_OPENED = "conflict_opened", "Conflict opened"
    CONFLICT_RESOLVED = "conflict_resolved", "Conflict resolved"
    CONFLICT_REOPENED = "conflict_reopened", "Resolution reopened"


class Digest(models.Model):
    """One daily e-mail to one user: at most one per day, as the database enforces."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    day = models.DateField()
    sent_at = models.DateTimeField()
    notification_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["-day", "-pk"]
        constraints = [
            models.UniqueConstraint(fields=["user", "day"], name="digest_one_per_user_per_day")
        ]

    def __str__(self) -> str:
        return f"Digest for {self.user} on {self.day}"


class NotificationQuerySet(models.QuerySet):
    def unread(self) -> NotificationQuerySet:
        return self.filter(read_at__isnull=True)

    def for_display(self) -> NotificationQuerySet:
        return self.select_related(
            "topic",
            "claim__source",
            "conflict__claim_a__source",
            "conflict__claim_b__source",
            "actor",
        )


class Notification(models.Model):
    """One event, for one watcher. Never deleted: read, and e-mailed, are dates."""

    Event = Event

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="notifications"
    )
    event = models.CharField(max_length=20, choices=Event.choices)
    # What it is about: a claim (approved) or a conflict (opened, resolved,
    # reopened), and the topic it is on, for the one-line summary.
    claim = models.ForeignKey(
        "claims.Claim", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    conflict = models.ForeignKey(
        "claims.Conflict", on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    topic = models.ForeignKey("claims.Topic", on_delete=models.PROTECT, related_name="+")
    # Who did it; empty when detection did (a conflict opened by an approval
    # names the approver, when known).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)
    emailed_at = models.DateTimeField(null=True, blank=True)
    digest = models.ForeignKey(
        Digest, on_delete=models.PROTECT, null=True, blank=True, related_name="notifications"
    )

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(condition=Q(event__in=Event.values), name="notification_event"),
            models.CheckConstraint(
                condition=Q(event=Event.CLAIM_APPROVED, claim__isnull=False)
                | (~Q(event=Event.CLAIM_APPROVED) & Q(conflict__isnull=False)),
                name="notification_names_its_subject",
            ),
        ]
        indexes = [
            models.Index(fields=["user", "-created_at", "-id"], name="notification_user_idx"),
            # The header's unread count.
            models.Index(
                fields=["user"], condition=Q(read_at=None), name="notification_unread_idx"
            ),
            # The e-mails still to send.
            models.Index(
                fields=["user"], condition=Q(emailed_at=None), name="notification_mail_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_event_display()} for {self.user}: {self.summary}"

    def get_absolute_url(self) -> str:
        """Return the address of what it is about: the claim's page, or the conflict's."""
        if self.event == Event.CLAIM_APPROVED:
            return reverse("claims:detail", args=[self.claim_id])
        return reverse("claims:conflict", args=[self.conflict_id])

    @property
    def url(self) -> str:
        """Return the absolute address, on SITE_URL, for e-mails."""
        return settings.SITE_URL + self.get_absolute_url()

    @property
    def is_read(self) -> bool:
        return self.read_at is not None

    @property
    def summary(self) -> str:
        """One line: what happened, to what, on which topic."""
        if self.event == Event.CLAIM_APPROVED:
            claim = self.claim
            return (
                f"{claim.source}: “{claim.summary}” ({claim.stated_on:%b %-d, %Y}) on {self.topic}"
            )
        conflict = self.conflict
        what = {
            Event.CONFLICT_OPENED: "opened",
            Event.CONFLICT_RESOLVED: "resolved",
            Event.CONFLICT_REOPENED: "reopened",
        }[self.event]
        return (
            f"{conflict.get_kind_display().split(' (')[0]} #{conflict.pk} {what} on {self.topic}: "
            f"{conflict.claim_a.source} against {conflict.claim_b.source}"
        )
