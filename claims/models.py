from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator, MaxValueValidator, MinValueValidator
from django.db import connection, models, transaction
from django.db.models import Case, Count, F, IntegerField, OuterRef, Q, Subquery, Value, When
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify
from simple_history.models import HistoricalRecords

from claims import conflicts as rules
from claims.search import fold
from crosscheck.counts import KeepsCounters, counter
from crosscheck.text import TextPolicyModel, check_reason
from sources.models import PublishableQuerySet, Source, http_url, keep_publication, publish

QUOTE_MAX_LENGTH = 5000

# The largest count a topic's bounds or a claim's quantity may hold, checked
# the same by the models, the forms (web and API), the spreadsheet import and
# case files. Counts can be large (a city's or a country's population passes
# 2,147,483,647, a 32-bit column's limit), so the columns are 64-bit on both
# databases; the bound itself is 10^15 rather than 2^63 - 1 so that every
# value is exact where JSON is read as floating point (JavaScript: 2^53).
QUANTITY_LIMIT = 10**15
QUANTITY_LIMIT_MESSAGE = f"Counts go up to {QUANTITY_LIMIT:,}; this is larger."
quantity_validators = [
    MinValueValidator(0, message="A count cannot be negative."),
    MaxValueValidator(QUANTITY_LIMIT, message=QUANTITY_LIMIT_MESSAGE),
]


class Document(TextPolicyModel, models.Model):
    """Where a claim was published or heard."""

    class Kind(models.TextChoices):
        ARTICLE = "article", "Article"
        TRANSCRIPT = "transcript", "Briefing transcript"
        REPORT = "report", "Report"
        SOCIAL = "social", "Social media post"
        OTHER = "other", "Other"

    title = models.CharField(max_length=300, unique=True)
    kind = models.CharField(max_length=20, choices=Kind.choices, default=Kind.ARTICLE)
    publisher = models.CharField(max_length=200, blank=True)
    url = models.URLField(max_length=1000, blank=True, validators=[http_url])
    published_on = models.DateField(null=True, blank=True)
    archive_url = models.URLField(max_length=1000, blank=True, validators=[http_url])
    created_at = models.DateTimeField(auto_now_add=True)
    # When the document became public: see sources.models.PublishableQuerySet.
    published_at = models.DateTimeField(null=True, blank=True, editable=False)

    history = HistoricalRecords(excluded_fields=["published_at"])
    objects = PublishableQuerySet.as_manager()

    class Meta:
        ordering = ["-published_on", "title"]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        keep_publication(self)
        super().save(*args, **kwargs)

    @property
    def is_public(self) -> bool:
        return self.published_at is not None

    def publish(self, *, by) -> None:
        """Make the document public before any approved claim cites it (a moderator's choice)."""
        publish(self, by=by)


def current_user(obj: models.Model):
    """Return who is making this save: the one named on it, else the request's user."""
    user = getattr(obj, "_history_user", None)
    if user is None:
        request = getattr(HistoricalRecords.context, "request", None)
        user = getattr(request, "user", None)
    return user if user is not None and user.is_authenticated else None


# The rules a topic's conflicts are decided by, as a rule change names them.
RULE_FIELDS_SHOWN = (
    "window_days",
    "quantity_min",
    "quantity_max",
    "tolerance",
    "tolerance_percent",
    "counts_status",
)


def counted_status_choices() -> list[tuple[str, str]]:
    """The statuses a count may count: any of the claims' statuses (ClaimStatus)."""
    return ClaimStatus.choices


# The fields topics' and detainees' histories leave out: the same list for
# both, each field on both, since simple_history records a topic's detainees
# added from the topic's side with the detainees' history options (the
# counters, which the triggers keep, and the publication date).
UNTRACKED_BY_TOPICS_AND_DETAINEES = ["published_at", "open_conflict_count", "claim_count"]


class Topic(KeepsCounters, TextPolicyModel, models.Model):
    """A matter on which sources make claims, phrased as a question."""

    title = models.CharField(max_length=200, unique=True)
    slug = models.SlugField(max_length=200, unique=True, editable=False)
    question = models.CharField(max_length=500)
    quantity_label = models.CharField(
        max_length=100, blank=True, help_text='What is counted, e.g. "prisoners released".'
    )
    quantity_min = models.BigIntegerField(
        null=True, blank=True, validators=quantity_validators, help_text="Usually 0."
    )
    quantity_max = models.BigIntegerField(
        null=True,
        blank=True,
        validators=quantity_validators,
        help_text="Leave empty when there is no upper bound.",
    )
    window_days = models.PositiveIntegerField(
        default=7,
        help_text="Claims whose dates are at most this many days apart are compared.",
    )
    # claims.conflicts.TopicRules: two counts this close agree (0: only equal counts).
    tolerance = models.BigIntegerField(
        default=0,
        blank=True,
        validators=quantity_validators,
        help_text="Two counts at most this far apart agree, e.g. 10; 0 for exact counts.",
    )
    tolerance_percent = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        default=0,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(100)],
        help_text="Or: two counts at most this percentage of the larger apart agree, e.g. 1.",
    )
    # Lists against persons (claims.conflicts): the count counts the topic's
    # detainees in this status, so per-person claims bound it.
    counts_status = models.CharField(
        max_length=30,
        blank=True,
        choices=counted_status_choices,
        help_text="The count counts the topic's detainees in this status, e.g. "
        "“Released”: then named releases bound it. Empty: the count stands alone.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Kept by the database on every write (claims/counters.py): the home page
    # and the topic's page read them instead of counting.
    open_conflict_count = counter("Open conflicts on this topic.")
    claim_count = counter("Approved claims on this topic.")

    COUNTERS = ("open_conflict_count", "claim_count")
    history = HistoricalRecords(excluded_fields=UNTRACKED_BY_TOPICS_AND_DETAINEES)
    objects = PublishableQuerySet.as_manager()

    class Meta:
        ordering = ["title"]
        indexes = [
            # The home page: the topics with the most open conflicts first.
            models.Index(F("open_conflict_count").desc(), "title", "id", name="topic_hot_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(quantity_min__isnull=True)
                | Q(quantity_max__isnull=True)
                | Q(quantity_min__lte=models.F("quantity_max")),
                name="topic_quantity_bounds_ordered",
            ),
            models.CheckConstraint(
                condition=Q(quantity_label="", quantity_min__isnull=True, quantity_max__isnull=True)
                | (~Q(quantity_label="") & Q(quantity_min__isnull=False)),
                name="topic_quantity_label_and_min_together",
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs) -> None:
        """Save; when the rules change (window, bounds), re-examine the topic's variables."""
        from claims import detection, locks

        if not self.slug:
            self.slug = slugify(self.title)[:200] or "topic"
        with transaction.atomic():
            locks.lock_topics([self.pk])  # Before the claims its rules re-examine.
            keep_publication(self)
            stored = getattr(self, "_stored_rules", None)
            if stored is None and self.pk is not None:
                row = Topic.objects.filter(pk=self.pk).first()
                stored = row.rules if row else None
            changed = stored is not None and stored != self.rules
            because = ""
            if changed:
                # The topic's history says what changed and why (the reason the
                # form asks for, `rule_change_reason`); the conflicts it opens or
                # closes name the person and the same reason (a direct edit, on
                # the record: docs/publication.md).
                new = self.rules
                moved = [
                    f"{name.replace('_', ' ')} {getattr(stored, name)} → {getattr(new, name)}"
                    for name in RULE_FIELDS_SHOWN
                    if getattr(stored, name) != getattr(new, name)
                ]
                because = "Comparison rules changed: " + (", ".join(moved) or "quantity label")
                if why := getattr(self, "rule_change_reason", ""):
                    because += f". Why: {why}"
                if not getattr(self, "_change_reason", None):
                    self._change_reason = because
            super().save(*args, **kwargs)
            if changed:
                variables = set(
                    self.claims.approved().values_list("topic_id", "detainee_id").distinct()
                ) | set(self.conflicts.values_list("topic_id", "detainee_id").distinct())
                editor = current_user(self)
                for topic_id, detainee_id in variables:
                    detection.refresh_variable(
                        topic_id,
                        detainee_id,
                        by=editor,
                        because=f"{self.title}: {because}",
                        follow=False,  # Each variable once: the topic's own is in the set.
                    )
            self.rule_change_reason = ""
        self._stored_rules = self.rules

    def get_absolute_url(self) -> str:
        return reverse("claims:topic", args=[self.slug])

    @classmethod
    def from_db(cls, db, field_names, values, **kwargs):
        instance = super().from_db(db, field_names, values, **kwargs)
        rule_fields = (
            "quantity_label",
            "quantity_min",
            "quantity_max",
            "window_days",
            "tolerance",
            "tolerance_percent",
            "counts_status",
        )
        if all(f in instance.__dict__ for f in rule_fields):
            instance._stored_rules = instance.rules
        return instance

    def clean(self) -> None:
        self.clean_rules()
        slug = slugify(self.title) or "topic"
        if Topic.objects.filter(slug=slug).exclude(pk=self.pk).exists():
            raise ValidationError({"title": "Another topic already has a title this close."})

    def clean_rules(self) -> None:
        """Check the comparison rules (label, bounds) without a query: clean() minus the slug.

        The spreadsheet import checks the slugs of all its new topics in one
        query instead (claims.import_topics).
        """
        if self.quantity_label and self.quantity_min is None:
            self.quantity_min = 0
        if not self.quantity_label and (
            self.quantity_min is not None or self.quantity_max is not None
        ):
            raise ValidationError(
                {
                    "quantity_label": "Say what is counted before giving bounds, "
                    "e.g. “prisoners released”."
                }
            )
        if (
            self.quantity_min is not None
            and self.quantity_max is not None
            and self.quantity_min > self.quantity_max
        ):
            raise ValidationError(
                {
                    "quantity_max": f"The upper bound ({self.quantity_max}) is below "
                    f"the lower bound ({self.quantity_min})."
                }
            )

    @property
    def is_public(self) -> bool:
        return self.published_at is not None

    def publish(self, *, by) -> None:
        """Make the topic public before any approved claim is on it (a moderator's choice)."""
        publish(self, by=by)

    @property
    def has_quantity(self) -> bool:
        return bool(self.quantity_label)

    @property
    def rules(self) -> rules.TopicRules:
        return rules.TopicRules(
            has_quantity=self.has_quantity,
            quantity_min=self.quantity_min or 0,
            quantity_max=self.quantity_max,
            window_days=self.window_days,
            tolerance=self.tolerance or 0,
            tolerance_percent=float(self.tolerance_percent or 0),
            counts_status=self.counts_status if self.has_quantity else "",
        )

    def quantity_range_display(self) -> str:
        if not self.has_quantity:
            return ""
        upper = "no limit" if self.quantity_max is None else self.quantity_max
        return f"{self.quantity_label}: {self.quantity_min}–{upper}"


class TopicPartyQuerySet(models.QuerySet):
    def current(self) -> TopicPartyQuerySet:
        return self.filter(withdrawn=False)


class TopicParty(TextPolicyModel, models.Model):
    """A source that is a party to a topic (the U.S. and Cuban governments to the deal).

    Interested parties, issue 14 point 2: a claim whose speaker is a party,
    or speaks for one (its affiliation chain reaches it), is shown under
    "claims by parties", apart from "claims by independent monitors", and
    the track record counts it apart. Never deleted: a party wrongly
    recorded is withdrawn, with a reason, and history keeps both.
    """

    topic = models.ForeignKey(Topic, on_delete=models.PROTECT, related_name="parties")
    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="party_to")
    reason = models.TextField(
        max_length=1000, help_text="Why it is a party, e.g. “Signed the Dec. 17 agreement.”"
    )
    withdrawn = models.BooleanField(default=False)
    withdrawn_reason = models.TextField(max_length=1000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    history = HistoricalRecords()
    objects = TopicPartyQuerySet.as_manager()

    class Meta:
        ordering = ["topic", "source__name"]
        verbose_name_plural = "topic parties"
        constraints = [
            models.UniqueConstraint(fields=["topic", "source"], name="topicparty_one_per_source"),
            models.CheckConstraint(condition=~Q(reason=""), name="topicparty_reason_not_empty"),
            models.CheckConstraint(
                condition=Q(withdrawn=False) | ~Q(withdrawn_reason=""),
                name="topicparty_withdrawn_has_reason",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source} is a party to {self.topic}"


class Detainee(KeepsCounters, TextPolicyModel, models.Model):
    """A person whose status is in question; the name may be withheld."""

    name = models.CharField(
        max_length=200, unique=True, help_text="Or a placeholder: “Unidentified prisoner 12”."
    )
    aliases = models.JSONField(default=list, blank=True)
    arrested_on = models.DateField(null=True, blank=True)
    charges = models.TextField(blank=True)
    place_of_detention = models.CharField(max_length=300, blank=True)
    topics = models.ManyToManyField(Topic, related_name="detainees", blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Kept by the database on every write (claims/counters.py).
    open_conflict_count = counter("Open conflicts about this detainee.")
    claim_count = counter("Approved claims about this detainee.")

    COUNTERS = ("open_conflict_count", "claim_count")
    history = HistoricalRecords(
        m2m_fields=[topics], excluded_fields=UNTRACKED_BY_TOPICS_AND_DETAINEES
    )
    objects = PublishableQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        with transaction.atomic():
            keep_publication(self)
            stored = Detainee.objects.filter(pk=self.pk).values_list("name", "aliases").first()
            renamed = stored is not None and stored != (self.name, self.aliases)
            super().save(*args, **kwargs)
            if renamed:
                self.claims.refresh_search_text()

    def get_absolute_url(self) -> str:
        return reverse("claims:detainee", args=[self.pk])

    @property
    def is_public(self) -> bool:
        return self.published_at is not None

    def publish(self, *, by) -> None:
        """Make the detainee public before any approved claim names them (a moderator's choice)."""
        publish(self, by=by)

    def clean(self) -> None:
        if not isinstance(self.aliases, list) or not all(isinstance(a, str) for a in self.aliases):
            raise ValidationError({"aliases": "Aliases are a list of names."})
        self.aliases = [a.strip() for a in self.aliases if a.strip()]


class ClaimQuerySet(models.QuerySet):
    def approved(self) -> ClaimQuerySet:
        return self.filter(state=Claim.State.APPROVED)

    def public(self) -> ClaimQuerySet:
        """Return the claims a reader may see: only approved ones."""
        return self.approved()

    def publish_what_they_use(self) -> None:
        """Publish what these approved (or retracted) claims show: see docs/publication.md.

        Their speakers and the organisations those speak for, their
        documents, topics and detainees. Set-based UPDATEs of
        the rows not yet published, so a second call changes nothing; in the
        writing transaction, so nothing is public before the claim is.
        """
        claims = self.filter(state__in=[Claim.State.APPROVED, Claim.State.RETRACTED]).order_by()
        now = timezone.now()
        for model, column in ((Document, "document_id"), (Topic, "topic_id")):
            model.objects.filter(published_at=None, pk__in=claims.values(column)).update(
                published_at=now
            )
        Detainee.objects.filter(published_at=None, pk__in=claims.values("detainee_id")).update(
            published_at=now
        )
        speakers = set(claims.values_list("source_id", flat=True).distinct())
        # Whose words a relay repeats is shown with it too.
        speakers |= set(
            claims.filter(relays_source__isnull=False)
            .values_list("relays_source_id", flat=True)
            .distinct()
        )
        seen: set[int] = set()
        while speakers - seen:
            seen |= speakers
            Source.objects.filter(published_at=None, pk__in=speakers).update(published_at=now)
            speakers = set(
                Source.objects.filter(pk__in=speakers, affiliation__isnull=False).values_list(
                    "affiliation_id", flat=True
                )
            )

    def linkable(self) -> ClaimQuerySet:
        """Return the claims whose permalink works: approved, or retracted with a notice."""
        return self.filter(state__in=[Claim.State.APPROVED, Claim.State.RETRACTED])

    def on_variable(self, topic_id: int, detainee_id: int | None) -> ClaimQuerySet:
        """Return the claims on one variable: a topic, or a topic and one detainee."""
        return self.filter(topic_id=topic_id, detainee_id=detainee_id)

    def current(self) -> ClaimQuerySet:
        """Return the claims no later statement of their source has updated."""
        return self.filter(superseded_by__isnull=True)

    def refresh_search_text(self) -> int:
        """Rewrite the folded search text of these claims (after a rename); return how many."""
        claims = self.select_related("source__affiliation", "detainee").only(
            "quote",
            "summary",
            "search_text",
            "source__name",
            "source__aliases",
            "source__affiliation__name",
            "source__affiliation__aliases",
            "detainee__name",
            "detainee__aliases",
        )
        from claims import locks

        # Rows of claims are written: their topics first (claims/locks.py).
        locks.lock_topics(self.order_by().values_list("topic_id", flat=True).distinct())
        batch = []
        for claim in claims.iterator(chunk_size=2000):
            claim.search_text = claim.build_search_text()
            batch.append(claim)
        Claim.objects.bulk_update(batch, ["search_text"], batch_size=2000)
        return len(batch)

    def same_statements(self, claims) -> dict[int, list[Claim]]:
        """Map each claim's pk to the other claims here that record the same statement.

        Same statement: same source, topic, detainee and day, and quotes equal
        once normalised (`normalised_quote`), or one normalised quote inside
        the other (a near-duplicate: the same words quoted at more or less
        length). One query for all of `claims`, whatever their number.
        """
        claims = list(claims)
        if not claims:
            return {}
        keys = {c.statement_key for c in claims}
        candidates = self.filter(
            source_id__in={k[0] for k in keys},
            topic_id__in={k[1] for k in keys},
            stated_on__in={k[3] for k in keys},
        ).select_related("source")
        by_key: dict[tuple, list[Claim]] = {}
        for other in candidates:
            by_key.setdefault(other.statement_key, []).append(other)
        found: dict[int, list[Claim]] = {}
        for claim in claims:
            mine = normalised_quote(claim.quote)
            found[claim.pk] = [
                other
                for other in by_key.get(claim.statement_key, [])
                if other.pk != claim.pk
                and (mine in normalised_quote(other.quote) or normalised_quote(other.quote) in mine)
            ]
        return found

    def for_display(self) -> ClaimQuerySet:
        """Join what a claim card shows: speaker, affiliation, topic, detainee, document, update."""
        return self.select_related(
            "source__affiliation", "topic", "detainee", "document", "superseded_by", "relays_source"
        )

    def with_standing(self) -> ClaimQuerySet:
        """Annotate what a card's status badge needs (`Claim.standing`), in the list's own query.

        Correlated subqueries, each behind a CASE on a column of the row, so
        that they run only for the rows that need them: the open-conflict
        counts, newest open conflict and its other side only for a claim the
        database marks `in_open_conflict` (migration 0005), the resolution
        only for a claim with a verdict. A page of 50 claims stays one query,
        and a claim in no conflict costs nothing more. Unannotated claims
        (joined from a conflict, say) still get a badge, with less detail.
        """
        mine = Q(claim_a=OuterRef("pk")) | Q(claim_b=OuterRef("pk"))
        open_ = Conflict.objects.open().filter(mine).order_by()
        newest = open_.order_by("-opened_at", "-pk")
        marked = Q(in_open_conflict=True)

        def open_count(kind: str) -> Case:
            counted = open_.filter(kind=kind).values("status").annotate(n=Count("*")).values("n")
            return Case(
                When(marked, then=Coalesce(Subquery(counted, output_field=IntegerField()), 0)),
                default=Value(0),
            )

        other_side = newest.annotate(
            other=Case(
                When(claim_a=OuterRef("pk"), then=F("claim_b__source__name")),
                default=F("claim_a__source__name"),
            )
        )
        resolved = Conflict.objects.filter(status=ConflictStatus.RESOLVED).order_by(
            "-status_changed_at", "-pk"
        )
        pair = resolved.filter(mine).values("pk")[:1]
        # A verdict given by a value found true (docs/verdicts.md) links to the
        # resolution that recorded it, which the claim may not be a side of.
        on_variable = resolved.filter(HAS_TRUE_VALUE, topic=OuterRef("topic"))
        truth = Case(
            When(
                detainee__isnull=True,
                then=Subquery(on_variable.filter(detainee__isnull=True).values("pk")[:1]),
            ),
            default=Subquery(on_variable.filter(detainee=OuterRef("detainee")).values("pk")[:1]),
        )
        resolution = Coalesce(truth, Subquery(pair))
        return self.annotate(
            open_gap_count=open_count(ConflictKind.GAP),
            open_contradiction_count=open_count(ConflictKind.CONTRADICTION),
            newest_open_conflict_id=Case(When(marked, then=Subquery(newest.values("pk")[:1]))),
            newest_open_other=Case(When(marked, then=Subquery(other_side.values("other")[:1]))),
            resolution_id=Case(When(~Q(verdict=""), then=resolution)),
        )


def normalised_quote(quote: str) -> str:
    """Return a quote as compared for duplicates: folded, curly quotes straight, one space."""
    text = fold(quote or "").replace("’", "'").replace("“", '"').replace("”", '"')
    return " ".join(text.strip(" .…\"'").split())


class ClaimKind(models.TextChoices):
    FACT = rules.FACT, "Fact (checkable)"
    POSITION = rules.POSITION, "Position (opinion, demand, pledge)"


class ClaimStance(models.TextChoices):
    AFFIRMS = rules.AFFIRMS, "Affirms"
    DENIES = rules.DENIES, "Denies"
    NO_INFORMATION = rules.NO_INFORMATION, "No information"
    # A refusal to disclose, not a statement of not knowing: no gap (claims.conflicts).
    DECLINES = rules.DECLINES, "Declines to say"


class ClaimQuoteKind(models.TextChoices):
    """Whether the quote is the speaker's own words or a report of them.

    Reported speech ("urged Obama to cancel upcoming talks") is a reporter's
    paraphrase: it is never shown in quotation marks, nor put in a citation
    line or a ClaimReview as what the speaker said.
    """

    DIRECT = "direct", "Direct quote (the speaker's words)"
    REPORTED = "reported", "Reported speech (a paraphrase)"


class ClaimStatus(models.TextChoices):
    DETAINED = "detained", "Detained"
    PRETRIAL_DETENTION = "pretrial_detention", "Detained: pretrial detention"
    IMPRISONED = "imprisoned", "Detained: imprisoned"
    HOUSE_ARREST = "house_arrest", "Detained: house arrest"
    RELEASED = "released", "Released"
    UNCONDITIONAL_RELEASE = "unconditional_release", "Released: unconditionally"
    CONDITIONAL_RELEASE = "conditional_release", "Released: conditionally (parole)"
    EXILED = "exiled", "Released: exiled"
    DECEASED = "deceased", "Deceased"


class ClaimState(models.TextChoices):
    DRAFT = "draft", "Draft"
    PENDING = "pending", "Pending review"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    RETRACTED = "retracted", "Retracted"


class ClaimVerdict(models.TextChoices):
    CONFIRMED = rules.CONFIRMED, "Confirmed"
    REFUTED = rules.REFUTED, "Refuted"
    UNVERIFIED = rules.UNVERIFIED, "Unverified"


@dataclass(frozen=True)
class Standing:
    """Where a claim stands, as its card's badge says it: a key for the style, words, a link."""

    key: str  # open-gap, open-contradiction, open, superseded, confirmed, refuted, unverified
    text: str
    url: str


# What Claim.search_text is built from: a save of other fields leaves it as it is.
SEARCHED_FIELDS = frozenset({"quote", "summary", "source", "source_id", "detainee", "detainee_id"})
STATE_FIELDS = ("state", "state_changed_at", "state_changed_by", "state_reason")


class SecondPairOfEyesError(ValidationError):
    """The person deciding wrote or last edited the claim (settings.REQUIRE_SECOND_PAIR_OF_EYES)."""


def other_moderators(excluded: set[int]) -> list[str]:
    """Return the display names of the active moderators outside `excluded`, by name."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.models import Permission

    perm = Permission.objects.filter(content_type__app_label="claims", codename="moderate_claim")
    users = (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(
            Q(is_superuser=True) | Q(groups__permissions__in=perm) | Q(user_permissions__in=perm)
        )
        .exclude(pk__in=excluded)
        .distinct()
        .order_by("first_name", "last_name", "username")
    )
    return [u.get_full_name() or u.get_username() for u in users]


def four_eyes_refusal(by, *claims: Claim) -> str:
    """Return why `by` may not decide on these claims (second_pair_of_eyes), or ""."""
    try:
        for claim in claims:
            claim.second_pair_of_eyes(by)
    except SecondPairOfEyesError as error:
        return " ".join(error.messages)
    return ""


def new_claims_refusal(by) -> str:
    """Return why `by` may not approve claims they are adding now (an import), or ""."""
    if not settings.REQUIRE_SECOND_PAIR_OF_EYES or by is None:
        return ""
    names = other_moderators({by.pk})
    others = ", ".join(names) if names else "no other active moderator yet"
    return (
        "You are adding these claims, so another moderator must approve them: import them "
        f"as pending for review ({others})."
    )


class StaleClaimError(Exception):
    """The claim changed, or left the expected state, since the editor loaded it."""


class Claim(TextPolicyModel, models.Model):
    """One sourced statement: who said what, when, about which variable."""

    Kind = ClaimKind
    Stance = ClaimStance
    QuoteKind = ClaimQuoteKind
    Status = ClaimStatus
    State = ClaimState
    Verdict = ClaimVerdict

    source = models.ForeignKey(Source, on_delete=models.PROTECT, related_name="claims")
    topic = models.ForeignKey(Topic, on_delete=models.PROTECT, related_name="claims")
    detainee = models.ForeignKey(
        Detainee, on_delete=models.PROTECT, null=True, blank=True, related_name="claims"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.FACT)
    stance = models.CharField(max_length=20, choices=Stance.choices, blank=True)
    quantity_min = models.BigIntegerField(null=True, blank=True, validators=quantity_validators)
    quantity_max = models.BigIntegerField(null=True, blank=True, validators=quantity_validators)
    status = models.CharField(max_length=30, choices=Status.choices, blank=True)
    quote = models.TextField(
        validators=[MaxLengthValidator(QUOTE_MAX_LENGTH)],
        help_text=f"Verbatim, as said or written; at most {QUOTE_MAX_LENGTH:,} characters.",
    )
    quote_kind = models.CharField(
        "quote is",
        max_length=10,
        choices=QuoteKind.choices,
        default=QuoteKind.DIRECT,
        # Also in the database: bulk writers (generate_volume's COPY) leave it out.
        db_default=QuoteKind.DIRECT,
        help_text="Reported speech is never shown in quotation marks as the speaker's words.",
    )
    summary = models.CharField(max_length=300, help_text="One line, in the newsroom's words.")
    stated_on = models.DateField(help_text="When it was said.")
    as_of = models.DateField(
        null=True,
        blank=True,
        help_text="The date the statement is about, if not the day it was said.",
    )
    document = models.ForeignKey(
        Document, on_delete=models.PROTECT, null=True, blank=True, related_name="claims"
    )
    citation_url = models.URLField(max_length=1000, blank=True, validators=[http_url])
    # A relay (an echo) repeats another source's words: the recorded claim it
    # repeats, or, when that statement is not recorded, only whose words they
    # are. The rules in claims/conflicts.py ("Relays"): no conflict, no
    # supersession, no corroboration of its own.
    relays = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="relayed_by",
        verbose_name="relays claim",
        help_text="The recorded claim whose words this one repeats (according to ...).",
    )
    relays_source = models.ForeignKey(
        Source,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="relayed_in",
        verbose_name="relays source",
        help_text="Whose words this claim repeats, when their own statement is not recorded.",
    )
    language = models.CharField(max_length=10, default="en")
    state = models.CharField(max_length=10, choices=State.choices, default=State.DRAFT)
    state_changed_at = models.DateTimeField(null=True, blank=True)
    state_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    state_reason = models.TextField(blank=True)
    verdict = models.CharField(max_length=12, choices=Verdict.choices, blank=True)
    # Derived by claims.detection from the approved claims on the variable.
    superseded_by = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        editable=False,
        related_name="supersedes",
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    # Folded (lowercase, unaccented) quote, summary, speaker and detainee
    # names: what text search reads, on SQLite and PostgreSQL alike.
    search_text = models.TextField(blank=True, editable=False)
    # Whether the claim is in an open conflict: derived from the conflicts and
    # kept by the database itself (triggers on every conflict write, migration
    # 0005), so that the claims list's "in an open conflict" filter reads one
    # partial index instead of every open conflict.
    in_open_conflict = models.BooleanField(default=False, db_default=False, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Who last changed what the claim says (not its state): with created_by,
    # the people who may not approve it (second_pair_of_eyes).
    edited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        editable=False,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(
        excluded_fields=[
            "superseded_by",
            "updated_at",
            "search_text",
            "in_open_conflict",
        ]
    )
    objects = ClaimQuerySet.as_manager()

    class Meta:
        ordering = ["-stated_on", "-pk"]
        permissions = [("moderate_claim", "Can approve, reject, retract and restore claims")]
        indexes = [
            # Detection reads every claim on one variable.
            models.Index(fields=["topic", "detainee", "state"], name="claim_variable_idx"),
            # The live facts on a variable (approved, no later statement of their
            # source updates them) by effective day: the moderation queue's
            # previews, an approval and a claim page's agreeing sources read
            # those inside one window of a date, a few per source, whatever the
            # variable's history.
            models.Index(
                F("topic"),
                F("detainee"),
                Coalesce(F("as_of"), F("stated_on")),
                condition=Q(state=ClaimState.APPROVED, kind=rules.FACT, superseded_by__isnull=True),
                name="claim_live_idx",
            ),
            models.Index(fields=["state", "-stated_on"], name="claim_state_stated_idx"),
            models.Index(fields=["source", "state", "-stated_on"], name="claim_source_idx"),
            # A topic's newest claims: its page's pictures, /claims/?topic=.
            models.Index(
                fields=["topic", "state", "-stated_on", "-id"], name="claim_topic_newest_idx"
            ),
            # The claims list filtered to the claims in an open conflict, newest first.
            models.Index(
                fields=["-stated_on", "-id"],
                condition=Q(state=ClaimState.APPROVED, in_open_conflict=True),
                name="claim_open_conflict_idx",
            ),
            # An editor's claims still in the works, newest first: "My claims"
            # (claims.views.editing.dashboard), counted and paged by state.
            models.Index(
                fields=["created_by", "state", "-created_at", "-id"],
                condition=Q(state__in=[ClaimState.DRAFT, ClaimState.PENDING, ClaimState.REJECTED]),
                name="claim_own_idx",
            ),
            # The approved claims' languages, walked one to the next (the claims
            # list's language choices: claims.filters.approved_languages).
            models.Index(
                fields=["language"],
                condition=Q(state=ClaimState.APPROVED),
                name="claim_language_idx",
            ),
            # A source's approved claims by topic and verdict, read without the
            # table: its claims as a party (sources.models.attach_party_records).
            models.Index(
                fields=["source", "topic", "verdict"],
                condition=Q(state=ClaimState.APPROVED),
                name="claim_source_topic_idx",
            ),
            # The current claims of a variable, by source: the topic page's current
            # word (source by source) and detainees' statuses, the status board's cells.
            models.Index(
                fields=["topic", "detainee", "source"],
                condition=Q(state=ClaimState.APPROVED, superseded_by__isnull=True, kind=rules.FACT),
                name="claim_current_idx",
            ),
            # A source's claims on a topic itself, newest first: its earlier statements.
            models.Index(
                fields=["topic", "source", "-stated_on", "-id"],
                condition=Q(state=ClaimState.APPROVED, detainee__isnull=True),
                name="claim_speaker_newest_idx",
            ),
            # The moderation queue's order is in claim_pending_queue_idx, made
            # by migration 0017 in SQL: an index's NULLS FIRST is PostgreSQL's.
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind=rules.FACT, stance__in=ClaimStance.values)
                | Q(kind=rules.POSITION, stance=""),
                name="claim_stance_matches_kind",
            ),
            models.CheckConstraint(
                condition=Q(state__in=ClaimState.values), name="claim_state_valid"
            ),
            models.CheckConstraint(
                condition=Q(status="") | Q(status__in=ClaimStatus.values),
                name="claim_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(status="") | Q(detainee__isnull=False),
                name="claim_status_needs_detainee",
            ),
            models.CheckConstraint(
                condition=Q(quantity_min__isnull=True)
                | Q(quantity_max__isnull=True)
                | Q(quantity_min__lte=models.F("quantity_max")),
                name="claim_quantity_bounds_ordered",
            ),
            models.CheckConstraint(condition=~Q(quote=""), name="claim_quote_not_empty"),
            models.CheckConstraint(
                condition=Q(quote_kind__in=ClaimQuoteKind.values), name="claim_quote_kind_valid"
            ),
            # Relaying oneself (Claim.clean says so in words first).
            models.CheckConstraint(
                condition=Q(relays__isnull=True) | ~Q(relays=F("id")),
                name="claim_relays_not_itself",
            ),
            models.CheckConstraint(
                condition=Q(relays_source__isnull=True) | ~Q(relays_source=F("source")),
                name="claim_relays_not_own_source",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source}: {self.summary} ({self.stated_on:%b %-d, %Y})"

    def save(self, *args, **kwargs) -> None:
        """Save, and re-examine the variables this claim was and is on.

        Detection runs in the same transaction as the write, so a conflict
        never lags behind the claims it is about.
        """
        from claims import detection, locks
        from watching import events

        # The approval's and its conflicts' notifications: written together, at the end.
        with transaction.atomic(), events.collected():
            stored = getattr(self, "_stored", None)
            if stored is None and self.pk is not None:
                # Loaded with deferred fields, or built by hand: ask the row.
                stored = (
                    Claim.objects.filter(pk=self.pk)
                    .values(
                        "topic_id",
                        "detainee_id",
                        "state",
                        "source_id",
                        "document_id",
                        "relays_source_id",
                    )
                    .first()
                )
            # The topics it was and will be on, before the row (claims/locks.py).
            locks.lock_topics([self.topic_id, stored["topic_id"] if stored else None])
            update_fields = kwargs.get("update_fields")
            if self.pk is not None and (
                update_fields is None
                or not set(update_fields) <= {*STATE_FIELDS, "version", "updated_at"}
            ):
                editor = self.current_user()
                if editor is not None:
                    self.edited_by = editor
                    if update_fields is not None:
                        kwargs["update_fields"] = update_fields = {*update_fields, "edited_by"}
            if update_fields is None or not SEARCHED_FIELDS.isdisjoint(update_fields):
                self.search_text = self.build_search_text()
                if update_fields is not None:
                    kwargs["update_fields"] = {*update_fields, "search_text"}
            super().save(*args, **kwargs)
            shows = ("source_id", "document_id", "topic_id", "detainee_id", "relays_source_id")
            if self.state == self.State.APPROVED and (
                not stored
                or stored["state"] != self.State.APPROVED
                or any(stored.get(f) != getattr(self, f) for f in shows)
            ):
                # What an approved claim shows becomes public with it.
                self.publish_what_it_shows()
            if self.state == self.State.APPROVED and (
                not stored or stored["state"] != self.State.APPROVED
            ):
                # Its watchers are told, in this transaction (watching.events).
                events.claims_approved([self], by=self.current_user())
            touched = {self.variable}
            was_approved = False
            if stored:
                touched.add((stored["topic_id"], stored["detainee_id"]))
                was_approved = stored["state"] == self.State.APPROVED
            if self.state == self.State.APPROVED or was_approved:
                # One claim joining its variable's approved claims (an approval,
                # a restore): detection compares it alone (detection.claim_added).
                joined = (
                    self if self.state == self.State.APPROVED and stored and not was_approved
                    and len(touched) == 1 else None
                )  # fmt: skip
                # The conflicts this opens are told to their watchers as this user's doing.
                with events.acting(self.current_user()):
                    for topic_id, detainee_id in touched:
                        detection.variable_changed(topic_id, detainee_id, added=joined)
        self._remember_stored()

    def get_absolute_url(self) -> str:
        return reverse("claims:detail", args=[self.pk])

    @classmethod
    def from_db(cls, db, field_names, values, **kwargs):
        instance = super().from_db(db, field_names, values, **kwargs)
        instance._remember_stored()
        return instance

    def refresh_from_db(self, *args, **kwargs) -> None:
        super().refresh_from_db(*args, **kwargs)
        # The row may have moved or changed state meanwhile: remember it as it is now.
        self._remember_stored()

    def _remember_stored(self) -> None:
        """Keep what detection needs to know of the saved row: its variable and state."""
        known = self.__dict__
        fields = (
            "topic_id",
            "detainee_id",
            "state",
            "source_id",
            "document_id",
            "relays_source_id",
        )
        # A deferred field is not in __dict__; reading it would load it (and
        # build another instance), so leave the question to save().
        self._stored = {f: known[f] for f in fields} if all(f in known for f in fields) else None

    def current_user(self):
        return current_user(self)

    def second_pair_of_eyes(self, by) -> None:
        """Refuse a decision on this claim by the person who wrote or last edited it.

        Applies to approval (web, bulk, API, import, admin) and to resolving
        or dismissing a conflict this claim is in. The message names who else
        may decide. Off when settings.REQUIRE_SECOND_PAIR_OF_EYES is false.
        """
        if not settings.REQUIRE_SECOND_PAIR_OF_EYES or by is None:
            return
        authors = {self.created_by_id, self.edited_by_id} - {None}
        if by.pk not in authors:
            return
        names = other_moderators(authors)
        others = (
            f"another moderator must: {', '.join(names)}."
            if names
            else "there is no other active moderator: an admin can make someone one."
        )
        raise SecondPairOfEyesError(
            f"You wrote or last edited claim #{self.pk}, so you cannot decide on it; {others}"
        )

    def publish_what_it_shows(self) -> None:
        """Publish what this approved claim shows: speaker and whom it speaks for, and the rest.

        The one-claim path of ClaimQuerySet.publish_what_they_use: an UPDATE
        by primary key each, of rows not yet published (docs/publication.md).
        """
        now = timezone.now()
        if connection.vendor == "postgresql":
            self._publish_in_one_statement(now)
            return
        for model, pk in (
            (Document, self.document_id),
            (Topic, self.topic_id),
            (Detainee, self.detainee_id),
        ):
            if pk is not None:
                model.objects.filter(pk=pk, published_at=None).update(published_at=now)
        speakers, seen = {self.source_id, self.relays_source_id} - {None}, set()
        while speakers - seen:
            seen |= speakers
            Source.objects.filter(pk__in=speakers, published_at=None).update(published_at=now)
            speakers = set(
                Source.objects.filter(pk__in=speakers, affiliation__isnull=False).values_list(
                    "affiliation_id", flat=True
                )
            )

    def _publish_in_one_statement(self, now) -> None:
        """publish_what_it_shows on PostgreSQL: the same UPDATEs, sent as one statement.

        Every approval runs it and it almost never changes a row: one round
        trip instead of four or more. The speakers' affiliation chain is
        followed by a recursive CTE (UNION: a loop ends), the other rows by
        data-modifying CTEs, which run whether or not they are referred to.
        """
        tables = {
            m: connection.ops.quote_name(m._meta.db_table)
            for m in (Document, Topic, Detainee, Source)
        }
        speakers = sorted({self.source_id, self.relays_source_id} - {None})
        with connection.cursor() as cursor:
            cursor.execute(
                f"""
                WITH RECURSIVE speakers(id) AS (
                    SELECT unnest(%s::bigint[])
                    UNION
                    SELECT s.affiliation_id FROM {tables[Source]} AS s
                    JOIN speakers ON s.id = speakers.id WHERE s.affiliation_id IS NOT NULL
                ),
                d AS (UPDATE {tables[Document]} SET published_at = %s
                      WHERE id = %s AND published_at IS NULL),
                t AS (UPDATE {tables[Topic]} SET published_at = %s
                      WHERE id = %s AND published_at IS NULL),
                p AS (UPDATE {tables[Detainee]} SET published_at = %s
                      WHERE id = %s AND published_at IS NULL)
                UPDATE {tables[Source]} SET published_at = %s
                WHERE id IN (SELECT id FROM speakers) AND published_at IS NULL
                """,
                [
                    speakers,
                    now, self.document_id, now, self.topic_id, now, self.detainee_id, now,
                ],
            )  # fmt: skip

    def build_search_text(self) -> str:
        """Return the folded text search reads: quote, summary, speaker, affiliation, detainee.

        The speaker and its affiliation come with their aliases and acronyms.
        """
        parts = [self.quote, self.summary]
        if self.source_id:
            parts += [self.source.name, *self.source.aliases]
            if self.source.affiliation_id:
                parts += [self.source.affiliation.name, *self.source.affiliation.aliases]
        if self.detainee_id:
            parts += [self.detainee.name, *self.detainee.aliases]
        return fold("\n".join(p for p in parts if p))

    @property
    def variable(self) -> tuple[int, int | None]:
        return (self.topic_id, self.detainee_id)

    @property
    def effective_as_of(self) -> date:
        return self.as_of or self.stated_on

    @property
    def statement_key(self) -> tuple:
        """What two records of one statement share: source, topic, detainee, day."""
        return (self.source_id, self.topic_id, self.detainee_id, self.stated_on)

    def duplicates(self, *, visible_to=None) -> list[Claim]:
        """Return the stored claims that record this same statement (exactly, once normalised).

        With `visible_to`, only those the user may see: approved, pending and
        retracted claims, and the user's own drafts and rejected claims.
        """
        if self.source_id is None or self.topic_id is None or self.stated_on is None:
            return []
        stored = Claim.objects.filter(
            source_id=self.source_id,
            topic_id=self.topic_id,
            detainee_id=self.detainee_id,
            stated_on=self.stated_on,
        ).exclude(pk=self.pk)
        if visible_to is not None:
            shared = [self.State.APPROVED, self.State.PENDING, self.State.RETRACTED]
            stored = stored.filter(Q(state__in=shared) | Q(created_by=visible_to))
        mine = normalised_quote(self.quote)
        return [c for c in stored.order_by("pk") if normalised_quote(c.quote) == mine]

    @property
    def is_direct_quote(self) -> bool:
        return self.quote_kind != self.QuoteKind.REPORTED

    @property
    def is_fact(self) -> bool:
        return self.kind == self.Kind.FACT

    @property
    def is_public(self) -> bool:
        return self.state == self.State.APPROVED

    @property
    def facts(self) -> rules.ClaimFacts:
        return rules.ClaimFacts(
            id=self.pk or 0,
            source_id=self.source_id,
            kind=self.kind,
            stance=self.stance,
            stated_on=self.stated_on,
            as_of=self.as_of,
            quantity_min=self.quantity_min,
            quantity_max=self.quantity_max,
            status=self.status,
            detainee_id=self.detainee_id,
            relays_id=self.relays_id,
            relays_source_id=self.relays_source_id,
        )

    @property
    def standing(self) -> Standing | None:
        """Return the one badge a claim card shows, or None when nothing is to be said.

        The badge rule, when several apply (README, "Status badges"):

        1. In an open conflict: a live dispute outranks any past decision, and
           a reader must see it before quoting the claim. "In an open gap with
           Elizardo Sanchez" (one conflict, linked), or "In open conflicts with
           3 claims" (several, linked to the conflicts list filtered to it).
        2. Superseded: the source itself has replaced this statement with a
           later one (linked). A verdict it had concerns words that are no
           longer the source's position; its own page still shows it.
        3. The verdict of the newest resolution it was in: refuted, confirmed
           or unverified (a claim holds one), linked to that resolution.

        A claim in none of these (never disputed) carries no badge. The
        details come from `ClaimQuerySet.with_standing()`; without it the
        badge says the same with less detail, and never runs a query.
        """
        conflicts = reverse("claims:conflicts")
        if self.in_open_conflict and self.state == self.State.APPROVED:
            gaps = getattr(self, "open_gap_count", None)
            contradictions = getattr(self, "open_contradiction_count", None)
            if gaps is None or contradictions is None or gaps + contradictions == 0:
                return Standing("open", "In an open conflict", f"{conflicts}?claim={self.pk}")
            total = gaps + contradictions
            if total == 1:
                kind = "gap" if gaps else "contradiction"
                other = getattr(self, "newest_open_other", None)
                text = f"In an open {kind} with {other}" if other else f"In an open {kind}"
                url = reverse("claims:conflict", args=[self.newest_open_conflict_id])
                return Standing(f"open-{kind}", text, url)
            if not contradictions:
                text, key = f"In open gaps with {total} claims", "open-gap"
            elif not gaps:
                text, key = f"In open contradictions with {total} claims", "open-contradiction"
            else:
                text = (
                    f"In open conflicts with {total} claims "
                    f"({contradictions} contradiction{'s' if contradictions > 1 else ''}, "
                    f"{gaps} gap{'s' if gaps > 1 else ''})"
                )
                key = "open-contradiction"
            return Standing(key, text, f"{conflicts}?claim={self.pk}")
        if self.superseded_by_id:
            url = reverse("claims:detail", args=[self.superseded_by_id])
            return Standing("superseded", "Superseded by a later statement", url)
        if self.verdict:
            resolution = getattr(self, "resolution_id", None)
            if resolution:
                url = reverse("claims:conflict", args=[resolution])
            else:
                url = f"{conflicts}?claim={self.pk}&status={ConflictStatus.RESOLVED}"
            return Standing(self.verdict, f"Verdict: {self.get_verdict_display().lower()}", url)
        return None

    def value_display(self) -> str:
        """Return what the claim asserts, in words: "1–53 prisoners released", "released"."""
        if not self.is_fact or self.stance in rules.UNKNOWN_STANCES:
            return ""
        if self.status:
            label = self.get_status_display()
            return label if self.stance == self.Stance.AFFIRMS else f"not {label.lower()}"
        lo, hi = self.quantity_min, self.quantity_max
        if lo is None and hi is None:
            return ""
        unit = self.topic.quantity_label
        if lo is not None and hi is not None:
            span = str(lo) if lo == hi else f"{lo}–{hi}"
        elif lo is not None:
            span = f"at least {lo}"
        else:
            span = f"at most {hi}"
        text = f"{span} {unit}".strip()
        return text if self.stance == self.Stance.AFFIRMS else f"not {text}"

    def clean(self) -> None:
        errors: dict[str, list[str]] = {}

        def error(field: str, message: str) -> None:
            errors.setdefault(field, []).append(message)

        if self.quote is not None and not self.quote.strip():
            error("quote", "Paste the quote verbatim: it cannot be empty.")
        today = timezone.localdate()
        if self.stated_on and self.stated_on > today:
            error("stated_on", f"{self.stated_on:%b %-d, %Y} is in the future.")
        if self.stated_on and self.as_of and self.as_of > self.stated_on:
            error(
                "as_of",
                "A statement cannot be about a day after it was made "
                f"(stated on {self.stated_on:%b %-d, %Y}).",
            )

        if self.kind == self.Kind.POSITION:
            if self.stance:
                error(
                    "stance",
                    "A position (opinion, demand, pledge) takes no stance: "
                    "record a checkable statement as a fact.",
                )
            if self.status or self.quantity_min is not None or self.quantity_max is not None:
                error("kind", "Only fact claims carry a quantity or a status.")
        elif self.kind == self.Kind.FACT:
            if not self.stance:
                error(
                    "stance",
                    "A fact claim needs a stance: affirms, denies, no information "
                    "or declines to say.",
                )
            self._clean_value(error)

        if self.status and self.detainee_id is None:
            error(
                "status",
                "A status is reported about a detainee: choose the detainee or remove the status.",
            )
        if self.detainee_id and self.topic_id:
            # A detainee loaded with prefetch_related("topics") (the spreadsheet
            # import checks many rows against few detainees) answers without a query.
            listed = getattr(self.detainee, "_prefetched_objects_cache", {}).get("topics")
            if listed is not None:
                on_topic = any(topic.pk == self.topic_id for topic in listed)
            else:
                on_topic = self.detainee.topics.filter(pk=self.topic_id).exists()
            if not on_topic:
                error("detainee", f"{self.detainee} is not listed under the topic “{self.topic}”.")
        if self.relays_id is not None or self.relays_source_id is not None:
            self._clean_relay(error)
        if errors:
            raise ValidationError(errors)

    # The longest chain of relays followed when checking for a loop.
    RELAY_DEPTH = 20

    def _clean_relay(self, error) -> None:
        """Refuse relaying oneself, a loop of relays, and a relay about another variable.

        The rule is claims.conflicts.relay_problem; this reads the chain it
        needs, one query per hop (a chain is a few claims long). A relay of a
        claim also records that claim's source (kept in step here).
        """
        relayed: dict[int, tuple[int | None, int | None]] = {}
        current, original = self.relays_id, None
        while current is not None and current not in relayed and len(relayed) < self.RELAY_DEPTH:
            row = (
                Claim.objects.filter(pk=current)
                .values("relays_id", "source_id", "topic_id", "detainee_id")
                .first()
            )
            if row is None:
                break
            original = original or row
            relayed[current] = (row["relays_id"], row["source_id"])
            current = row["relays_id"]
        field = "relays" if self.relays_id is not None else "relays_source"
        # A relay of a claim takes that claim's source (set below), whatever it held.
        relays_source_id = None if self.relays_id is not None else self.relays_source_id
        problem = rules.relay_problem(
            self.pk, self.source_id, self.relays_id, relays_source_id, relayed
        )
        if problem:
            error(field, problem)
            return
        if original is None:
            return
        if (original["topic_id"], original["detainee_id"]) != (self.topic_id, self.detainee_id):
            error(
                "relays",
                f"Claim #{self.relays_id} is about another topic or detainee: a relay repeats "
                "a statement on the same question as the claim it relays.",
            )
            return
        self.relays_source_id = original["source_id"]

    def _clean_value(self, error) -> None:
        lo, hi = self.quantity_min, self.quantity_max
        has_quantity = lo is not None or hi is not None
        if self.stance in rules.UNKNOWN_STANCES:
            if has_quantity or self.status:
                what = self.get_stance_display().lower()
                error("stance", f"A claim of “{what}” carries no quantity or status.")
            return
        if self.detainee_id is not None:
            if has_quantity:
                error(
                    "quantity_min",
                    "A claim about one detainee reports a status, not a quantity.",
                )
            if not self.status:
                error("status", "Say which status the claim reports for this detainee.")
            return
        if not has_quantity or self.topic_id is None:
            return
        topic = self.topic
        if not topic.has_quantity:
            error("quantity_min", f"The topic “{topic}” counts nothing: leave the quantity empty.")
            return
        if lo is not None and hi is not None and lo > hi:
            error("quantity_max", f"The upper bound ({hi}) is below the lower bound ({lo}).")
        upper = topic.quantity_max
        for field, value in (("quantity_min", lo), ("quantity_max", hi)):
            if value is None:
                continue
            if value < topic.quantity_min or (upper is not None and value > upper):
                error(
                    field,
                    f"{value} is outside the topic's range "
                    f"({topic.quantity_label}: {topic.quantity_min} to "
                    f"{'no limit' if upper is None else upper}).",
                )

    def save_checked(
        self, expected_version: int, *, states: list[str] | None = None, **save_kwargs
    ) -> None:
        """Save only if the row is still at `expected_version` (and in one of `states`).

        The check is the UPDATE's own WHERE clause, not a read before the
        write: of two editors who loaded the same version, the second UPDATE
        matches no row (on PostgreSQL it waits for the first to commit, then
        re-reads the row) and raises StaleClaimError; nothing is overwritten.
        """
        from claims import locks

        rows = Claim.objects.filter(pk=self.pk, version=expected_version)
        if states is not None:
            rows = rows.filter(state__in=list(states))
        with transaction.atomic():
            # The UPDATE below locks the row: the topics first (claims/locks.py).
            stored = getattr(self, "_stored", None) or {}
            locks.lock_topics([self.topic_id, stored.get("topic_id")])
            locks.lock_claims([self.pk])
            if rows.update(version=models.F("version") + 1) == 0:
                raise StaleClaimError(f"Claim #{self.pk} is not at version {expected_version}.")
            self.version = expected_version + 1
            if save_kwargs.get("update_fields") is not None:
                save_kwargs["update_fields"] = {*save_kwargs["update_fields"], "version"}
            self.save(**save_kwargs)

    def _move(self, state: str, *, by, reason: str = "") -> None:
        reason = check_reason(reason, "state_reason")
        self.state, self.state_changed_at = state, timezone.now()
        self.state_changed_by, self.state_reason = by, reason
        self._change_reason = f"{self.get_state_display()}: {reason}" if reason else None
        if by is not None:
            self._history_user = by
        # A state change is a change: an editor's form opened before it is stale.
        self.version += 1
        # Only the state is written: what was said is saved already (and an
        # approval, the moderators' busiest write, skips rebuilding search_text).
        self.save(update_fields=[*STATE_FIELDS, "version", "updated_at"])

    def submit(self, *, by) -> None:
        """Send a draft to the moderators."""
        self._move(self.State.PENDING, by=by)

    def approve(self, *, by, reason: str = "") -> None:
        """Make the claim public; detection runs on its variable."""
        self.second_pair_of_eyes(by)
        self._move(self.State.APPROVED, by=by, reason=reason)

    def reject(self, *, by, reason: str) -> None:
        if not reason.strip():
            raise ValidationError({"state_reason": "Say why the claim is rejected."})
        self._move(self.State.REJECTED, by=by, reason=reason.strip())

    def retract(self, *, by, reason: str) -> None:
        """Withdraw a claim from public view without deleting it."""
        if not reason.strip():
            raise ValidationError({"state_reason": "Say why the claim is retracted."})
        self._move(self.State.RETRACTED, by=by, reason=reason.strip())

    def restore(self, *, by, reason: str = "Restored") -> None:
        """Bring a retracted claim back as approved (an admin's undo); detection runs again."""
        if self.state != self.State.RETRACTED:
            raise ValidationError("Only a retracted claim can be restored.")
        self._move(self.State.APPROVED, by=by, reason=reason)

    def refresh_verdict(self, *, by=None, because: Conflict | None = None) -> None:
        """Set the verdict the resolutions give this claim (docs/verdicts.md), or clear it."""
        refresh_verdicts([self], by=by, because=because)


class ConflictQuerySet(models.QuerySet):
    def open(self) -> ConflictQuerySet:
        return self.filter(status=Conflict.Status.OPEN)

    def for_display(self) -> ConflictQuerySet:
        """Join what a conflict shows side by side: both claims, their speakers and documents.

        Both claims are on the conflict's variable, so they share its topic
        and detainee (`SharedVariableIterable`) instead of joining them twice
        more: with those joins the query had 16 tables, and PostgreSQL spent
        0.12 s planning it at a million claims for 0.016 s of execution.
        """
        queryset = self.select_related(
            "topic",
            "detainee",
            # Who closed it: the pages say who resolved a conflict, and when.
            "status_changed_by",
            *(
                f"{side}__{related}"
                for side in ("claim_a", "claim_b")
                for related in ("source__affiliation", "document")
            ),
        )
        queryset._iterable_class = SharedVariableIterable
        return queryset


class SharedVariableIterable(models.query.ModelIterable):
    """Conflicts whose two claims hold the conflict's own topic and detainee objects."""

    def __iter__(self):
        sides = [Conflict.claim_a.field, Conflict.claim_b.field]
        shared = [
            (Conflict.topic.field, Claim.topic.field),
            (Conflict.detainee.field, Claim.detainee.field),
        ]
        for conflict in super().__iter__():
            # Only what is already joined: never a query per conflict.
            for claim in (f.get_cached_value(conflict) for f in sides if f.is_cached(conflict)):
                for on_conflict, on_claim in shared:
                    key = getattr(conflict, on_conflict.attname)
                    if getattr(claim, on_claim.attname) == key and on_conflict.is_cached(conflict):
                        on_claim.set_cached_value(claim, on_conflict.get_cached_value(conflict))
            yield conflict


class ConflictKind(models.TextChoices):
    CONTRADICTION = rules.Kind.CONTRADICTION.value, "Contradiction"
    GAP = rules.Kind.GAP.value, "Gap (one source has no information)"
    LIST_CONTRADICTION = (
        rules.Kind.LIST_CONTRADICTION.value,
        "List contradiction (a count against the named persons)",
    )


class ConflictStatus(models.TextChoices):
    OPEN = "open", "Open"
    RESOLVED = "resolved", "Resolved"
    DISMISSED = "dismissed", "Dismissed"
    SUPERSEDED = "superseded", "Superseded"
    # Not in DESIGN.md's list: closed by the system when a claim is
    # retracted, rejected or edited so that the pair no longer conflicts.
    # Like `superseded`, it reopens if the pair conflicts again.
    LAPSED = "lapsed", "Lapsed (a claim was retracted or changed)"


class ConflictOutcome(models.TextChoices):
    A_RIGHT = rules.A_RIGHT, "Claim A is right"
    B_RIGHT = rules.B_RIGHT, "Claim B is right"
    BOTH_PARTLY = rules.BOTH_PARTLY, "Both partly right"
    # Issue 15: the true value lay outside both claims (docs/verdicts.md).
    BOTH_WRONG = rules.BOTH_WRONG, "Both wrong: neither claim is right"
    UNRESOLVABLE = rules.UNRESOLVABLE, "Cannot be resolved yet"


class Conflict(TextPolicyModel, models.Model):
    """A flagged pair of claims that cannot both be right.

    The pair is stored ordered (claim_a.pk < claim_b.pk) so that a pair has
    at most one conflict whatever the order the claims arrived in.
    """

    Kind = ConflictKind
    Status = ConflictStatus
    Outcome = ConflictOutcome

    # Closed by a person: never reopened by detection.
    HUMAN_CLOSED = (Status.RESOLVED, Status.DISMISSED)
    # Closed by detection: reopened when the pair conflicts again.
    SYSTEM_CLOSED = (Status.SUPERSEDED, Status.LAPSED)

    claim_a = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="conflicts_as_a")
    claim_b = models.ForeignKey(Claim, on_delete=models.PROTECT, related_name="conflicts_as_b")
    # The variable, copied from the claims so detection finds a variable's
    # conflicts through one index.
    topic = models.ForeignKey(Topic, on_delete=models.PROTECT, related_name="conflicts")
    detainee = models.ForeignKey(
        Detainee, on_delete=models.PROTECT, null=True, blank=True, related_name="conflicts"
    )
    kind = models.CharField(max_length=20, choices=Kind.choices)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    opened_at = models.DateTimeField(default=timezone.now)
    status_changed_at = models.DateTimeField(default=timezone.now)
    status_changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    status_reason = models.TextField(blank=True)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, blank=True)
    evidence_url = models.URLField(max_length=1000, blank=True, validators=[http_url])
    # The value a resolution found to be true (docs/verdicts.md): a count on a
    # quantity topic, a status on a detainee, as of the later of the two
    # claims' dates. It gives every claim on the variable its verdict.
    true_quantity = models.BigIntegerField(null=True, blank=True, validators=quantity_validators)
    true_status = models.CharField(max_length=30, choices=ClaimStatus.choices, blank=True)
    true_as_of = models.DateField(null=True, blank=True)
    # A list conflict's per-person claims behind the broken bound (claims.conflicts,
    # "Lists against persons"); one of them is claim_a or claim_b. Derived by
    # detection, like superseded_by, so kept out of history. Empty for a pair.
    witnesses = models.ManyToManyField(Claim, blank=True, related_name="witnessed_conflicts")

    history = HistoricalRecords()
    objects = ConflictQuerySet.as_manager()

    class Meta:
        ordering = ["-opened_at", "-pk"]
        permissions = [("resolve_conflict", "Can resolve, dismiss and reopen conflicts")]
        constraints = [
            models.UniqueConstraint(fields=["claim_a", "claim_b"], name="conflict_one_per_pair"),
            models.CheckConstraint(
                condition=Q(claim_a__lt=models.F("claim_b")), name="conflict_pair_ordered"
            ),
            models.CheckConstraint(
                condition=Q(status__in=ConflictStatus.values), name="conflict_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(kind__in=ConflictKind.values), name="conflict_kind_valid"
            ),
            models.CheckConstraint(
                condition=~Q(status="resolved") | ~Q(outcome=""),
                name="conflict_resolved_has_outcome",
            ),
            models.CheckConstraint(
                condition=Q(true_quantity__isnull=True, true_status="")
                | (Q(status="resolved") & Q(true_as_of__isnull=False)),
                name="conflict_true_value_resolved",
            ),
        ]
        indexes = [
            models.Index(fields=["topic", "detainee"], name="conflict_variable_idx"),
            models.Index(fields=["status", "-opened_at"], name="conflict_status_idx"),
            # A topic's resolutions, newest first, and their count (the topic page).
            models.Index(
                fields=["topic", "-status_changed_at", "-id"],
                condition=Q(status=ConflictStatus.RESOLVED),
                name="conflict_resolved_idx",
            ),
        ]

    def __str__(self) -> str:
        return (
            f"{self.get_kind_display()} on {self.topic}: #{self.claim_a_id} vs #{self.claim_b_id}"
        )

    def get_absolute_url(self) -> str:
        return reverse("claims:conflict", args=[self.pk])

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN

    @property
    def claims(self) -> tuple[Claim, Claim]:
        return (self.claim_a, self.claim_b)

    @property
    def is_resolved(self) -> bool:
        return self.status == self.Status.RESOLVED

    @property
    def is_first_opening(self) -> bool:
        """Whether the last move is the conflict's flagging (by a topic rule edit, say)."""
        return self.status_reason.startswith("Flagged by detection.")

    @property
    def decided_by(self) -> str:
        """Return who last moved the conflict (a person's name, or "Crosscheck" for detection).

        Read through `status_changed_by`, which `ConflictQuerySet.for_display` joins.
        """
        user = self.status_changed_by
        if user is None:
            return "Crosscheck (automatically)"
        return user.get_full_name() or user.get_username()

    def side_of(self, claim: Claim) -> str:
        """Return "A" or "B": the side `claim` is on, as the conflict page labels them."""
        return "A" if claim.pk == self.claim_a_id else "B"

    def other_side(self, claim: Claim) -> Claim:
        """Return the claim on the other side from `claim`."""
        return self.claim_b if claim.pk == self.claim_a_id else self.claim_a

    def verdict_for(self, claim: Claim) -> str:
        """Return the verdict this resolution gives one of its claims (docs/verdicts.md).

        With a value found to be true, the value decides (`rules.verdict_against`);
        without, the outcome does (`rules.outcome_verdicts`): the side found
        right is confirmed, the other refuted unless it only said it had no
        information; "both wrong" refutes both sides that asserted something.
        """
        if self.status != Conflict.Status.RESOLVED:
            return ""
        truth = self.truth
        if truth is not None:
            return rules.verdict_against(claim.facts, truth, self.topic.rules)
        # Each side's verdict depends only on its own stance.
        on_a, on_b = rules.outcome_verdicts(self.outcome, claim.stance, claim.stance)
        return on_a if claim.pk == self.claim_a_id else on_b

    @property
    def has_true_value(self) -> bool:
        return self.true_quantity is not None or bool(self.true_status)

    @property
    def truth(self) -> rules.Truth | None:
        """Return the value this resolution found to be true, as the rules read it, or None."""
        if self.status != Conflict.Status.RESOLVED or not self.has_true_value:
            return None
        if self.true_as_of is None:
            return None
        return rules.Truth(
            as_of=self.true_as_of,
            quantity=self.true_quantity,
            status=self.true_status,
            order=(self.status_changed_at.timestamp(), self.pk or 0),
        )

    def true_value_display(self) -> str:
        """Return the value found to be true in words: "36 prisoners released", "Released"."""
        if self.true_status:
            return ClaimStatus(self.true_status).label
        if self.true_quantity is None:
            return ""
        return f"{self.true_quantity:,} {self.topic.quantity_label}".strip()

    def check_true_value(
        self, *, true_quantity: int | None, true_status: str, evidence_url: str
    ) -> rules.Truth | None:
        """Return the true value a resolution would record, or raise ValidationError saying why.

        A count on a quantity topic, a status on a detainee, with the
        evidence linked; no other resolution on the variable may record a
        different value within the topic's window (reopen it first).
        """
        if true_quantity is None and not true_status:
            return None
        topic = self.topic
        if true_quantity is not None and true_status:
            raise ValidationError(
                {"true_status": "Record the count or the status found to be true, not both."}
            )
        if true_status:
            if self.detainee_id is None:
                raise ValidationError(
                    {
                        "true_status": "A status is found true of one detainee; this conflict "
                        f"is about the topic “{topic}” as a whole."
                        + (" Record the count found to be true." if topic.has_quantity else "")
                    }
                )
            if true_status not in ClaimStatus.values:
                raise ValidationError({"true_status": f"{true_status!r} is not a status."})
        else:
            if self.detainee_id is not None:
                raise ValidationError(
                    {
                        "true_quantity": "This conflict is about one detainee: record the status "
                        "found to be true, not a count."
                    }
                )
            if not topic.has_quantity:
                raise ValidationError(
                    {"true_quantity": f"The topic “{topic}” counts nothing: no count can be true."}
                )
            upper = topic.quantity_max
            if (
                true_quantity < (topic.quantity_min or 0)
                or (upper is not None and true_quantity > upper)
                or true_quantity > QUANTITY_LIMIT
            ):
                raise ValidationError(
                    {
                        "true_quantity": f"{true_quantity} is outside the topic's range "
                        f"({topic.quantity_label}: {topic.quantity_min} to "
                        f"{'no limit' if upper is None else upper})."
                    }
                )
        if not evidence_url:
            raise ValidationError(
                {"evidence_url": "Link the evidence for the value found to be true."}
            )
        as_of = max(self.claim_a.effective_as_of, self.claim_b.effective_as_of)
        others = (
            Conflict.objects.filter(
                topic_id=self.topic_id, detainee_id=self.detainee_id, status=ConflictStatus.RESOLVED
            )
            .exclude(pk=self.pk)
            .filter(Q(true_quantity__isnull=False) | ~Q(true_status=""))
            .select_related("topic")
            .order_by("pk")
        )
        field = "true_status" if true_status else "true_quantity"
        for other in others:
            close = other.true_as_of and abs((other.true_as_of - as_of).days) <= topic.window_days
            if close and (other.true_quantity, other.true_status) != (true_quantity, true_status):
                raise ValidationError(
                    {
                        field: f"Conflict #{other.pk} records {other.true_value_display()} as true "
                        f"as of {other.true_as_of:%b %-d, %Y}, inside this topic's window: record "
                        "the same value, or reopen that conflict first."
                    }
                )
        return rules.Truth(as_of=as_of, quantity=true_quantity, status=true_status)

    def _close(
        self,
        status: str,
        *,
        by,
        reason: str,
        outcome: str = "",
        evidence_url: str = "",
        truth: rules.Truth | None = None,
        at=None,
        change_reason: str = "",
    ) -> None:
        reason = check_reason(reason, "status_reason")
        had_truth = self.truth is not None
        self.status, self.status_changed_at = status, at or timezone.now()
        self.status_changed_by, self.status_reason = by, reason
        self.outcome, self.evidence_url = outcome, evidence_url
        # A reopened or dismissed conflict records no true value: its verdicts are withdrawn.
        self.true_quantity = truth.quantity if truth else None
        self.true_status = truth.status if truth else ""
        self.true_as_of = truth.as_of if truth else None
        self._change_reason = change_reason or f"{self.get_status_display()}: {reason}"
        if by is not None:
            self._history_user = by
        from claims import locks

        with transaction.atomic():
            # The triggers write the claims' marks, and the verdicts the claims: the
            # topic first (claims/locks.py; the moderation views took it already).
            locks.lock_topics([self.topic_id])
            self.full_clean(exclude=["claim_a", "claim_b", "topic", "detainee"])
            self.save()
            pair = [self.claim_a, self.claim_b]
            if had_truth or truth is not None:
                # A true value judges every claim on the variable, not only this pair.
                pair = claims_for_verdicts(self.topic_id, self.detainee_id, pair)
            refresh_verdicts(pair, by=by, because=self)

    def resolve(
        self,
        *,
        by,
        outcome: str,
        rationale: str,
        evidence_url: str = "",
        true_quantity: int | None = None,
        true_status: str = "",
    ) -> None:
        """Record a moderator's outcome, and the value found to be true if any; verdicts follow.

        With a true value the outcome may be left empty: it is the one the
        value implies (`rules.outcomes_allowed`); one it contradicts is refused.
        """
        if not self.is_open:
            raise ValidationError("Only an open conflict can be resolved; reopen it first.")
        truth = self.check_true_value(
            true_quantity=true_quantity, true_status=true_status or "", evidence_url=evidence_url
        )
        outcome = self.outcome_with(truth, outcome)
        if outcome not in Conflict.Outcome.values:
            raise ValidationError({"outcome": "Choose an outcome."})
        if not rationale.strip():
            raise ValidationError({"status_reason": "Give the rationale for this outcome."})
        for claim in self.claims:
            claim.second_pair_of_eyes(by)
        from watching import events

        with transaction.atomic():
            self._close(
                Conflict.Status.RESOLVED,
                by=by,
                reason=rationale.strip(),
                outcome=outcome,
                evidence_url=evidence_url,
                truth=truth,
            )
            events.conflict_decided(self, events.Event.CONFLICT_RESOLVED, by=by)

    def outcome_with(self, truth: rules.Truth | None, outcome: str) -> str:
        """Return the outcome to record with this true value: the one given, or the one it gives.

        Raise a ValidationError naming the verdicts when the value contradicts it.
        """
        if truth is None:
            return outcome
        topic_rules = self.topic.rules
        verdict_a = rules.verdict_against(self.claim_a.facts, truth, topic_rules)
        verdict_b = rules.verdict_against(self.claim_b.facts, truth, topic_rules)
        allowed = rules.outcomes_allowed(verdict_a, verdict_b)
        if not outcome:
            return allowed[0]
        if outcome not in allowed:
            names = " or ".join(f"“{Conflict.Outcome(o).label}”" for o in allowed)
            value = Conflict(true_quantity=truth.quantity, true_status=truth.status)
            value.topic = self.topic
            raise ValidationError(
                {
                    "outcome": f"With {value.true_value_display()} found true, claim A is "
                    f"{verdict_a} and claim B {verdict_b}: the outcome is {names}."
                }
            )
        return outcome

    def record_decision(
        self,
        *,
        status: str,
        by,
        at,
        reason: str,
        outcome: str = "",
        evidence_url: str = "",
        true_quantity: int | None = None,
        true_status: str = "",
        change_reason: str = "",
    ) -> None:
        """Record a decision taken elsewhere (a case file's), with its own who and when.

        The same checks as `resolve` and `dismiss` (outcome, true value,
        evidence) except the second pair of eyes: the decision was taken
        where the claims were written, by someone else.
        """
        if not self.is_open:
            raise ValidationError("Only an open conflict can be decided.")
        truth = None
        if status == Conflict.Status.RESOLVED:
            truth = self.check_true_value(
                true_quantity=true_quantity, true_status=true_status, evidence_url=evidence_url
            )
            outcome = self.outcome_with(truth, outcome)
            if outcome not in Conflict.Outcome.values:
                raise ValidationError({"outcome": "Choose an outcome."})
        elif status != Conflict.Status.DISMISSED or outcome or truth:
            raise ValidationError("A decision resolves (with an outcome) or dismisses.")
        if not reason.strip():
            raise ValidationError({"status_reason": "Give the reason for this decision."})
        self._close(
            status,
            by=by,
            reason=reason.strip(),
            outcome=outcome,
            evidence_url=evidence_url,
            truth=truth,
            at=at,
            change_reason=change_reason,
        )

    def dismiss(self, *, by, reason: str) -> None:
        """Close a conflict that is not a real one; no verdicts follow."""
        if not self.is_open:
            raise ValidationError("Only an open conflict can be dismissed.")
        if not reason.strip():
            raise ValidationError({"status_reason": "Say why this is not a real conflict."})
        for claim in self.claims:
            claim.second_pair_of_eyes(by)
        self._close(Conflict.Status.DISMISSED, by=by, reason=reason.strip())

    def reopen_refusal(self) -> str:
        """Return why this closed conflict cannot be reopened now, or "" if it can.

        Reopening gives the pair the state the rules give it: a pair whose
        claim was retracted, rejected or superseded, or that no longer
        conflicts, is refused rather than reopened on a dead claim (which
        `recompute_conflicts` would then close behind the moderator's back).
        """
        from claims import detection

        if self.status not in Conflict.HUMAN_CLOSED:
            return "Only a resolved or dismissed conflict can be reopened."
        kind, why, _ = detection.pair_standing(self.claim_a_id, self.claim_b_id)
        if kind is None:
            return f"Conflict #{self.pk} cannot be reopened: {why}. Nothing was changed."
        return ""

    def reopen(self, *, by, reason: str) -> None:
        """Reopen a resolved or dismissed conflict, explicitly and on the record."""
        from claims import detection

        refusal = self.reopen_refusal()
        if refusal:
            raise ValidationError(refusal, code="not_reopenable")
        if not reason.strip():
            raise ValidationError({"status_reason": "Say why the conflict is reopened."})
        # The claims may have changed while it was closed: reopen it as the rules see it now.
        kind, _, (self.topic_id, self.detainee_id) = detection.pair_standing(
            self.claim_a_id, self.claim_b_id
        )
        self.kind = kind
        from watching import events

        with transaction.atomic():
            self._close(Conflict.Status.OPEN, by=by, reason=reason.strip())
            events.conflict_decided(self, events.Event.CONFLICT_REOPENED, by=by)


# Verdicts -------------------------------------------------------------------


def claims_for_verdicts(topic_id: int, detainee_id: int | None, also=()) -> list[Claim]:
    """Return the claims a true value on this variable may judge, and those that hold a verdict.

    `also` are instances to use in place of their rows (a conflict's own pair).
    """
    given = {claim.pk: claim for claim in also}
    rows = Claim.objects.filter(
        Q(pk__in=list(given))
        | (
            Q(topic_id=topic_id, detainee_id=detainee_id)
            & (Q(state__in=TRUTH_JUDGES) | ~Q(verdict=""))
        )
    ).order_by("pk")
    return [given.get(claim.pk, claim) for claim in rows]


# The claims a value found true judges: those on the record (docs/verdicts.md).
TRUTH_JUDGES = (ClaimState.APPROVED, ClaimState.RETRACTED)
HAS_TRUE_VALUE = Q(true_quantity__isnull=False) | ~Q(true_status="")


def expected_verdicts(claims: list[Claim]) -> dict[int, tuple[str, Conflict | None]]:
    """Return each claim's verdict and the resolution it comes from (docs/verdicts.md).

    A claim on the record with a true value inside its window takes the
    verdict of that value; any other claim, that of the newest resolution it
    is in; a claim in none has no verdict. Two queries, whatever the number.
    """
    if not claims:
        return {}
    ids = [claim.pk for claim in claims]
    wanted = Q(claim_a__in=ids) | Q(claim_b__in=ids)
    for topic_id, detainee_id in {claim.variable for claim in claims}:
        wanted |= Q(topic_id=topic_id, detainee_id=detainee_id) & HAS_TRUE_VALUE
    resolved = list(
        Conflict.objects.filter(wanted, status=ConflictStatus.RESOLVED)
        .select_related("topic")
        .order_by("pk")
    )
    topics = {c.topic_id: c.topic for c in resolved}
    missing = {claim.topic_id for claim in claims} - set(topics)
    topics.update(Topic.objects.in_bulk(missing) if missing else {})
    truths: dict[tuple, dict[rules.Truth, Conflict]] = {}
    newest: dict[int, Conflict] = {}
    for conflict in resolved:
        truth = conflict.truth
        if truth is not None:
            truths.setdefault((conflict.topic_id, conflict.detainee_id), {})[truth] = conflict
        for pk in (conflict.claim_a_id, conflict.claim_b_id):
            best = newest.get(pk)
            if best is None or (conflict.status_changed_at, conflict.pk) > (
                best.status_changed_at,
                best.pk,
            ):
                newest[pk] = conflict
    found: dict[int, tuple[str, Conflict | None]] = {}
    for claim in claims:
        on_variable = truths.get(claim.variable)
        if on_variable and claim.is_fact and claim.state in TRUTH_JUDGES:
            topic_rules = topics[claim.topic_id].rules
            truth = rules.applicable_truth(claim.facts, on_variable, topic_rules)
            if truth is not None:
                verdict = rules.verdict_against(claim.facts, truth, topic_rules)
                found[claim.pk] = (verdict, on_variable[truth])
                continue
        latest = newest.get(claim.pk)
        found[claim.pk] = (latest.verdict_for(claim), latest) if latest else ("", None)
    return found


def verdict_reason(verdict: str, source: Conflict | None, because: Conflict | None) -> str:
    """Return why a claim's verdict changed, as its history says it."""
    label = ClaimVerdict(verdict).label if verdict else "none"
    if source is not None and source.truth is not None:
        return (
            f"Verdict: {label}, against {source.true_value_display()} found true as of "
            f"{source.true_as_of:%b %-d, %Y} (resolved conflict #{source.pk})"
        )
    if source is not None:
        return f"Verdict: {label}, from the resolved conflict #{source.pk}"
    if because is not None:
        status = because.get_status_display().lower()
        return f"Verdict: {label}, from the {status} conflict #{because.pk}"
    return f"Verdict: {label}"


def refresh_verdicts(claims, *, by=None, because: Conflict | None = None) -> int:
    """Give these claims the verdicts the resolutions give them; return how many changed.

    Each change is kept in the claim's history with who (`by`), when and
    why (the resolution, or the true value, it comes from).
    """
    claims = list(claims)
    expected = expected_verdicts(claims)
    changed = []
    for claim in claims:
        verdict, source = expected[claim.pk]
        if verdict == claim.verdict:
            continue
        claim.verdict = verdict
        claim._change_reason = verdict_reason(verdict, source, because)
        if by is not None:
            claim._history_user = by
        changed.append(claim)
    if not changed:
        return 0
    for verdict in sorted({claim.verdict for claim in changed}):
        Claim.objects.filter(pk__in=[c.pk for c in changed if c.verdict == verdict]).update(
            verdict=verdict
        )
    # An UPDATE sends no signal: the history rows are written here.
    Claim.history.bulk_history_create(changed, update=True, default_date=timezone.now())
    return len(changed)


class TopicSpeaker(models.Model):
    """A source's word on a topic's own variable, kept by detection (claims/speakers.py).

    One row per (topic, source) with approved claims on the topic itself (no
    detainee): how many, when it last spoke, its newest position. The topic
    page reads the sources who spoke last and their counts here instead of
    aggregating every claim of the topic. Derived, like `Claim.superseded_by`:
    no history; `manage.py recompute_conflicts` rewrites it.
    """

    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="speakers")
    source = models.ForeignKey(Source, on_delete=models.CASCADE, related_name="+")
    claim_count = models.PositiveIntegerField(
        validators=[MaxValueValidator(2**31 - 1)], help_text="Approved claims on the topic itself."
    )
    last_stated_on = models.DateField()
    # The newest approved position (by stated_on, then id): a plain id, derived.
    position_id = models.BigIntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["topic", "source"], name="topicspeaker_one_per_source")
        ]
        indexes = [
            # The topic page: the sources who spoke last.
            models.Index(
                F("topic"), F("last_stated_on").desc(), F("source"), name="topicspeaker_last_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.source_id} on {self.topic_id}: {self.claim_count}"


class FormSubmission(models.Model):
    """A form sent once: its one-time token, written in the same transaction as what it did.

    The unique token is the guard (claims/submissions.py): of two identical
    submissions sent at once, the second INSERT waits for the first's
    transaction and then fails, so the action is done once, and the second
    is sent to what the first did (`result_url`). A technical record, not
    part of the newsroom's history: kept without django-simple-history.
    """

    token = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, null=True, related_name="+"
    )
    path = models.CharField(max_length=500)
    result_url = models.CharField(max_length=2000, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.path} ({self.created_at:%Y-%m-%d %H:%M})"


# The spreadsheet import's jobs live in their own module (the model, its file,
# its quota); imported here so that Django finds the model.
from claims.jobs import ImportJob  # noqa: E402, F401
