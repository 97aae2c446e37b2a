"""
Fill an empty database with a large, realistic volume of data: the benchmarks' ground.

    python manage.py generate_volume --claims 1000000 --seed 1

Rows go in through the bulk paths, never through Claim.save(): bulk_create in
batches, and for the claims COPY on PostgreSQL (bulk_create elsewhere), with
the claims table's secondary indexes dropped for the load and rebuilt once,
all in one transaction. `Claim.search_text` is the fold() text that
Claim.build_search_text writes, built from cached folded names without a
query per row. No detection runs while loading; the engine's full recompute
(claims.detection.recompute_all) then finds the supersessions and conflicts,
as it would on a restored database. No conflict row is invented.

1,000,000 claims take about 3 minutes on 2 cores (docs/benchmarks.md).

The shape, chosen to look like a newsroom's years of work:

- topics with a long-tailed number of claims: a few hot topics share a fifth
  of all claims (tens of thousands each at 1,000,000), and most have a handful
  (2 + 2.5 × a Pareto draw: the median topic has 6); two in five count
  something (a quantity, usually with an upper bound);
- each topic has its cast of sources, a few for a small topic and up to 250
  for a hot one, some far more talkative than others, so most claims are
  updated by a later statement of the same source (supersessions) and the
  latest statements of different sources disagree inside the window
  (conflicts);
- detainees, named or withheld, with aliases, on two in five topics with
  more than a handful of claims; a third of those topics' claims are about one
  detainee and report a status;
- 88% facts (60% affirm, 20% deny, 20% no information), 12% positions;
- 92% approved, 4% pending, 2% rejected, 2% retracted;
- sources: organisations (governments, monitors, media) and the people who
  speak for them, each organisation with one to three credibility notes.

Deterministic: the same --claims and --seed give the same rows (ids and
creation timestamps aside, which the database and the clock assign).
"""

from __future__ import annotations

import math
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import lru_cache

from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.text import slugify

from claims import detection, locks
from claims.models import Claim, Detainee, Document, Topic
from claims.search import fold
from crosscheck.cache import data_changed
from sources.models import CredibilityNote, Source

BATCH = 2000
# The claims index detection reads a variable's claims through (Claim.Meta).
VARIABLE_INDEX = "claim_variable_idx"
FIRST_DAY = date(2012, 1, 2)
DAYS = 5000  # FIRST_DAY + DAYS is in 2025: every date is in the past.

FIRST_NAMES = (
    "José", "María", "Elizardo", "Berta", "Oswaldo", "Guillermo", "Yoani", "Ángel", "Félix",
    "Martha", "Jorge Luis", "Sonia", "Iván", "Ramón", "Laura", "Héctor", "Ariel", "Rosa",
    "Daniel", "Ana", "Luis", "Carmen", "Raúl", "Dagoberto", "Eduardo", "Sara", "Tomás",
    "Lucía", "Julio", "Marta", "Ernesto", "Nélida", "Pablo", "Inés", "Omar", "Elena",
)  # fmt: skip
LAST_NAMES = (
    "Sánchez", "Ferrer", "Soler", "Payá", "Fariñas", "Sánchez", "Pérez", "García", "Núñez",
    "Beatón", "Rodríguez", "Martínez", "Hernández", "González", "López", "Díaz", "Cruz",
    "Morales", "Ortiz", "Ramos", "Castillo", "Valdés", "Herrera", "Medina", "Aguilar",
    "Vargas", "Rojas", "Cabrera", "Delgado", "Fuentes", "Ibarra", "Lorenzo", "Peña",
)  # fmt: skip
PLACES = (
    "Havana", "Santiago de Cuba", "Camagüey", "Holguín", "Santa Clara", "Matanzas",
    "Pinar del Río", "Cienfuegos", "Guantánamo", "Bayamo", "Caracas", "Managua",
    "Minsk", "Tehran", "Yangon", "Ankara", "Baku", "Hong Kong", "Asmara", "Cairo",
)  # fmt: skip
COUNTRIES = ("CU", "US", "VE", "NI", "BY", "IR", "MM", "TR", "AZ", "CN", "ER", "EG", "ES")
EVENTS = (
    ("Release of the {n} prisoners", "Have the {n} been released, and how many?", "released"),
    ("Detentions after the {place} protests", "How many were detained in {place}?", "detained"),
    ("Hunger strike in {place}", "How many detainees are on hunger strike?", "on strike"),
    ("Amnesty for the {place} detainees", "Has the amnesty freed anyone, and whom?", "freed"),
    ("Transfers to the {place} prison", "How many prisoners were transferred?", "transferred"),
    ("Deaths in custody in {place}", "How many people died in custody?", "deaths"),
)
QUESTIONS = (
    ("Talks in {place}", "Do the talks in {place} go ahead?"),
    ("Observers' access to {place}", "Are international observers allowed into {place}?"),
    ("Internet shutdown in {place}", "Is the internet cut off in {place}?"),
    ("Trial of the {place} activists", "Has the trial of the {place} activists begun?"),
)
STATUS_WEIGHTS = (
    ("detained", 10), ("pretrial_detention", 8), ("imprisoned", 14), ("house_arrest", 6),
    ("released", 12), ("unconditional_release", 4), ("conditional_release", 8),
    ("exiled", 3), ("deceased", 1),
)  # fmt: skip
STATUSES = tuple(s for s, _ in STATUS_WEIGHTS)
CONTEXT = (
    " said at a press briefing in {place}.",
    ", according to a statement posted on {weekday}.",
    " told reporters after meeting relatives of the detainees.",
    ", the spokesperson said, declining to give names.",
    " in a written reply to questions from this newsroom.",
    ", citing lists compiled by families in {place}.",
    " during a radio interview broadcast from {place}.",
    ".",
)
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
NOTE_BODIES = (
    ("track_record", "Its past figures were later confirmed by independent counts."),
    ("track_record", "Has revised its numbers downward twice after publication."),
    ("access", "Has staff on the ground and speaks to families directly."),
    ("access", "Relies on official channels; no independent access to the prisons."),
    ("interest", "Party to the negotiations: has an interest in the outcome."),
    ("interest", "Campaigns for the detainees' release."),
    ("methodology", "Publishes a monthly list with names, dates and places of detention."),
    ("general", "Rarely gives names or numbers; statements are hedged."),
)


@lru_cache(maxsize=65536)
def _fold_text(text: str) -> str:
    return fold(text)


def fast_fold(text: str) -> str:
    """Return fold(text): plain lowercase for ASCII, where fold is exactly that."""
    return text.lower() if text.isascii() else _fold_text(text)


def cumulative(weights) -> list[float]:
    total, out = 0.0, []
    for weight in weights:
        total += weight
        out.append(total)
    return out


STATUS_CUM = cumulative(w for _, w in STATUS_WEIGHTS)


@dataclass
class SourceRow:
    id: int
    name: str
    folded: str  # fold(name), with fold(affiliation name) after a newline when affiliated
    kind: str


@dataclass
class DetaineeRow:
    id: int
    folded: str  # fold of the name and aliases, newline-joined as build_search_text does


@dataclass
class TopicPlan:
    title: str
    question: str
    count: int
    quantity_label: str = ""
    quantity_max: int | None = None
    window_days: int = 7
    hot: bool = False
    serial: int = 0  # 1, 2, ...: the topic's place in the plan, the same in every run
    id: int = 0
    detainees: list[DetaineeRow] = field(default_factory=list)
    documents: list[int] = field(default_factory=list)


# The claim columns generate_volume writes, in COPY order; the rest keep their defaults.
COLUMNS = (
    "source_id", "topic_id", "detainee_id", "kind", "stance", "quantity_min", "quantity_max",
    "status", "quote", "summary", "stated_on", "as_of", "document_id", "citation_url",
    "language", "state", "state_changed_at", "state_reason", "verdict", "version", "search_text",
)  # fmt: skip


class ClaimRow:
    """One claim's column values: cheaper to build by the million than a model instance."""

    __slots__ = COLUMNS

    def __init__(self, **values) -> None:
        for name in COLUMNS:
            setattr(self, name, None)
        self.stance = self.status = self.citation_url = self.state_reason = self.verdict = ""
        self.language, self.version = "en", 1
        for name, value in values.items():
            setattr(self, name, value)

    def values(self) -> tuple:
        return tuple(getattr(self, name) for name in COLUMNS)


class ClaimWriter:
    """Write claims in batches: COPY on PostgreSQL, bulk_create elsewhere."""

    def __init__(self) -> None:
        self.batch: list[ClaimRow] = []
        self.now = timezone.now()
        self.postgresql = connection.vendor == "postgresql"

    def __enter__(self) -> ClaimWriter:
        return self

    def add(self, claim: ClaimRow) -> None:
        self.batch.append(claim)
        if len(self.batch) >= BATCH * 5:
            self.flush()

    def flush(self) -> None:
        if self.postgresql:
            columns = ", ".join(f'"{c}"' for c in (*COLUMNS, "created_at", "updated_at"))
            with connection.cursor() as cursor:
                sql = f'COPY "{Claim._meta.db_table}" ({columns}) FROM STDIN'
                with cursor.cursor.copy(sql) as copy:
                    for claim in self.batch:
                        copy.write_row((*claim.values(), self.now, self.now))
        else:
            Claim.objects.bulk_create(
                [Claim(**dict(zip(COLUMNS, c.values(), strict=True))) for c in self.batch],
                batch_size=BATCH,
            )
        self.batch = []

    def __exit__(self, exc_type, *exc) -> None:
        if exc_type is None:
            self.flush()


def build_indexes(statements: list[str]) -> None:
    """Run CREATE INDEX statements inside the load's transaction."""
    if not statements:
        return
    with connection.cursor() as cursor:
        # The foreign keys are checked at commit; an index cannot be built
        # while those checks are pending, so run them now.
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
        cursor.execute("SET LOCAL maintenance_work_mem = '512MB'")
        for statement in statements:
            cursor.execute(statement)


def drop_secondary_indexes(table: str) -> list[str]:
    """Drop a table's indexes that back no constraint; return the statements that rebuild them."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.indexname, i.indexdef FROM pg_indexes i "
            "WHERE i.schemaname = current_schema() AND i.tablename = %s AND NOT EXISTS ("
            "  SELECT 1 FROM pg_constraint c"
            "  WHERE c.conindid = to_regclass(quote_ident(i.indexname))"
            ") ORDER BY i.indexname",
            [table],
        )
        found = cursor.fetchall()
        for name, _ in found:
            cursor.execute(f'DROP INDEX "{name}"')
    return [definition for _, definition in found]


class Volume:
    """Build the rows for `claims` claims from one seeded random generator."""

    def __init__(self, claims: int, seed: int, out) -> None:
        self.claims, self.rng, self.out = claims, random.Random(seed), out
        self.stats: dict[str, int] = {}

    def say(self, text: str) -> None:
        self.out.write(text)
        self.out.flush()

    # Sources ---------------------------------------------------------------

    def make_sources(self) -> list[SourceRow]:
        rng = self.rng
        n_orgs = min(1000, max(6, self.claims // 1200))
        n_people = min(2000, max(8, self.claims // 600))
        orgs = []
        org_kinds = (
            (Source.Kind.GOVERNMENT, "Ministry of {what} of {country}"),
            (Source.Kind.MONITOR, "{country} Observatory for {what} Rights"),
            (Source.Kind.MEDIA, "{place} {what} Daily"),
            (Source.Kind.OTHER, "{place} Families of {what} Prisoners"),
        )
        whats = ("Interior", "Justice", "Foreign Affairs", "Human", "Political", "Civil")
        for i in range(n_orgs):
            kind, pattern = org_kinds[i % len(org_kinds)]
            name = pattern.format(
                what=rng.choice(whats), country=rng.choice(COUNTRIES), place=rng.choice(PLACES)
            )
            orgs.append(
                Source(
                    name=f"{name} ({i + 1})",
                    kind=kind,
                    country=rng.choice(COUNTRIES),
                    url=f"https://org{i + 1}.example.org/",
                    description="Generated for the volume benchmarks.",
                )
            )
        Source.objects.bulk_create(orgs, batch_size=BATCH)
        people = []
        person_kinds = (Source.Kind.OFFICIAL, Source.Kind.MONITOR, Source.Kind.LEGISLATOR)
        for i in range(n_people):
            affiliation = orgs[rng.randrange(n_orgs)] if rng.random() < 0.7 else None
            kind = person_kinds[i % len(person_kinds)]
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            people.append(
                Source(
                    name=f"{first} {last} {i + 1}",
                    kind=kind,
                    affiliation=affiliation,
                    country=rng.choice(COUNTRIES),
                )
            )
        Source.objects.bulk_create(people, batch_size=BATCH)

        notes = []
        for org in orgs:
            for aspect, body in rng.sample(NOTE_BODIES, rng.randint(1, 3)):
                notes.append(
                    CredibilityNote(
                        source=org,
                        aspect=aspect,
                        body=body,
                        signed_by="Desk editor",
                        written_on=FIRST_DAY + timedelta(days=rng.randrange(DAYS)),
                    )
                )
        for person in people:
            if rng.random() < 0.3:
                aspect, body = rng.choice(NOTE_BODIES)
                notes.append(
                    CredibilityNote(
                        source=person,
                        aspect=aspect,
                        body=body,
                        signed_by="Desk editor",
                        written_on=FIRST_DAY + timedelta(days=rng.randrange(DAYS)),
                    )
                )
        CredibilityNote.objects.bulk_create(notes, batch_size=BATCH)
        names = {org.pk: org.name for org in orgs}
        rows = [SourceRow(o.pk, o.name, fast_fold(o.name), o.kind) for o in orgs]
        for p in people:
            folded = fast_fold(p.name)
            if p.affiliation_id:
                folded += "\n" + fast_fold(names[p.affiliation_id])
            rows.append(SourceRow(p.pk, p.name, folded, p.kind))
        self.stats.update(sources=len(rows), notes=len(notes))
        return rows

    # Topics, detainees and documents ----------------------------------------

    def plan_topics(self) -> list[TopicPlan]:
        rng, n = self.rng, self.claims
        n_hot = min(5, max(1, n // 4000))
        hot_total = n // 5
        counts = [hot_total // n_hot] * n_hot
        remaining = n - sum(counts)
        while remaining > 0:
            count = min(remaining, 2 + int(2.5 * min(rng.paretovariate(1.0), 2000)))
            counts.append(count)
            remaining -= count
        plans = []
        for i, count in enumerate(counts):
            place = rng.choice(PLACES)
            if rng.random() < 0.4:
                title, question, label = rng.choice(EVENTS)
                size = rng.choice((12, 36, 53, 75, 120, 300))
                plan = TopicPlan(
                    title=title.format(n=size, place=place),
                    question=question.format(n=size, place=place),
                    count=count,
                    quantity_label=f"prisoners {label}" if label != "deaths" else "deaths",
                    quantity_max=None if rng.random() < 0.15 else size,
                )
            else:
                title, question = rng.choice(QUESTIONS)
                plan = TopicPlan(
                    title=title.format(place=place),
                    question=question.format(place=place),
                    count=count,
                )
            plan.title = f"{plan.title} ({i + 1})"
            plan.window_days = rng.choice((7, 7, 7, 7, 3, 14, 30))
            plan.hot = i < n_hot
            plan.serial = i + 1
            plans.append(plan)
        return plans

    def make_topics(self, plans: list[TopicPlan]) -> None:
        topics = [
            Topic(
                title=p.title,
                slug=slugify(p.title)[:200],
                question=p.question,
                quantity_label=p.quantity_label,
                quantity_min=0 if p.quantity_label else None,
                quantity_max=p.quantity_max if p.quantity_label else None,
                window_days=p.window_days,
            )
            for p in plans
        ]
        Topic.objects.bulk_create(topics, batch_size=BATCH)
        for plan, topic in zip(plans, topics, strict=True):
            plan.id = topic.pk
        self.stats["topics"] = len(topics)

    def make_detainees(self, plans: list[TopicPlan]) -> None:
        rng = self.rng
        detainees, links, owners = [], [], []
        for plan in plans:
            if plan.count < 6 or (not plan.hot and rng.random() >= 0.4):
                continue
            for _ in range(min(400, max(1, plan.count // 25))):
                serial = len(detainees) + 1
                if rng.random() < 0.15:
                    name, aliases = f"Unidentified prisoner {serial}", []
                else:
                    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
                    name = f"{first} {last} {rng.choice(LAST_NAMES)} {serial}"
                    aliases = [f"{first.split()[0]} {last}"] if rng.random() < 0.3 else []
                detainees.append(
                    Detainee(
                        name=name,
                        aliases=aliases,
                        arrested_on=FIRST_DAY + timedelta(days=rng.randrange(DAYS)),
                        charges=rng.choice(("", "Public disorder", "Contempt", "Enemy propaganda")),
                        place_of_detention=rng.choice(("", *PLACES)),
                    )
                )
                owners.append(plan)
        Detainee.objects.bulk_create(detainees, batch_size=BATCH)
        for detainee, plan in zip(detainees, owners, strict=True):
            folded = "\n".join(fast_fold(p) for p in (detainee.name, *detainee.aliases))
            plan.detainees.append(DetaineeRow(detainee.pk, folded))
            links.append(Detainee.topics.through(detainee_id=detainee.pk, topic_id=plan.id))
        Detainee.topics.through.objects.bulk_create(links, batch_size=BATCH)
        self.stats["detainees"] = len(detainees)

    def make_documents(self, plans: list[TopicPlan]) -> None:
        rng = self.rng
        documents, owners = [], []
        for plan in plans:
            for _ in range(max(1, plan.count // 20)):
                serial = len(documents) + 1
                kind = rng.choice(Document.Kind.values)
                documents.append(
                    Document(
                        title=f"{plan.title.rsplit(' (', 1)[0]}: {kind} {serial}",
                        kind=kind,
                        publisher=rng.choice(("Reuters", "EFE", "AP", "AFP", "14ymedio", "")),
                        url=f"https://news.example.org/{serial}",
                        published_on=FIRST_DAY + timedelta(days=rng.randrange(DAYS)),
                    )
                )
                owners.append(plan)
        Document.objects.bulk_create(documents, batch_size=BATCH)
        for document, plan in zip(documents, owners, strict=True):
            plan.documents.append(document.pk)
        self.stats["documents"] = len(documents)

    # Claims -----------------------------------------------------------------

    def make_claims(self, plans: list[TopicPlan], sources: list[SourceRow]) -> None:
        written = 0
        states: Counter[str] = Counter()
        started = time.monotonic()
        with ClaimWriter() as writer:
            for plan in plans:
                for claim in self.topic_claims(plan, sources):
                    states[claim.state] += 1
                    writer.add(claim)
                    written += 1
                    if written % 100_000 == 0:
                        rate = written / (time.monotonic() - started)
                        self.say(f"  {written:,} claims ({rate:,.0f}/s)")
        self.stats["claims"] = written
        self.stats.update({f"claims {state}": n for state, n in sorted(states.items())})

    def topic_claims(self, plan: TopicPlan, sources: list[SourceRow]):
        rng = self.rng
        cast_size = min(250, len(sources), int(2 + 0.8 * math.sqrt(plan.count)))
        cast = [sources[i] for i in rng.sample(range(len(sources)), cast_size)]
        # Some sources speak far more often than others on the same topic.
        cast_cum = cumulative(1 / (rank + 1) for rank in range(cast_size))
        if plan.hot:
            span = rng.randint(900, 1500)
        else:
            span = min(400, 1 + int(plan.count * rng.uniform(0.5, 3)))
        start = rng.randrange(DAYS - span)
        upper = plan.quantity_max if plan.quantity_max is not None else 200
        truth = rng.randint(0, upper)
        place = rng.choice(PLACES)
        for _ in range(plan.count):
            source = rng.choices(cast, cum_weights=cast_cum)[0]
            detainee = None
            if plan.detainees and rng.random() < 0.35:
                detainee = plan.detainees[rng.randrange(len(plan.detainees))]
            stated_on = FIRST_DAY + timedelta(days=start + rng.randrange(span + 1))
            as_of = stated_on - timedelta(days=rng.randint(1, 5)) if rng.random() < 0.15 else None
            claim = ClaimRow(
                source_id=source.id,
                topic_id=plan.id,
                detainee_id=detainee.id if detainee else None,
                stated_on=stated_on,
                as_of=as_of,
            )
            pieces = self.fill_value(claim, plan, detainee, truth, upper)
            pieces.append(rng.choice(CONTEXT).format(place=place, weekday=rng.choice(WEEKDAYS)))
            if rng.random() < 0.3:
                pieces.append(f" The {place} desk has asked for the list of names.")
            claim.quote = "".join(pieces)
            claim.summary = claim.summary[:300]
            if plan.documents and rng.random() < 0.6:
                claim.document_id = plan.documents[rng.randrange(len(plan.documents))]
            if rng.random() < 0.3:
                claim.citation_url = (
                    f"https://news.example.org/{plan.serial}/{rng.randrange(10**6)}"
                )
            self.fill_state(claim, stated_on)
            folded = [fast_fold(p) for p in pieces]
            parts = ["".join(folded), fast_fold(claim.summary), source.folded]
            if detainee is not None:
                parts.append(detainee.folded)
            claim.search_text = "\n".join(parts)
            yield claim

    def fill_value(self, claim: ClaimRow, plan: TopicPlan, detainee, truth: int, upper: int):
        """Set kind, stance, quantity or status, and the summary; return the quote's pieces."""
        rng = self.rng
        label = plan.quantity_label or "it"
        if rng.random() < 0.12:
            claim.kind, claim.stance = Claim.Kind.POSITION, ""
            demand = rng.choice(
                ("The talks should be suspended until every prisoner is free",
                 "We urge the authorities to publish the names",
                 "The government has pledged to complete the process",
                 "Those detained must be given access to lawyers")
            )  # fmt: skip
            claim.summary = demand
            return [f"“{demand}”,"]
        claim.kind = Claim.Kind.FACT
        roll = rng.random()
        if roll < 0.03:
            claim.stance = Claim.Stance.DECLINES
            claim.summary = "Declines to say"
            return ["We will not comment on individual cases, for their safety,"]
        if roll < 0.2:
            claim.stance = Claim.Stance.NO_INFORMATION
            if detainee is not None:
                claim.summary = "Whereabouts unknown"
                return ["We have no information on where he is being held,"]
            claim.summary = "No information"
            return ["We don't have any information up to now. No names,"]
        if detainee is not None:
            cum = rng.random() * STATUS_CUM[-1]
            status = STATUSES[next(i for i, c in enumerate(STATUS_CUM) if c >= cum)]
            claim.status = status
            words = status.replace("_", " ")
            if roll < 0.85:
                claim.stance = Claim.Stance.AFFIRMS
                claim.summary = f"Reported {words}"
                return [f"According to our information the prisoner is {words}", ","]
            claim.stance = Claim.Stance.DENIES
            claim.summary = f"Not {words}"
            return [f"It is false that the prisoner is {words}", ","]
        if not plan.quantity_label:
            if roll < 0.75:
                claim.stance = Claim.Stance.AFFIRMS
                claim.summary = "Yes"
                return ["Yes, that has happened, and we can confirm it", ","]
            claim.stance = Claim.Stance.DENIES
            claim.summary = "No"
            return ["No, that has not happened", ","]
        if roll < 0.8:
            claim.stance = Claim.Stance.AFFIRMS
            shape = rng.random()
            if shape < 0.45:
                n = min(upper, max(0, truth + rng.randint(-4, 4)))
                claim.quantity_min = claim.quantity_max = n
                claim.summary = f"{n} {label}"
                return [f"The number is {n}: {n} {label}", ","]
            if shape < 0.7:
                n = rng.randint(0, max(0, truth))
                claim.quantity_min = n
                claim.summary = f"At least {n} {label}"
                return [f"At least {n} so far, {label}", ","]
            if shape < 0.85:
                lo = rng.randint(0, upper)
                hi = rng.randint(lo, upper)
                claim.quantity_min, claim.quantity_max = lo, hi
                claim.summary = f"Between {lo} and {hi} {label}"
                return [f"Somewhere between {lo} and {hi}, {label}", ","]
            claim.summary = f"Some {label}"
            return [f"They have already {label.split()[-1]} some of them", ","]
        claim.stance = Claim.Stance.DENIES
        if plan.quantity_max is not None and rng.random() < 0.4:
            claim.quantity_min = claim.quantity_max = plan.quantity_max
            claim.summary = f"Not all {plan.quantity_max}"
            return [f"Not all {plan.quantity_max}, whatever was announced", ","]
        claim.summary = f"None {label.split()[-1]}"
        return ["None of them, not a single one", ","]

    def fill_state(self, claim: ClaimRow, stated_on: date) -> None:
        roll = self.rng.random()
        if roll < 0.92:
            claim.state = Claim.State.APPROVED
        elif roll < 0.96:
            claim.state = Claim.State.PENDING
        elif roll < 0.98:
            claim.state, claim.state_reason = Claim.State.REJECTED, "Not verbatim."
        else:
            claim.state, claim.state_reason = Claim.State.RETRACTED, "The document was withdrawn."
        day = stated_on + timedelta(days=1)
        claim.state_changed_at = datetime(day.year, day.month, day.day, 12, tzinfo=UTC)


class Command(BaseCommand):
    help = "Fill an empty database with N realistic claims (and their world), then recompute."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--claims", type=int, required=True, help="How many claims.")
        parser.add_argument("--seed", type=int, default=1, help="Same seed, same data.")

    def handle(self, *args, **options) -> None:
        if options["claims"] < 1:
            raise CommandError("--claims must be at least 1.")
        if Claim.objects.exists() or Topic.objects.exists() or Source.objects.exists():
            raise CommandError(
                "generate_volume fills an empty database; this one has sources, topics or "
                "claims. Use a fresh database (createdb, then migrate)."
            )
        volume = Volume(options["claims"], options["seed"], self.stdout)
        timings = {}
        postgresql = connection.vendor == "postgresql"
        # One transaction: on any error nothing is left half loaded.
        with transaction.atomic():
            if postgresql:
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL statement_timeout = 0")
            t = time.monotonic()
            sources = volume.make_sources()
            plans = volume.plan_topics()
            volume.make_topics(plans)
            volume.make_detainees(plans)
            volume.make_documents(plans)
            timings["setup"] = time.monotonic() - t
            # On PostgreSQL the claims table's secondary indexes are dropped for
            # the load and rebuilt once: several times faster than updating a
            # dozen indexes, a GIN one among them, row by row. The one
            # detection reads by comes back before the recompute, the others
            # after it, so that writing the supersessions updates none of them.
            t = time.monotonic()
            dropped = drop_secondary_indexes(Claim._meta.db_table) if postgresql else []
            volume.make_claims(plans, sources)
            timings["claims"] = time.monotonic() - t
            # Loaded in bulk, without signals: cached pages go stale on commit.
            data_changed()
            t = time.monotonic()
            build_indexes([sql for sql in dropped if VARIABLE_INDEX in sql])
            # A new database nobody else writes to, in one transaction: the
            # topic locks of all its topics would not fit (claims/locks.py).
            with locks.alone():
                result = detection.recompute_all()
            timings["recompute"] = time.monotonic() - t
            # Written without Claim.save: publish what the approved claims show.
            Claim.objects.all().publish_what_they_use()
            t = time.monotonic()
            build_indexes([sql for sql in dropped if VARIABLE_INDEX not in sql])
            timings["indexes"] = time.monotonic() - t
        if postgresql:
            t = time.monotonic()
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
            timings["analyze"] = time.monotonic() - t
        for name, value in volume.stats.items():
            self.stdout.write(f"{name}: {value:,}")
        self.stdout.write(f"variables examined: {result.variables:,}")
        for name, value in sorted(result.changes.items()):
            self.stdout.write(f"recompute {name}: {value:,}")
        self.stdout.write(
            "seconds: " + ", ".join(f"{name} {value:.1f}" for name, value in timings.items())
        )
