"""A small named cast for view tests: the January 2015 sources, built with the models."""

from datetime import date

from claims.models import Claim, Document, Topic
from sources.models import CredibilityNote, Source


class JanuaryCast:
    """Mixin for TestCase: builds the State Department / CCDHRN case once per class."""

    @classmethod
    def setUpTestData(cls) -> None:
        cls.state_dept = Source.objects.create(
            name="U.S. Department of State", kind=Source.Kind.GOVERNMENT, country="US"
        )
        cls.psaki = Source.objects.create(
            name="Jen Psaki", kind=Source.Kind.OFFICIAL, affiliation=cls.state_dept
        )
        cls.ccdhrn = Source.objects.create(
            name="Cuban Commission for Human Rights and National Reconciliation",
            kind=Source.Kind.MONITOR,
            country="CU",
        )
        cls.sanchez = Source.objects.create(
            name="Elizardo Sanchez", kind=Source.Kind.MONITOR, affiliation=cls.ccdhrn
        )
        cls.rubio = Source.objects.create(name="Marco Rubio", kind=Source.Kind.LEGISLATOR)
        cls.psaki_note = CredibilityNote.objects.create(
            source=cls.psaki,
            body="Speaks for a party to the Dec. 17 agreement.",
            written_on=date(2015, 1, 7),
            signed_by="Desk editor",
        )
        cls.sanchez_note = CredibilityNote.objects.create(
            source=cls.sanchez,
            body="Leads a monitor that tracks detentions from Havana.",
            written_on=date(2015, 1, 7),
            signed_by="Desk editor",
        )
        cls.release = Topic.objects.create(
            title="Release of the 53 prisoners",
            question="Has Cuba released the 53 prisoners, and how many?",
            quantity_label="prisoners released",
            quantity_min=0,
            quantity_max=53,
        )
        cls.article = Document.objects.create(
            title="US: Cuba Has Released Some of 53 'Political' Prisoners",
            published_on=date(2015, 1, 6),
        )
        cls.monday = cls.claim(
            cls.psaki,
            stance=Claim.Stance.NO_INFORMATION,
            quote="unable to say whether any of the 53 had yet been freed",
            summary="Unable to say whether any had been freed",
            stated_on=date(2015, 1, 5),
        )
        cls.some_released = cls.claim(
            cls.psaki,
            stance=Claim.Stance.AFFIRMS,
            quantity_min=1,
            quantity_max=53,
            quote="They have already released some of the prisoners",
            summary="Some of the 53 released",
        )
        cls.no_information = cls.claim(
            cls.sanchez,
            stance=Claim.Stance.NO_INFORMATION,
            quote="We don't have any information up to now",
            summary="No information on any release",
        )
        cls.demand = cls.claim(
            cls.rubio,
            kind=Claim.Kind.POSITION,
            stance="",
            quote="urged Obama to cancel upcoming talks until all the prisoners are released",
            summary="Talks should wait until all are released",
        )

    @classmethod
    def claim(cls, source: Source, *, topic: Topic | None = None, **fields) -> Claim:
        """Create an approved claim through the real path (validation, then detection)."""
        fields.setdefault("stated_on", date(2015, 1, 6))
        fields.setdefault("kind", Claim.Kind.FACT)
        fields.setdefault("document", cls.article)
        claim = Claim(source=source, topic=topic or cls.release, **fields)
        claim.full_clean()
        claim.save()
        claim.approve(by=None)
        return claim


def publish_everything() -> None:
    """Publish every source, document, topic and detainee, as a moderator may.

    For tests about what a list or page shows, not about publication
    (docs/publication.md): bulk-written claims skip Claim.save, which
    publishes what an approved claim shows, and some objects have no claim.
    """
    from django.utils import timezone

    from claims.models import Detainee

    now = timezone.now()
    for model in (Source, Document, Topic, Detainee):
        model.objects.filter(published_at=None).update(published_at=now)
