"""
"What we knew when": topic, detainee and conflict pages as of a past day (issue 14, point 4).

`?as_known_on=2015-01-06` on a topic, detainee or conflict page shows what
Crosscheck knew at the end of that day (in the newsroom's TIME_ZONE): the
claims approved by then, as they read then; the conflicts open then; the
resolutions made by then. All of it is read from the history already kept
(django-simple-history's tables of Claim and Conflict; a resolution is a
conflict's version whose status is `resolved`), never from a second copy.

The rule, as a journalist reads it:

- A claim was known on day D when its newest version recorded before the end
  of D is approved. Its words are that version's: an edit made later is not
  shown, and a claim retracted or edited since is marked so, with a link to
  today's page. A draft, pending or rejected version is never shown, so a
  claim's past starts at its first approval (docs/publication.md): the past
  view shows nothing the public could not see on that day.
- A conflict was open on D when its newest version before the end of D is
  open; a resolution was made by D when that version is resolved.
- The topic, detainee and sources are shown as they are now (their names);
  they were public on D, since an approved claim publishes what it shows and
  publication is never undone. A topic or detainee a reader may not see today
  answers 404, as its page does.
- The timeline links to every day on which something on the page changed (a
  claim approved, edited or retracted; a conflict opened, closed, resolved,
  reopened), with the previous and next ones first, and a date field that
  works without JavaScript. Each past page has a canonical link with its date:
  a citable permalink. A date that is not YYYY-MM-DD, or is after today,
  answers 400 with the reason.

Each page is a fixed number of queries, whatever the number of claims and
conflicts (tests/claims/test_as_known_on.py pins it): the newest versions are
picked in the database by a correlated subquery on the history's (id, date).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from django.conf import settings
from django.db.models import OuterRef, Q, Subquery
from django.db.models.functions import TruncDate
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from claims.models import Claim, Conflict

PARAMETER = "as_known_on"
SHOWN_CLAIMS = 100
SHOWN_CONFLICTS = 50
SHOWN_DATES = 60


class BadDate(ValueError):
    """The as_known_on value is no day the past view can show."""


def asked_day(request: HttpRequest) -> date | None:
    """Return the day asked for, None when the page is asked for as it is today.

    Raise BadDate with a message a reader can act on.
    """
    raw = request.GET.get(PARAMETER)
    if raw is None or not raw.strip():
        return None
    raw = raw.strip()
    try:
        day = date.fromisoformat(raw)
    except ValueError:
        day = None
    if day is None or len(raw) != 10:
        shown = raw if len(raw) <= 40 else raw[:40] + "…"
        raise BadDate(f"“{shown}” is not a date: write it as YYYY-MM-DD, e.g. 2015-01-06.")
    today = timezone.localdate()
    if day > today:
        raise BadDate(
            f"{day:%b} {day.day}, {day.year} is in the future: the past view shows what was "
            f"known on a day up to today ({today.isoformat()})."
        )
    return day


def end_of(day: date) -> datetime:
    """Return the first instant after `day`, in the newsroom's time zone."""
    return timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


def bad_date(request: HttpRequest, message: str, today_url: str) -> HttpResponse:
    return render(
        request,
        "claims/past_bad_date.html",
        {"message": message, "today_url": today_url},
        status=400,
    )


def newest_versions(history, cutoff: datetime, **where):
    """Return the newest version before `cutoff` of each row that ever matched `where`.

    One query: the versions matching `where` whose history_id is the newest
    of their row's versions before the cutoff (a correlated subquery).
    """
    newest = (
        history.filter(id=OuterRef("id"), history_date__lt=cutoff)
        .order_by("-history_date", "-history_id")
        .values("history_id")[:1]
    )
    return history.filter(history_date__lt=cutoff, **where).filter(history_id=Subquery(newest))


def claims_known(cutoff: datetime, **where) -> list:
    """Return the claims approved at `cutoff`, as they read then, newest first."""
    versions = (
        newest_versions(Claim.history, cutoff, **where)
        .filter(state=Claim.State.APPROVED)
        .select_related("source__affiliation", "topic", "detainee", "document")
        .order_by("-stated_on", "-id")[:SHOWN_CLAIMS]
    )
    versions = list(versions)
    if versions:
        # Marked when retracted or edited since: one query for the page.
        now = {
            pk: (state, version)
            for pk, state, version in Claim.objects.filter(
                pk__in=[v.id for v in versions]
            ).values_list("pk", "state", "version")
        }
        for v in versions:
            state, version = now.get(v.id, (None, None))
            v.retracted_since = state == Claim.State.RETRACTED
            v.changed_since = not v.retracted_since and version != v.version
    for v in versions:
        v.get_absolute_url = Claim(pk=v.id).get_absolute_url
    return versions


def conflicts_then(cutoff: datetime, **where) -> tuple[list, list]:
    """Return (the conflicts open at `cutoff`, the resolutions made by then), newest first."""
    versions = list(
        newest_versions(Conflict.history, cutoff, **where)
        .filter(status__in=[Conflict.Status.OPEN, Conflict.Status.RESOLVED])
        .order_by("-status_changed_at", "-id")[: 2 * SHOWN_CONFLICTS]
    )
    for v in versions:
        v.get_absolute_url = Conflict(pk=v.id).get_absolute_url
    open_ = [v for v in versions if v.status == Conflict.Status.OPEN][:SHOWN_CONFLICTS]
    resolved = [v for v in versions if v.status == Conflict.Status.RESOLVED][:SHOWN_CONFLICTS]
    return open_, resolved


def change_days(claims: Q, conflicts: Q) -> list[date]:
    """Return the days on which a public claim or a conflict of the page changed, oldest first.

    Public: approved and retracted versions (a retraction notice is public);
    drafts, submissions and rejections are not days a reader can see.
    """
    tz = timezone.get_current_timezone()
    claim_days = (
        Claim.history.filter(claims, state__in=[Claim.State.APPROVED, Claim.State.RETRACTED])
        .annotate(day=TruncDate("history_date", tzinfo=tz))
        .order_by()
        .values_list("day", flat=True)
        .distinct()
    )
    conflict_days = (
        Conflict.history.filter(conflicts)
        .annotate(day=TruncDate("history_date", tzinfo=tz))
        .order_by()
        .values_list("day", flat=True)
        .distinct()
    )
    return sorted(set(claim_days) | set(conflict_days))


@dataclass
class Timeline:
    """The control that moves the page through the days something changed."""

    day: date
    days: list[date]
    path: str

    def url(self, day: date) -> str:
        joint = "&" if "?" in self.path else "?"  # The board's path carries its topic.
        return f"{self.path}{joint}{PARAMETER}={day.isoformat()}"

    @property
    def previous(self) -> date | None:
        earlier = [d for d in self.days if d < self.day]
        return earlier[-1] if earlier else None

    @property
    def next(self) -> date | None:
        later = [d for d in self.days if d > self.day]
        return later[0] if later else None

    @property
    def previous_url(self) -> str:
        return self.url(self.previous) if self.previous else ""

    @property
    def next_url(self) -> str:
        return self.url(self.next) if self.next else ""

    @property
    def links(self) -> list[tuple[date, str, bool]]:
        """The change days nearest the day shown, each with its URL and whether it is shown."""
        days = self.days
        if len(days) > SHOWN_DATES:
            # Keep those nearest the day shown.
            days = sorted(sorted(days, key=lambda d: abs((d - self.day).days))[:SHOWN_DATES])
        return [(d, self.url(d), d == self.day) for d in days]


def past_context(request: HttpRequest, day: date, days: list[date], path: str = "") -> dict:
    path = path or request.path
    timeline = Timeline(day, days, path)
    return {
        "day": day,
        "timeline": timeline,
        "today_url": path,
        "canonical": f"{settings.SITE_URL}{timeline.url(day)}",
    }


def board_claims(topic, detainees: list, day: date) -> list[Claim]:
    """The status board's cells as known on `day`: each page detainee's claims known then.

    From history only: the claims approved at the end of the day, as they
    read then, less those a later statement of the same source had
    superseded by then (derived again, as detection does). One query for
    the page, whatever the day.
    """
    claims = person_claims_then(end_of(day), topic.pk, detainee_id__in=[d.pk for d in detainees])
    for claim in claims:
        claim.topic = topic  # value_display reads the topic's quantity label
    claims.sort(key=lambda c: (c.stated_on, c.effective_as_of, c.pk))  # the latest word last
    return current_then(claims, topic.rules)


def board_context(request: HttpRequest, topic, day: date) -> dict:
    """What the past board adds: the banner's day and links, the timeline of the topic's changes."""
    per_person = Q(topic_id=topic.pk, detainee__isnull=False)
    days = change_days(per_person, per_person)
    path = f"{request.path}?topic={topic.slug}"
    return {**past_context(request, day, days, path), "past": True, "board_topic": topic}


def topic_as_known_on(request: HttpRequest, topic, day: date) -> HttpResponse:
    """The topic as known on `day`; with the present page's derived count and party grouping.

    The derived count is the topic page's rule asked of the per-person claims
    known then (`named_count_then`); the claims are grouped by the topic's
    parties as recorded now (a party is a fact about the topic, as the
    sources' names are shown as they are now), by the affiliations as now.
    """
    cutoff = end_of(day)
    claims = claims_known(cutoff, topic_id=topic.pk)
    open_, resolved = conflicts_then(cutoff, topic_id=topic.pk)
    days = change_days(Q(topic_id=topic.pk), Q(topic_id=topic.pk))
    parties = list(topic.parties.current().select_related("source").order_by("source__name"))
    by_parties = claims_by_parties(claims, parties)
    context = {
        **past_context(request, day, days),
        "subject": topic,
        "heading": topic.title,
        "question": topic.question,
        "claims": claims,
        "parties": parties,
        "party_claims": by_parties,
        "independent_claims": [c for c in claims if c not in by_parties],
        "named_count": named_count_then(topic, cutoff),
        "open_conflicts": attach_claims(open_, claims),
        "resolutions": attach_claims(resolved, claims),
    }
    return render(request, "claims/past.html", context)


def claims_by_parties(claims: list, parties: list) -> list:
    """Return the claims whose speaker is a party or speaks for one (its chain reaches one)."""
    if not parties:
        return []
    from sources.models import Source

    party_ids = {p.source_id for p in parties}
    chains = Source.objects.chains({c.source_id for c in claims})
    return [c for c in claims if party_ids & set(chains.get(c.source_id, ()))]


def as_claim(version) -> Claim:
    """Return an unsaved Claim holding a past version's values, for the rules and the cards.

    A historical row has the fields but not the model's methods (`facts`,
    `value_display`); the relations already joined on it are kept.
    """
    claim = Claim(
        **{
            f.attname: getattr(version, f.attname)
            for f in Claim._meta.concrete_fields
            if hasattr(version, f.attname)
        }
    )
    claim.pk = version.id
    for relation in ("source", "topic", "detainee"):
        cached = version._state.fields_cache.get(relation)
        if cached is not None:
            setattr(claim, relation, cached)
    claim.version_then = version
    return claim


def person_claims_then(cutoff: datetime, topic_id: int, **where) -> list[Claim]:
    """Return the per-person fact claims on a topic approved at `cutoff`, as they read then.

    One query (the newest version of each, picked in the database). Every
    such claim, not the newest SHOWN_CLAIMS: the board and the derived
    count read them all (the board only those of its page's detainees).
    """
    versions = (
        newest_versions(
            Claim.history, cutoff, topic_id=topic_id, detainee__isnull=False, kind="fact", **where
        )
        .filter(state=Claim.State.APPROVED)
        .select_related("source")
        .order_by("stated_on", "as_of", "id")
    )
    return [as_claim(v) for v in versions]


def current_then(claims: list[Claim], topic_rules) -> list[Claim]:
    """Drop the claims superseded then: supersession is derived, so it is not in the history."""
    from claims import conflicts as rules

    superseded: set[int] = set()
    by_detainee: dict[int, list] = {}
    for claim in claims:
        by_detainee.setdefault(claim.detainee_id, []).append(claim.facts)
    for facts in by_detainee.values():
        found = rules.examine(facts, topic_rules)
        superseded |= set(found.superseded)
    return [c for c in claims if c.pk not in superseded]


def named_count_then(topic, cutoff: datetime):
    """The topic page's "named releases reported: 3 of 53", from the claims known at `cutoff`.

    The pure rule (`claims.conflicts.named_counts`) over the per-person
    claims known then; a few queries, rows growing with the named persons
    known then (the present page counts in the database, where supersession
    is stored; the past has to derive it, docs/relays-and-the-past.md).
    """
    from claims import conflicts as rules
    from claims.views.topics import NamedCount, named_label
    from sources.models import Source

    if not topic.rules.counts_status:
        return None
    label = named_label(topic)
    persons = [
        c.facts
        for c in person_claims_then(cutoff, topic.pk)
        if c.status  # a status reported, as detection.person_facts
    ]
    if not persons:
        return NamedCount(total=0, of=topic.quantity_max, by_organisation=[], label=label)
    organisation_of = Source.objects.organisations({c.source_id for c in persons})
    latest = max(c.effective_as_of for c in persons)
    total, by_org = rules.named_counts(persons, topic.rules, latest, organisation_of)
    names = Source.objects.in_bulk(by_org)
    shown = sorted(
        ((names[pk], n) for pk, n in by_org.items() if pk in names),
        key=lambda pair: (-pair[1], pair[0].name),
    )
    return NamedCount(total=total, of=topic.quantity_max, by_organisation=shown, label=label)


def detainee_as_known_on(request: HttpRequest, detainee, day: date) -> HttpResponse:
    cutoff = end_of(day)
    claims = claims_known(cutoff, detainee_id=detainee.pk)
    open_, resolved = conflicts_then(cutoff, detainee_id=detainee.pk)
    days = change_days(Q(detainee_id=detainee.pk), Q(detainee_id=detainee.pk))
    context = {
        **past_context(request, day, days),
        "subject": detainee,
        "heading": detainee.name,
        "question": "",
        "claims": claims,
        "open_conflicts": attach_claims(open_, claims),
        "resolutions": attach_claims(resolved, claims),
    }
    return render(request, "claims/past.html", context)


def conflict_as_known_on(request: HttpRequest, conflict: Conflict, day: date) -> HttpResponse:
    cutoff = end_of(day)
    version = (
        Conflict.history.filter(id=conflict.pk, history_date__lt=cutoff)
        .order_by("-history_date", "-history_id")
        .first()
    )
    claims = []
    if version is not None:
        claims = claims_known(cutoff, id__in=[conflict.claim_a_id, conflict.claim_b_id])
    days = change_days(Q(id__in=[conflict.claim_a_id, conflict.claim_b_id]), Q(id=conflict.pk))
    by_id = {c.id: c for c in claims}
    context = {
        **past_context(request, day, days),
        "conflict": conflict,
        "version": version,
        "claim_a": by_id.get(conflict.claim_a_id),
        "claim_b": by_id.get(conflict.claim_b_id),
    }
    return render(request, "claims/past_conflict.html", context)


def attach_claims(conflicts: list, claims: list) -> list:
    """Give each past conflict its two claims as they read then (those known then)."""
    by_id = {c.id: c for c in claims}
    for conflict in conflicts:
        conflict.then_a = by_id.get(conflict.claim_a_id)
        conflict.then_b = by_id.get(conflict.claim_b_id)
    return conflicts
