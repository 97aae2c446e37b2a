from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import connections, models, transaction
from django.db.models import ExpressionWrapper, F, FloatField, Q
from django.db.models.query import ModelIterable
from django.urls import reverse
from django.utils import timezone
from simple_history.models import HistoricalRecords

from crosscheck.counts import KeepsCounters, counter
from crosscheck.text import TextPolicyModel, check_reason

# Only web links: a javascript: or file: URL must never reach a page.
http_url = URLValidator(schemes=["http", "https"])


def sees_unpublished(user) -> bool:
    """Return whether the user may see research no approved claim has published yet.

    Editors and up (they add sources, documents, topics and detainees, and
    pick them in their drafts); readers and anonymous visitors never do.
    """
    return user is not None and user.is_authenticated and user.has_perm("claims.add_claim")


class PublishableQuerySet(models.QuerySet):
    """Sources, documents, topics and detainees: public once published (docs/publication.md).

    `published_at` is a date stored on the row, set when an approved claim
    first uses the object (Claim.save, ClaimQuerySet.publish_what_they_use)
    or when a moderator publishes it. A reader's list checks a column of the
    row it reads anyway, where an EXISTS over approved claims would probe the
    claims index once per row, on every list, at a million claims.
    """

    def public(self):
        return self.filter(published_at__isnull=False)

    def visible_to(self, user):
        """Return what this user may see: everything for editors and up, else the published."""
        return self.all() if sees_unpublished(user) else self.public()


def keep_publication(obj: models.Model) -> None:
    """Before a save: never unpublish by saving a copy loaded before the object was published."""
    if obj.pk is not None and obj.published_at is None:
        obj.published_at = (
            type(obj)
            ._default_manager.filter(pk=obj.pk)
            .values_list("published_at", flat=True)
            .first()
        )


def attach_party_records(sources: list[Source]) -> None:
    """Set each source's `party_claim_count`, `party_confirmed_count`, `party_refuted_count`.

    One query, whatever the number of sources, parties and claims: the pairs
    (source, topic) where the source's chain (itself, whom it speaks for, and
    whom that one speaks for) is a current party to the topic, each found on
    the parties' source index; then, for each pair, the source's approved
    claims on the topic, read from the partial index claim_source_topic_idx
    (source, topic, verdict) without the claims table, counted by verdict.
    Both sides read only what the sources given have, however large the
    tables. A join of the claims to their topics' parties instead tested every
    claim of the largest source against every party of its topics (958,893
    rows filtered out, 45,322 buffers, with 13,500 parties at a million claims).
    Raw SQL: a join to a subquery of pairs, which the ORM cannot say.
    """
    from claims.models import Claim, TopicParty

    for source in sources:
        source.party_claim_count = source.party_confirmed_count = source.party_refuted_count = 0
    if not sources:
        return
    claim, party = Claim._meta.db_table, TopicParty._meta.db_table
    table = Source._meta.db_table
    ids = [source.pk for source in sources]
    marks = ", ".join(["%s"] * len(ids))
    sql = (
        "SELECT c.source_id, c.verdict, COUNT(*) FROM ("
        f'SELECT DISTINCT s.id, p.topic_id FROM "{table}" AS s '
        f'LEFT JOIN "{table}" AS a ON a.id = s.affiliation_id '
        f'JOIN "{party}" AS p ON p.source_id IN (s.id, s.affiliation_id, a.affiliation_id) '
        f"WHERE s.id IN ({marks}) AND p.withdrawn = %s) AS x "
        f'JOIN "{claim}" AS c ON c.source_id = x.id AND c.topic_id = x.topic_id '
        "WHERE c.state = %s GROUP BY c.source_id, c.verdict"
    )
    by_pk = {source.pk: source for source in sources}
    with connections[Source.objects.db].cursor() as cursor:
        cursor.execute(sql, [*ids, False, Claim.State.APPROVED.value])
        for pk, verdict, n in cursor.fetchall():
            source = by_pk[pk]
            source.party_claim_count += n
            if verdict == Claim.Verdict.CONFIRMED:
                source.party_confirmed_count += n
            elif verdict == Claim.Verdict.REFUTED:
                source.party_refuted_count += n


class PartyRecordIterable(ModelIterable):
    """Sources, each with its party record (`attach_party_records`), in batches.

    A list is counted at once (up to `LIST_BATCH` rows); `iterator()` (the
    export's stream) per chunk it reads.
    """

    # A list's sources counted at once, up to this many (a page is 20 to 100).
    LIST_BATCH = 1000

    def __iter__(self):
        size = self.chunk_size if self.chunked_fetch else self.LIST_BATCH
        batch = []
        for source in super().__iter__():
            batch.append(source)
            if len(batch) >= size:
                attach_party_records(batch)
                yield from batch
                batch = []
        attach_party_records(batch)
        yield from batch


class SourceQuerySet(PublishableQuerySet):
    def with_record(self) -> SourceQuerySet:
        """Annotate each source's reliability, from its track record's counts.

        The counts (claim_count, confirmed_count, refuted_count,
        open_conflict_count) are the source's own columns, kept by the
        database on every write (claims/counters.py): a list of sources
        reads them, where it counted each source's claims and conflicts.
        """
        return self.annotate(
            # Laplace's rule of succession: (confirmed + 1) / (confirmed + refuted + 2).
            # A source with no verdicts scores 0.5, and each verdict moves it.
            reliability=ExpressionWrapper(
                (F("confirmed_count") + 1.0) / (F("confirmed_count") + F("refuted_count") + 2.0),
                output_field=FloatField(),
            )
        )

    def with_party_record(self) -> SourceQuerySet:
        """Give each source the part of its record made as an interested party (issue 14, point 2).

        A claim is *as party* when the topic it is on counts, among its current
        parties (`TopicParty`), the claim's speaker or whom it speaks for, up
        to three levels (Jen Psaki, the State Department, the U.S. government),
        as `speaking_for` reaches; every other approved claim is *as
        independent*. Sets `party_claim_count`, `party_confirmed_count` and
        `party_refuted_count` on each source loaded; the independent side is
        the record `with_record()` gives minus these (`Source.independent_record`).

        Counted for the rows loaded, not in the rows' query (`PartyRecordIterable`):
        one query more for a page of sources (or per chunk of `iterator()`),
        whatever the number of claims. The
        correlated subqueries it replaces probed every claim of each row's
        source against its parties: with 13,500 parties at a million claims,
        212 ms for the largest source, 1.6 s for the sources list's first page.
        """
        clone = self._chain()
        clone._iterable_class = PartyRecordIterable
        return clone

    def speaking_for(self, source: Source) -> SourceQuerySet:
        """Return the source, those who speak for it, and those who speak for them, in one query.

        An organisation's page rolls up their claims. Three levels (a
        department, its press office, its spokeswoman) in one subquery, so
        the page's queries stay constant; `with_affiliated` walks any depth,
        one query per level, for the claims list's filter.
        """
        return self.filter(
            Q(pk=source.pk) | Q(affiliation=source) | Q(affiliation__affiliation=source)
        )

    def speaker_ids(self, source: Source) -> list[int]:
        """Return the ids of `speaking_for(source)`, in one query that each index serves.

        A union of the three levels, each found by the primary key or the
        affiliation index; the one filter `pk OR affiliation OR
        affiliation__affiliation` joins every source to its affiliation
        before it can test the third, so PostgreSQL read the whole table.
        """
        levels = [
            self.filter(pk=source.pk),
            self.filter(affiliation=source),
            self.filter(affiliation__affiliation=source),
        ]
        first, *rest = (level.order_by().values_list("pk", flat=True) for level in levels)
        return list(first.union(*rest).order_by())

    def chains(self, ids, *, names: dict[int, str] | None = None) -> dict[int, tuple[int, ...]]:
        """Map each source id to its affiliation chain: itself, whom it speaks for, ..., the top.

        One query per level of affiliation (three in the demo: Jen Psaki, the
        State Department, the U.S. government), whatever the number of sources.
        The last id of a chain is the source's *organisation* (claims.conflicts,
        "One voice per organisation"). `names`, when given, is filled with the
        name of every source met, the organisations' among them.
        """
        parent: dict[int, int | None] = {}
        frontier = {pk for pk in ids if pk is not None}
        while frontier:
            rows = list(
                Source.objects.filter(pk__in=frontier).values_list("pk", "affiliation_id", "name")
            )
            parent.update((pk, up) for pk, up, _ in rows)
            if names is not None:
                names.update((pk, name) for pk, _, name in rows)
            frontier = {p for _, p, _ in rows if p is not None and p not in parent}
            frontier -= set(parent)
        chains = {}
        for pk in ids:
            if pk is None or pk not in parent:
                continue
            chain, seen = [pk], {pk}
            while (up := parent.get(chain[-1])) is not None and up not in seen:
                chain.append(up)
                seen.add(up)
            chains[pk] = tuple(chain)
        return chains

    def organisations(self, ids) -> dict[int, int]:
        """Map each source id to its organisation's id: the top of its affiliation chain."""
        return {pk: chain[-1] for pk, chain in self.chains(ids).items()}

    def with_affiliated(self, source: Source) -> SourceQuerySet:
        """Return the source and every source affiliated to it, however deep."""
        ids, frontier = {source.pk}, {source.pk}
        while frontier:
            frontier = set(self.filter(affiliation__in=frontier).values_list("pk", flat=True)) - ids
            ids |= frontier
        return self.filter(pk__in=ids)


class SourceKind(models.TextChoices):
    GOVERNMENT = "government", "Government"
    OFFICIAL = "official", "Official"
    MONITOR = "monitor", "Monitor / NGO"
    LEGISLATOR = "legislator", "Legislator"
    MEDIA = "media", "Media"
    OTHER = "other", "Other"


class Source(KeepsCounters, TextPolicyModel, models.Model):
    """Who speaks: a person or an organisation."""

    Kind = SourceKind

    name = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    affiliation = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="affiliates",
        help_text="The organisation this person or body speaks for, if any.",
    )
    # Other names and acronyms ("CCDHRN", "State Dept"): a search finds the
    # source's claims, and its affiliates' claims, by any of them.
    aliases = models.JSONField(default=list, blank=True)
    country = models.CharField(
        max_length=2, blank=True, help_text="ISO 3166 two-letter code, e.g. US or CU."
    )
    url = models.URLField(blank=True, validators=[http_url])
    description = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # When the source became public: see PublishableQuerySet.
    published_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Its track record, kept by the database on every write (claims/counters.py):
    # its own claims and conflicts, not its affiliates'.
    claim_count = counter("Approved claims by this source.")
    confirmed_count = counter("Approved claims by this source a resolution confirmed.")
    refuted_count = counter("Approved claims by this source a resolution refuted.")
    open_conflict_count = counter("Open conflicts one of this source's claims is in.")

    COUNTERS = ("claim_count", "confirmed_count", "refuted_count", "open_conflict_count")
    history = HistoricalRecords(excluded_fields=["published_at", *COUNTERS])
    objects = SourceQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(kind__in=SourceKind.values),
                name="source_kind_valid",
            ),
            models.CheckConstraint(
                condition=~models.Q(affiliation=models.F("pk")),
                name="source_not_affiliated_to_itself",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        with transaction.atomic():
            keep_publication(self)
            stored = (
                Source.objects.filter(pk=self.pk)
                .values_list("name", "affiliation", "aliases")
                .first()
            )
            renamed = stored is not None and stored != (
                self.name,
                self.affiliation_id,
                self.aliases,
            )
            super().save(*args, **kwargs)
            if renamed:
                # Claims are found by their speaker's and its affiliation's names
                # and aliases: rewritten in this transaction, so never stale.
                from claims.models import Claim

                speakers = Q(source=self) | Q(source__affiliation=self)
                Claim.objects.filter(speakers).refresh_search_text()

    def get_absolute_url(self) -> str:
        return reverse("sources:detail", args=[self.pk])

    def clean(self) -> None:
        self.country = self.country.upper()
        if not isinstance(self.aliases, list) or not all(isinstance(a, str) for a in self.aliases):
            raise ValidationError({"aliases": "Aliases are a list of names."})
        self.aliases = [a.strip() for a in self.aliases if a.strip()]
        # Walk up the chain: an affiliation loop would make "claims of
        # sources affiliated to X" endless.
        parent, seen = self.affiliation, set()
        while parent is not None and parent.pk not in seen:
            if self.pk is not None and parent.pk == self.pk:
                raise ValidationError(
                    {"affiliation": f"{self.name} cannot be affiliated to itself, even indirectly."}
                )
            seen.add(parent.pk)
            parent = parent.affiliation

    @property
    def is_public(self) -> bool:
        return self.published_at is not None

    def publish(self, *, by) -> None:
        """Make the object public before any approved claim uses it (a moderator's choice)."""
        publish(self, by=by)

    def renames(self, limit: int = 5) -> list[tuple[str, object, str]]:
        """Return the newest renames since publication: (old name, when, by whom).

        A rename of a published source re-attributes every claim it made, so
        it is a direct edit kept on the record and shown on the source's page
        ("renamed from … on … by …"): read from its history, one query.
        """
        if self.published_at is None:
            return []
        records = list(
            self.history.select_related("history_user")
            .order_by("-history_date", "-history_id")
            .only("name", "history_date", "history_user")[: limit * 10]
        )
        renames = []
        for newer, older in pairwise(records):
            if newer.name != older.name and newer.history_date >= self.published_at:
                user = newer.history_user
                who = (user.get_full_name() or "a newsroom member") if user else "the system"
                renames.append((older.name, newer.history_date, who))
        return renames[:limit]

    RELIABILITY_FORMULA = "(confirmed + 1) ÷ (confirmed + refuted + 2)"

    @property
    def party_record(self) -> Record | None:
        """The record as an interested party: needs `with_party_record()`, else None."""
        if not hasattr(self, "party_claim_count"):
            return None
        return Record(self.party_claim_count, self.party_confirmed_count, self.party_refuted_count)

    @property
    def independent_record(self) -> Record | None:
        """The rest of the record: needs `with_record()` and `with_party_record()`, else None."""
        party = self.party_record
        if party is None or not hasattr(self, "claim_count"):
            return None
        return Record(
            self.claim_count - party.claims,
            self.confirmed_count - party.confirmed,
            self.refuted_count - party.refuted,
        )

    @property
    def speaker_line(self) -> str:
        """Return "Jen Psaki (U.S. Department of State)", or the bare name."""
        if self.affiliation_id:
            return f"{self.name} ({self.affiliation.name})"
        return self.name


@dataclass(frozen=True)
class Record:
    """One side of a source's track record: approved claims, confirmed, refuted."""

    claims: int
    confirmed: int
    refuted: int

    @property
    def reliability(self) -> float:
        """Laplace's rule of succession, as `with_record()` computes the whole record's."""
        return (self.confirmed + 1) / (self.confirmed + self.refuted + 2)

    @property
    def has_verdicts(self) -> bool:
        return bool(self.confirmed or self.refuted)


def publish(obj: models.Model, *, by) -> None:
    """Publish a source, document, topic or detainee by hand, on the record."""
    if obj.published_at is not None:
        return
    obj.published_at = timezone.now()
    obj._change_reason = "Published by a moderator"
    if by is not None:
        obj._history_user = by
    obj.save()


class CredibilityNoteQuerySet(models.QuerySet):
    def visible(self) -> CredibilityNoteQuerySet:
        return self.filter(hidden=False)


class CredibilityNote(TextPolicyModel, models.Model):
    """An editor's dated, signed judgement on a source.

    A note is never edited in place: a correction is a new note, and a wrong
    one is hidden with a reason. Only the hiding fields may change after
    creation; the history keeps every state.
    """

    class Aspect(models.TextChoices):
        GENERAL = "general", "General"
        TRACK_RECORD = "track_record", "Track record"
        ACCESS = "access", "Access to the facts"
        INTEREST = "interest", "Interest in the outcome"
        METHODOLOGY = "methodology", "Methodology"

    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="notes")
    aspect = models.CharField(max_length=20, choices=Aspect.choices, default=Aspect.GENERAL)
    body = models.TextField(max_length=4000)
    signed_by = models.CharField(
        max_length=200, blank=True, help_text="The editor's name as it should appear."
    )
    written_on = models.DateField(default=timezone.localdate)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    hidden = models.BooleanField(default=False)
    hidden_reason = models.TextField(blank=True)
    hidden_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    hidden_at = models.DateTimeField(null=True, blank=True)

    history = HistoricalRecords()
    objects = CredibilityNoteQuerySet.as_manager()

    IMMUTABLE_FIELDS = ("source_id", "aspect", "body", "signed_by", "written_on")
    IMMUTABLE_FIELDS_DISPLAY = ("source", "aspect", "body", "signed_by", "written_on")

    class Meta:
        ordering = ["-written_on", "-pk"]
        permissions = [("hide_credibilitynote", "Can hide and restore credibility notes")]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(body=""), name="credibilitynote_body_not_empty"
            ),
            models.CheckConstraint(
                condition=models.Q(hidden=False) | ~models.Q(hidden_reason=""),
                name="credibilitynote_hidden_has_reason",
            ),
        ]
        indexes = [models.Index(fields=["source", "hidden", "-written_on"])]

    def __str__(self) -> str:
        return f"Note on {self.source} ({self.written_on})"

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            stored = (
                CredibilityNote.objects.filter(pk=self.pk).values(*self.IMMUTABLE_FIELDS).first()
            )
            if stored and any(stored[f] != getattr(self, f) for f in self.IMMUTABLE_FIELDS):
                raise ValidationError(
                    "A credibility note is never edited: add a new note with the correction "
                    "and hide this one with a reason."
                )
        super().save(*args, **kwargs)

    @property
    def author_name(self) -> str:
        if self.signed_by:
            return self.signed_by
        # Never the login name: a public page must not hand out usernames to try.
        if self.created_by_id and self.created_by.get_full_name():
            return self.created_by.get_full_name()
        return "A newsroom editor" if self.created_by_id else "Unsigned"

    def hide(self, *, by, reason: str) -> None:
        """Hide the note from readers, keeping it (and why) in history."""
        if not reason.strip():
            raise ValidationError({"hidden_reason": "Say why the note is hidden."})
        self.hidden, self.hidden_reason = True, check_reason(reason.strip(), "hidden_reason")
        self.hidden_by, self.hidden_at = by, timezone.now()
        self._change_reason = f"Hidden: {self.hidden_reason}"
        self.save()

    def restore(self, *, by) -> None:
        """Show a hidden note again; the hiding stays in history."""
        self.hidden, self.hidden_reason, self.hidden_by, self.hidden_at = False, "", None, None
        self._change_reason = "Restored"
        if by is not None:
            self._history_user = by
        self.save()
