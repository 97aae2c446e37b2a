"""
Who speaks on a topic, kept on write: one `TopicSpeaker` row per (topic, source).

The topic page shows the current word of the sources who spoke last on the
question itself (claims.views.topics.current_word): it needs, for each source
with approved claims on the topic's own variable (no detainee), when it last
spoke (the order), how many such claims it has (the "earlier statements"
count) and its newest position (positions supersede nothing, so only the
newest is its current word). Computed at read time these grew with the
topic: a GROUP BY over all of its claims, window functions over every claim
of the sources shown (40,000 claims on the hottest topic at a million).

Detection keeps them (claims/detection.py), in the same transaction and
under the same topic lock, from the rows it has read anyway: the variable's
approved claims (`refresh_variable`), the approving source's own claims there
(`claim_added`), whole topics (`recompute_all`, which so repairs them). Every
write that changes an approved claim runs detection on its variables, so the
rows are a function of the approved claims, as `from_scratch` computes them
(tests/claims/test_topic_speakers.py checks that after random histories).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from claims import conflicts as rules


@dataclass(frozen=True)
class Tally:
    """A source's word on a topic's own variable: claims, when it last spoke, newest position."""

    claim_count: int
    last_stated_on: date
    position_id: int | None


def tally(facts: Iterable[rules.ClaimFacts]) -> dict[int, Tally]:
    """Tally the approved claims of one topic's own variable (any kind, relays too), by source."""
    counts: dict[int, int] = {}
    last: dict[int, date] = {}
    newest: dict[int, tuple[date, int]] = {}
    for c in facts:
        counts[c.source_id] = counts.get(c.source_id, 0) + 1
        if c.source_id not in last or c.stated_on > last[c.source_id]:
            last[c.source_id] = c.stated_on
        if c.kind == rules.POSITION:
            key = (c.stated_on, c.id)
            if c.source_id not in newest or key > newest[c.source_id]:
                newest[c.source_id] = key
    return {s: Tally(n, last[s], newest[s][1] if s in newest else None) for s, n in counts.items()}


def keep(by_topic: dict[int, Iterable[rules.ClaimFacts]], sources: set[int] | None = None) -> int:
    """Make the stored rows of these topics (of `sources` only, if given) match their claims.

    `by_topic` maps each topic to the approved claims of its own variable
    (all of them; or, with `sources`, at least all of those sources'). One
    query when only one source's row is upserted (an approval), otherwise
    one to read and one per kind of write. Return how many rows changed.
    """
    from claims.models import TopicSpeaker

    wanted = {
        (topic_id, source_id): row
        for topic_id, facts in by_topic.items()
        for source_id, row in tally(facts).items()
        if sources is None or source_id in sources
    }
    if sources is not None and len(wanted) == len(sources) * len(by_topic):
        # Every source asked for speaks there (an approval): no row to delete.
        TopicSpeaker.objects.bulk_create(
            [_row(key, row) for key, row in wanted.items()],
            update_conflicts=True,
            unique_fields=["topic", "source"],
            update_fields=["claim_count", "last_stated_on", "position_id"],
        )
        return len(wanted)
    stored = TopicSpeaker.objects.filter(topic_id__in=list(by_topic))
    if sources is not None:
        stored = stored.filter(source_id__in=sources)
    have = {(r.topic_id, r.source_id): r for r in stored}
    gone = [r.pk for key, r in have.items() if key not in wanted]
    changed = [
        _row(key, row, pk=have[key].pk)
        for key, row in wanted.items()
        if key in have and _tally_of(have[key]) != row
    ]
    new = [_row(key, row) for key, row in wanted.items() if key not in have]
    if gone:
        TopicSpeaker.objects.filter(pk__in=gone).delete()
    if changed:
        TopicSpeaker.objects.bulk_update(
            changed, ["claim_count", "last_stated_on", "position_id"], batch_size=500
        )
    if new:
        TopicSpeaker.objects.bulk_create(new, batch_size=2000)
    return len(gone) + len(changed) + len(new)


def _row(key: tuple[int, int], row: Tally, pk: int | None = None):
    from claims.models import TopicSpeaker

    return TopicSpeaker(
        pk=pk,
        topic_id=key[0],
        source_id=key[1],
        claim_count=row.claim_count,
        last_stated_on=row.last_stated_on,
        position_id=row.position_id,
    )


def _tally_of(stored) -> Tally:
    return Tally(stored.claim_count, stored.last_stated_on, stored.position_id)


FIELDS = ("id", "source_id", "kind", "stated_on")


def _facts(rows) -> list[rules.ClaimFacts]:
    return [
        rules.ClaimFacts(
            id=pk,
            source_id=source_id,
            kind=kind,
            stance="",
            stated_on=stated_on,
            as_of=None,
            quantity_min=None,
            quantity_max=None,
            status="",
            detainee_id=None,
        )
        for pk, source_id, kind, stated_on in rows
    ]


def from_scratch(topic_ids: Iterable[int] | None = None) -> dict[tuple[int, int], Tally]:
    """Compute every (topic, source) row from the approved claims, as detection keeps them."""
    from claims.models import Claim

    claims = Claim.objects.approved().filter(detainee__isnull=True).order_by()
    if topic_ids is not None:
        claims = claims.filter(topic_id__in=list(topic_ids))
    by_topic: dict[int, list] = {}
    for topic_id, *row in claims.values_list("topic_id", *FIELDS).iterator(chunk_size=5000):
        by_topic.setdefault(topic_id, []).append(row)
    return {
        (topic_id, source_id): row
        for topic_id, rows in by_topic.items()
        for source_id, row in tally(_facts(rows)).items()
    }


def stored(topic_ids: Iterable[int] | None = None) -> dict[tuple[int, int], Tally]:
    """Return the stored rows, as `from_scratch` computes them."""
    from claims.models import TopicSpeaker

    rows = TopicSpeaker.objects.all()
    if topic_ids is not None:
        rows = rows.filter(topic_id__in=list(topic_ids))
    return {(r.topic_id, r.source_id): _tally_of(r) for r in rows}


def drift() -> int:
    """How many (topic, source) rows differ from a computation from scratch (0 when healthy)."""
    want, have = from_scratch(), stored()
    return sum(want.get(key) != have.get(key) for key in want.keys() | have.keys())


def repair_orphans() -> int:
    """Delete the rows of topics left without claims (no batch of the recompute reads them)."""
    from django.db.models import Exists, OuterRef

    from claims.models import Claim, TopicSpeaker

    orphans = TopicSpeaker.objects.filter(
        ~Exists(Claim.objects.filter(topic_id=OuterRef("topic_id")))
    )
    return orphans.delete()[0]
