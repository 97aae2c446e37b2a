"""
From claims to the pure pictures in claims.charts, for the topic and detainee pages.

The claims come in already loaded, with source, affiliation, topic and
detainee joined: nothing here queries the database.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from claims import charts
from claims.models import Claim, Conflict, Topic
from crosscheck.text import printable
from sources.models import Source


def chart_lanes(claims: Iterable[Claim]) -> list[charts.Lane]:
    """Return one lane per source that made one of the claims, by name."""
    sources = {c.source_id: c.source for c in claims}
    ordered = sorted(sources.values(), key=lambda s: (s.name, s.pk))
    # SVG is XML: stored text passes through the text policy's `printable`.
    return [
        charts.Lane(key=s.pk, label=printable(s.speaker_line), short=printable(s.name))
        for s in ordered
    ]


def chart_claims(claims: Iterable[Claim]) -> list[charts.ChartClaim]:
    """Turn claims into chart input: their facts, their source's lane, their text alternative."""
    return [
        charts.ChartClaim(
            facts=c.facts,
            lane=c.source_id,
            label=mark_label(c),
            superseded=c.superseded_by_id is not None,
        )
        for c in claims
    ]


def conflict_links(conflicts: Iterable[Conflict]) -> list[charts.Link]:
    """Turn open conflicts (with both claims' sources joined) into lines on a timeline."""
    return [
        charts.Link(
            id=c.pk,
            kind=c.kind,
            claim_a=c.claim_a_id,
            claim_b=c.claim_b_id,
            label=printable(
                f"{c.get_kind_display()}: {c.claim_a.source.name} and {c.claim_b.source.name}"
            ),
        )
        for c in conflicts
    ]


def _day(day: date) -> str:
    return f"{day:%b} {day.day}, {day.year}"


def mark_label(claim: Claim) -> str:
    """Return a claim's text alternative in a picture: who, when, what, and whether updated.

    "Jen Psaki (U.S. Department of State), Jan 6, 2015: affirms 1–53 prisoners
    released. “Some of the 53 released”."
    """
    when = _day(claim.stated_on)
    if claim.as_of and claim.as_of != claim.stated_on:
        when += f", about {_day(claim.as_of)}"
    if claim.is_fact:
        what = claim.get_stance_display().lower()
        value = claim.value_display()
        if value:
            what += f" {value}"
    else:
        what = "position"
    about = f" about {claim.detainee.name}" if claim.detainee_id else ""
    label = f"{claim.source.speaker_line}, {when}: {what}{about}. “{claim.summary}”."
    if claim.superseded_by_id:
        label += " Superseded by a later statement of the same source."
    return printable(label)


@dataclass
class StatusRow:
    """A source's latest word on a detainee, and the sources whose latest word disagrees."""

    claim: Claim
    disagreements: list[tuple[Source, str]] = field(default_factory=list)


def latest_status_tables(claims: Iterable[Claim]) -> list[tuple[Topic, list[StatusRow]]]:
    """Return, per topic, each source's latest fact claim on the detainee, with disagreements.

    Per topic, as the status board compares them: a detainee's variable is
    (topic, detainee). The comparison is claims.charts.latest_statuses, on
    the pure rules.
    """
    by_topic: dict[int, list[Claim]] = {}
    for claim in claims:
        by_topic.setdefault(claim.topic_id, []).append(claim)
    tables = []
    for topic_claims in by_topic.values():
        by_id = {c.pk: c for c in topic_claims}
        sources = {c.source_id: c.source for c in topic_claims}
        rows = [
            StatusRow(
                by_id[cell.claim_id],
                [(sources[lane], kind) for lane, kind in cell.disagrees_with],
            )
            for cell in charts.latest_statuses(chart_claims(topic_claims))
        ]
        rows.sort(key=lambda r: (r.claim.source.name, r.claim.source_id))
        for row in rows:
            row.disagreements.sort(key=lambda d: d[0].name)
        if rows:
            tables.append((topic_claims[0].topic, rows))
    return sorted(tables, key=lambda t: t[0].title)
