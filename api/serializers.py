"""
What the API shows of each record: read-only, and no more than the HTML pages show.

Related records are nested as {id, name or title}, read from the joins the
views' querysets already make (for_display, with_record, prefetches), so a
list costs the same number of queries whatever its length.
"""

from __future__ import annotations

from operator import attrgetter

from drf_spectacular.utils import extend_schema_field
from rest_framework import relations, serializers

from claims.models import Claim, Conflict, Detainee, Document, Topic, TopicParty
from sources.models import CredibilityNote, Source


class Planned:
    """A serializer mixin: each row is read by a plan made once, not by DRF's generic loop.

    DRF's `Serializer.to_representation` walks every field of every row
    through `get_attribute` (a try/except and a loop over the source's parts),
    a PKOnlyObject check and a None check; on a page of 50 claims with their
    nested speaker, topic, detainee and document that was most of the CPU of
    an uncached API read. The plan does the same per field: the same
    `to_representation` of each field, the same None rule, foreign keys read
    from their `_id` column as DRF's pk-only optimisation does, and anything
    else (a method field, a many-to-many, a dotted source) left to DRF's own
    field. The answer is the same bytes (tests/api/test_reads.py compares
    them); the fields and so the schema are unchanged. A class whose fields
    read the serializer's context (a hyperlink, a method using the request)
    must not use it: the plan is kept per class.
    """

    # Off: DRF's generic loop, which the tests compare the plan with.
    enabled = True

    def to_representation(self, instance):
        if not Planned.enabled:
            return super().to_representation(instance)
        # Made once per class: building a serializer's fields deep-copies the
        # declared ones, per nested serializer, per request. None of these
        # classes' fields reads the context (no hyperlinks, no method fields
        # of their own), so the first instance's fields serve every request.
        plan = type(self).__dict__.get("_plan")
        if plan is None:
            plan = [self._step(field) for field in self._readable_fields]
            type(self)._plan = plan
        row = {}
        for name, read, convert in plan:
            value = read(instance)
            row[name] = None if value is None else convert(value)
        return row

    @staticmethod
    def _step(field):
        simple = len(field.source_attrs) == 1 and field.source != "*"
        if simple and isinstance(field, relations.PrimaryKeyRelatedField):
            model_field = field.parent.Meta.model._meta.get_field(field.source)
            return field.field_name, attrgetter(model_field.attname), _same
        if simple and not isinstance(
            field, (serializers.SerializerMethodField, relations.ManyRelatedField)
        ):
            return field.field_name, attrgetter(field.source), field.to_representation
        # DRF's own reading: its None rule is the same (a PKOnlyObject aside, handled above).
        return field.field_name, field.get_attribute, field.to_representation


def _same(value):
    return value


class SourceRefSerializer(Planned, serializers.ModelSerializer):
    class Meta:
        model = Source
        fields = ["id", "name", "kind"]


class SpeakerSerializer(Planned, serializers.ModelSerializer):
    affiliation = SourceRefSerializer(read_only=True, allow_null=True)

    class Meta:
        model = Source
        fields = ["id", "name", "kind", "affiliation"]


class TopicRefSerializer(Planned, serializers.ModelSerializer):
    class Meta:
        model = Topic
        fields = ["id", "slug", "title"]


class DetaineeRefSerializer(Planned, serializers.ModelSerializer):
    class Meta:
        model = Detainee
        fields = ["id", "name"]


class DocumentRefSerializer(Planned, serializers.ModelSerializer):
    class Meta:
        model = Document
        fields = ["id", "title", "url"]


class RecordSerializer(serializers.Serializer):
    """One side of a track record (sources.models.Record)."""

    claims = serializers.IntegerField(read_only=True, help_text="Approved claims.")
    confirmed = serializers.IntegerField(read_only=True)
    refuted = serializers.IntegerField(read_only=True)
    reliability = serializers.FloatField(
        read_only=True, help_text=f"{Source.RELIABILITY_FORMULA}, from this side's counts."
    )


class SourceSerializer(serializers.ModelSerializer):
    """A source with its track record (Source.objects.with_record() and with_party_record())."""

    affiliation = SourceRefSerializer(read_only=True, allow_null=True)
    claim_count = serializers.IntegerField(read_only=True)
    confirmed_count = serializers.IntegerField(read_only=True)
    refuted_count = serializers.IntegerField(read_only=True)
    open_conflict_count = serializers.IntegerField(read_only=True)
    reliability = serializers.FloatField(
        read_only=True, help_text=f"{Source.RELIABILITY_FORMULA}, from the counts beside it."
    )
    as_party = RecordSerializer(
        source="party_record",
        read_only=True,
        help_text="The claims on topics to which the source, or whom it speaks for, is a "
        "current party (issue 14, interested parties).",
    )
    as_independent = RecordSerializer(
        source="independent_record",
        read_only=True,
        help_text="Every other approved claim: the record minus `as_party`.",
    )

    seen_version = serializers.IntegerField(
        read_only=True,
        allow_null=True,
        help_text="The record's version (its newest history row): send it back with an edit "
        "to have the edit refused if the record changed since.",
    )

    class Meta:
        model = Source
        fields = [
            "id",
            "seen_version",
            "name",
            "kind",
            "affiliation",
            "country",
            "url",
            "description",
            "claim_count",
            "confirmed_count",
            "refuted_count",
            "open_conflict_count",
            "reliability",
            "as_party",
            "as_independent",
            "created_at",
            "updated_at",
        ]


class NoteSerializer(serializers.ModelSerializer):
    """A credibility note; who hid it and why is shown to those who may see hidden notes."""

    source = SourceRefSerializer(read_only=True)
    author = serializers.CharField(source="author_name", read_only=True)

    class Meta:
        model = CredibilityNote
        fields = [
            "id",
            "source",
            "aspect",
            "body",
            "author",
            "written_on",
            "created_at",
            "hidden",
            "hidden_reason",
            "hidden_at",
        ]


class DocumentSerializer(serializers.ModelSerializer):
    seen_version = serializers.IntegerField(
        read_only=True,
        allow_null=True,
        help_text="The record's version (its newest history row): send it back with an edit "
        "to have the edit refused if the record changed since.",
    )

    class Meta:
        model = Document
        fields = [
            "id",
            "seen_version",
            "title",
            "kind",
            "publisher",
            "url",
            "published_on",
            "archive_url",
        ]


class TopicPartySerializer(serializers.ModelSerializer):
    """A source that is a party to the topic, and why (interested parties, issue 14)."""

    source = SourceRefSerializer(read_only=True)

    class Meta:
        model = TopicParty
        fields = ["source", "reason"]


class TopicSerializer(serializers.ModelSerializer):
    seen_version = serializers.IntegerField(
        read_only=True,
        allow_null=True,
        help_text="The record's version (its newest history row): send it back with an edit "
        "to have the edit refused if the record changed since.",
    )
    # The current parties (withdrawn ones left out); edited by moderators, not through here.
    parties = serializers.SerializerMethodField()

    class Meta:
        model = Topic
        fields = [
            "id",
            "seen_version",
            "slug",
            "title",
            "question",
            "quantity_label",
            "quantity_min",
            "quantity_max",
            "window_days",
            "counts_status",
            "parties",
            "created_at",
        ]

    @extend_schema_field(TopicPartySerializer(many=True))
    def get_parties(self, topic: Topic) -> list[dict]:
        parties = [p for p in topic.parties.all() if not p.withdrawn]
        return TopicPartySerializer(parties, many=True).data


class DetaineeSerializer(serializers.ModelSerializer):
    topics = TopicRefSerializer(many=True, read_only=True)
    claim_count = serializers.IntegerField(
        read_only=True, required=False, help_text="Approved claims about this detainee."
    )

    seen_version = serializers.IntegerField(
        read_only=True,
        allow_null=True,
        help_text="The record's version (its newest history row): send it back with an edit "
        "to have the edit refused if the record changed since.",
    )

    class Meta:
        model = Detainee
        fields = [
            "id",
            "seen_version",
            "name",
            "aliases",
            "arrested_on",
            "charges",
            "place_of_detention",
            "topics",
            "claim_count",
        ]


class ClaimSerializer(Planned, serializers.ModelSerializer):
    """One claim, joined as a claim card shows it (ClaimQuerySet.for_display())."""

    source = SpeakerSerializer(read_only=True)
    topic = TopicRefSerializer(read_only=True)
    detainee = DetaineeRefSerializer(read_only=True, allow_null=True)
    document = DocumentRefSerializer(read_only=True, allow_null=True)
    superseded_by = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    relays = serializers.PrimaryKeyRelatedField(
        read_only=True,
        allow_null=True,
        help_text="The claim whose words this one repeats (a relay: no corroboration, "
        "no conflict of its own), or null.",
    )
    relays_source = SourceRefSerializer(
        read_only=True,
        allow_null=True,
        help_text="Whose words this claim repeats (the relayed claim's source), or null.",
    )
    version = serializers.IntegerField(
        read_only=True, help_text="Send it back with an edit: a stale version answers 409."
    )

    class Meta:
        model = Claim
        fields = [
            "id",
            "source",
            "topic",
            "detainee",
            "kind",
            "stance",
            "quantity_min",
            "quantity_max",
            "status",
            "quote",
            "quote_kind",
            "summary",
            "stated_on",
            "as_of",
            "document",
            "citation_url",
            "language",
            "state",
            "state_changed_at",
            "state_reason",
            "verdict",
            "superseded_by",
            "relays",
            "relays_source",
            "version",
            "created_at",
            "updated_at",
        ]


class ConflictSerializer(Planned, serializers.ModelSerializer):
    claim_a = ClaimSerializer(read_only=True)
    claim_b = ClaimSerializer(read_only=True)
    topic = TopicRefSerializer(read_only=True)
    detainee = DetaineeRefSerializer(read_only=True, allow_null=True)
    # A list conflict's per-person claims behind the broken bound; empty for a pair.
    witnesses = serializers.PrimaryKeyRelatedField(many=True, read_only=True)
    # Set by claims.voices.label_internal on the conflicts the view answers with.
    internal_to = serializers.CharField(
        read_only=True,
        allow_null=True,
        default=None,
        help_text="When both claims are voices of one organisation (the top of their "
        "speakers' affiliation chains), its name: an internal inconsistency, not two sources "
        "disagreeing. Null otherwise.",
    )

    class Meta:
        model = Conflict
        fields = [
            "id",
            "kind",
            "witnesses",
            "internal_to",
            "status",
            "topic",
            "detainee",
            "claim_a",
            "claim_b",
            "opened_at",
            "status_changed_at",
            "status_reason",
            "outcome",
            "evidence_url",
            "true_quantity",
            "true_status",
            "true_as_of",
        ]


# Bodies the API answers with besides records (documented in the schema). -----


class DetailSerializer(serializers.Serializer):
    detail = serializers.CharField()


class StaleClaimSerializer(serializers.Serializer):
    """A 409 on a claim: why, its version now, the claim as it is, and what changed."""

    detail = serializers.CharField()
    current_version = serializers.IntegerField()
    current = ClaimSerializer()
    changes = serializers.ListField(
        child=serializers.DictField(child=serializers.CharField()),
        help_text="Each field changed since the version sent: {field, then, now}.",
    )


class StoredClaimSerializer(serializers.Serializer):
    """A stored claim a new one repeats, and where the user can open it."""

    id = serializers.IntegerField()
    state = serializers.ChoiceField(choices=Claim.State.choices)
    summary = serializers.CharField()
    url = serializers.URLField(
        allow_null=True,
        help_text="Its page for this user (the claim, its edit or its moderation page), on "
        "the site's canonical address; null when the user has no page to open it on.",
    )
    api_url = serializers.URLField(
        allow_null=True, help_text="Its address in the API; null when the user may not read it."
    )


class DuplicateClaimSerializer(serializers.Serializer):
    """A 409 on a new claim: why, and the stored claims that record the same statement."""

    detail = serializers.CharField()
    duplicates = StoredClaimSerializer(many=True)
