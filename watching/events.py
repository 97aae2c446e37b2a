"""
The fan-out: an event on a claim or a conflict becomes one notification for
each of its watchers, in the event's own transaction (docs/watching.md).

The events are raised in one place each:

- a claim approved: `Claim.save`, when a claim becomes approved (approval,
  restore, a case file's approved claims); the spreadsheet import's bulk
  write (`claims.spreadsheet.write`);
- a conflict opened: `claims.detection`, when it opens a pair or reopens one
  it had closed itself (`_write_conflicts`), and the batched path's bulk
  insert (`_recompute_batch`);
- a conflict resolved, or reopened by a moderator: `Conflict.resolve`,
  `Conflict.reopen`.

Who is told: the active watchers of the topic, the detainee, the speaker (and
the organisation the speaker speaks for) and, for a conflict event, the
conflict itself and both its claims' speakers; each watcher once per event,
never the person who acted. Readers are told only of public things
(docs/publication.md): every claim an event names must be approved or
retracted; otherwise only those who see unpublished research are told.

Cost: inside `collected()` (detection.deferred() opens one: bulk approval,
the case-file import) events wait and are written together when the block
ends, still inside its transaction. Whatever the number of events, a chunk
of CHUNK events costs the same few queries: the active watches of all their
things (one SELECT), the speakers' organisations (only when someone watches
an organisation), the watchers who may see unpublished research (only for an
event that is not public), one bulk INSERT of the notifications, and one
task row for the e-mails (only when someone wants them at once).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from dataclasses import dataclass, field

from django.db.models import Q
from django.utils import timezone
from simple_history.models import HistoricalRecords

from watching.models import EmailChoice, Event, Notification, Watch

# Events written per round of queries.
CHUNK = 2000

PUBLIC_STATES = ("approved", "retracted")

_pending: ContextVar[list | None] = ContextVar("watching_pending", default=None)
_actor: ContextVar[object | None] = ContextVar("watching_actor", default=None)
_created: ContextVar[_Created | None] = ContextVar("watching_created", default=None)


@dataclass(frozen=True)
class Happening:
    """One event, with what it concerns (the watchable things) and who did it."""

    event: str
    topic_id: int
    claim_id: int | None = None
    conflict_id: int | None = None
    detainee_id: int | None = None
    speaker_ids: tuple[int, ...] = ()
    actor_id: int | None = None
    public: bool = True
    at: object = field(default=None, compare=False)


@contextlib.contextmanager
def collected() -> Iterator[None]:
    """Collect the events of the block and write their notifications once, as it ends.

    Use inside the writing transaction: the notifications are written before
    it commits, so they exist if and only if the events do. Nested: the outer
    block writes.
    """
    if _pending.get() is not None:
        yield
        return
    pending: list[Happening] = []
    token = _pending.set(pending)
    try:
        yield
        _pending.set(None)
        notify(pending)
    finally:
        _pending.reset(token)


@dataclass
class _Created:
    topics: set[int] = field(default_factory=set)
    sources: dict[int, int | None] = field(default_factory=dict)  # new source → its affiliation
    conflicts: set[int] = field(default_factory=set)


@contextlib.contextmanager
def creating() -> Iterator[None]:
    """Within the block, the fan-out skips the watchers of what `created()` names.

    For a bulk writer (the spreadsheet import) that creates topics, sources
    and conflicts in its transaction and raises thousands of events about
    them: a thing created in this very transaction cannot be watched yet
    (a watch names a stored row, and no other transaction sees it before the
    commit), so looking up its watchers (IN lists of thousands of keys) can
    only find nothing. Notifications written after the block ends (an
    enclosing `collected()`) look everything up, as without it. Nested: the
    outer block's record is kept.
    """
    if _created.get() is not None:
        yield
        return
    token = _created.set(_Created())
    try:
        yield
    finally:
        _created.reset(token)


def created(*, topics=(), sources=(), conflicts=()) -> None:
    """Note topics, sources and conflicts (saved objects) just created in this transaction.

    Only inside `creating()`, else nothing. A new source's affiliation
    (an organisation, perhaps a stored one that someone watches) is kept:
    its watchers are still told what the new source says.
    """
    record = _created.get()
    if record is None:
        return
    record.topics.update(topic.pk for topic in topics)
    record.sources.update((source.pk, source.affiliation_id) for source in sources)
    record.conflicts.update(conflict.pk for conflict in conflicts)


@contextlib.contextmanager
def acting(user) -> Iterator[None]:
    """Name who acts for the events of the block (a worker's import: no request)."""
    token = _actor.set(user)
    try:
        yield
    finally:
        _actor.reset(token)


def actor_id(by) -> int | None:
    """Return who acts: `by`, else the block's `acting` user, else the request's user."""
    for user in (
        by,
        _actor.get(),
        getattr(getattr(HistoricalRecords.context, "request", None), "user", None),
    ):
        if user is not None and getattr(user, "is_authenticated", False):
            return user.pk
    return None


def raised(happenings: Iterable[Happening]) -> None:
    """Write these events' notifications now, or at the end of the enclosing `collected()`."""
    pending = _pending.get()
    if pending is not None:
        pending.extend(happenings)
    else:
        notify(list(happenings))


# The events ---------------------------------------------------------------


def claims_approved(claims, *, by=None) -> None:
    """Claims just became approved (Claim objects with source_id, topic_id, detainee_id)."""
    who = actor_id(by)
    raised(
        Happening(
            event=Event.CLAIM_APPROVED,
            topic_id=claim.topic_id,
            claim_id=claim.pk,
            detainee_id=claim.detainee_id,
            speaker_ids=(claim.source_id,),
            actor_id=who,
            public=claim.state in PUBLIC_STATES,
        )
        for claim in claims
    )


def conflicts_opened(conflicts, speakers: dict[int, int], *, by=None) -> None:
    """Detection opened (or reopened) these conflicts; `speakers` maps claim ids to their sources.

    Detection opens pairs of approved claims only: always public.
    """
    who = actor_id(by)
    raised(
        _conflict_happening(Event.CONFLICT_OPENED, c, speakers, who, public=True) for c in conflicts
    )


def conflict_decided(conflict, event: str, *, by) -> None:
    """A moderator resolved or reopened a conflict (its claims loaded)."""
    speakers = {claim.pk: claim.source_id for claim in conflict.claims}
    public = all(claim.state in PUBLIC_STATES for claim in conflict.claims)
    raised([_conflict_happening(event, conflict, speakers, actor_id(by), public=public)])


def _conflict_happening(event, conflict, speakers, who, *, public) -> Happening:
    return Happening(
        event=event,
        topic_id=conflict.topic_id,
        conflict_id=conflict.pk,
        detainee_id=conflict.detainee_id,
        speaker_ids=tuple(
            s
            for s in (speakers.get(conflict.claim_a_id), speakers.get(conflict.claim_b_id))
            if s is not None
        ),
        actor_id=who,
        public=public,
    )


# The fan-out --------------------------------------------------------------


def notify(happenings: list[Happening]) -> int:
    """Write one notification per (watcher, event); return how many were written."""
    written = 0
    for start in range(0, len(happenings), CHUNK):
        written += _notify_chunk(happenings[start : start + CHUNK])
    return written


def _notify_chunk(happenings: list[Happening]) -> int:
    if not happenings:
        return 0
    from sources.models import Source

    topics = {h.topic_id for h in happenings}
    detainees = {h.detainee_id for h in happenings} - {None}
    all_speakers = speakers = {s for h in happenings for s in h.speaker_ids}
    conflicts = {h.conflict_id for h in happenings} - {None}
    # What this transaction created cannot be watched (see creating()); a new
    # speaker's organisation can be, and is known without a query.
    new_organisations: dict[int, int] = {}
    record = _created.get()
    if record is not None:
        topics = topics - record.topics
        conflicts = conflicts - record.conflicts
        speakers = speakers - record.sources.keys()
        new_organisations = {
            s: record.sources[s] for s in all_speakers - speakers if record.sources[s] is not None
        }
    wanted = Q(topic_id__in=topics)
    if speakers:
        # The speakers' organisations are watched sources too: a subquery, not a round trip.
        organisations = Source.objects.filter(pk__in=speakers, affiliation__isnull=False).values(
            "affiliation_id"
        )
        wanted |= Q(source_id__in=speakers) | Q(source_id__in=organisations)
    known = set(new_organisations.values()) - (record.sources.keys() if record else set())
    if known:
        wanted |= Q(source_id__in=known)
    if detainees:
        wanted |= Q(detainee_id__in=detainees)
    if conflicts:
        wanted |= Q(conflict_id__in=conflicts)
    watches = list(
        Watch.objects.active()
        .filter(wanted, user__is_active=True)
        .values_list(
            "user_id",
            "topic_id",
            "detainee_id",
            "source_id",
            "conflict_id",
            "user__email",
            "user__email_preference__email",
        )
    )
    if not watches:
        return 0

    watchers: dict[tuple[str, int], set[int]] = {}
    wants_mail: set[int] = set()
    for user_id, topic, detainee, source, conflict, address, choice in watches:
        kind, pk = next(
            (k, v)
            for k, v in (
                ("topic", topic),
                ("detainee", detainee),
                ("source", source),
                ("conflict", conflict),
            )
            if v is not None
        )
        watchers.setdefault((kind, pk), set()).add(user_id)
        if address and (choice or EmailChoice.INSTANT) == EmailChoice.INSTANT:
            wants_mail.add(user_id)

    # A watched organisation hears what those who speak for it say.
    affiliation: dict[int, int] = {}
    watched_sources = {pk for kind, pk in watchers if kind == "source"}
    if watched_sources - all_speakers:
        affiliation = dict(new_organisations)
        if speakers:
            affiliation.update(
                Source.objects.filter(pk__in=speakers, affiliation__isnull=False).values_list(
                    "pk", "affiliation_id"
                )
            )

    private_audience: set[int] | None = None
    now = timezone.now()
    rows: list[Notification] = []
    for h in happenings:
        users: set[int] = set()
        users |= watchers.get(("topic", h.topic_id), set())
        if h.detainee_id is not None:
            users |= watchers.get(("detainee", h.detainee_id), set())
        if h.conflict_id is not None:
            users |= watchers.get(("conflict", h.conflict_id), set())
        for speaker in h.speaker_ids:
            users |= watchers.get(("source", speaker), set())
            if speaker in affiliation:
                users |= watchers.get(("source", affiliation[speaker]), set())
        users.discard(h.actor_id)
        if not h.public and users:
            if private_audience is None:
                private_audience = _seeing_unpublished({u for u, *_ in watches})
            users &= private_audience
        rows.extend(
            Notification(
                user_id=user_id,
                event=h.event,
                claim_id=h.claim_id,
                conflict_id=h.conflict_id,
                topic_id=h.topic_id,
                actor_id=h.actor_id,
                created_at=now,
            )
            for user_id in sorted(users)
        )
    if not rows:
        return 0
    Notification.objects.bulk_create(rows, batch_size=CHUNK)
    mailed = [row.pk for row in rows if row.user_id in wants_mail]
    if mailed:
        # The task's row is written in this transaction: the worker sees it
        # once the notifications are committed, and never without them.
        from watching.tasks import email_notifications

        email_notifications.enqueue(mailed)
    return len(rows)


def _seeing_unpublished(user_ids: set[int]) -> set[int]:
    """Return those of these users who may see unpublished research (claims.add_claim)."""
    from django.contrib.auth import get_user_model

    allowed = (
        Q(is_superuser=True)
        | Q(
            user_permissions__codename="add_claim",
            user_permissions__content_type__app_label="claims",
        )
        | Q(
            groups__permissions__codename="add_claim",
            groups__permissions__content_type__app_label="claims",
        )
    )
    users = get_user_model().objects.filter(allowed, pk__in=user_ids, is_active=True)
    return set(users.values_list("pk", flat=True).distinct())
