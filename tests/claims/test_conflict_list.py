from datetime import date

from django.test import TestCase, override_settings
from django.urls import reverse

from claims.filters import ConflictFilterSet
from claims.models import Claim, Conflict, Detainee, Topic
from sources.models import CredibilityNote, Source
from tests.cast import JanuaryCast, publish_everything


def bulk_conflicts(count: int, *, topic: Topic, start: int = 0) -> list[Conflict]:
    """Create `count` open gaps in bulk, each between two sources of its own with a note each.

    Bypasses detection (bulk_create skips save()): the pairs are what
    detection would flag, "some released" against "no information".
    """
    ministry = Source.objects.create(name=f"Bulk ministry {start}", kind=Source.Kind.GOVERNMENT)
    sources = Source.objects.bulk_create(
        Source(
            name=f"Bulk source {start + n}",
            kind=Source.Kind.OFFICIAL if n % 2 else Source.Kind.MONITOR,
            # Some on each side speak for the ministry, so both sides' affiliations are read.
            affiliation=ministry if n % 3 == 0 else None,
        )
        for n in range(2 * count)
    )
    CredibilityNote.objects.bulk_create(
        CredibilityNote(source=source, body=f"Note on {source.name}", signed_by="Ed")
        for source in [ministry, *sources]
    )
    claims = Claim.objects.bulk_create(
        Claim(
            source=source,
            topic=topic,
            kind=Claim.Kind.FACT,
            stance=Claim.Stance.AFFIRMS if n % 2 else Claim.Stance.NO_INFORMATION,
            quantity_min=1 if n % 2 else None,
            quote=f"Bulk quote {start + n}",
            summary=f"Bulk summary {start + n}",
            stated_on=date(2015, 1, 6),
            state=Claim.State.APPROVED,
        )
        for n, source in enumerate(sources)
    )
    return Conflict.objects.bulk_create(
        Conflict(
            claim_a=claims[2 * n],
            claim_b=claims[2 * n + 1],
            topic=topic,
            kind=Conflict.Kind.GAP,
        )
        for n in range(count)
    )


class ConflictListTests(JanuaryCast, TestCase):
    url = reverse("claims:conflicts")

    def get(self, **params):
        return self.client.get(self.url, params)

    def test_it_shows_both_claims_side_by_side_with_their_sources_notes(self):
        response = self.get()

        self.assertContains(response, "Gap (one source has no information)")
        self.assertContains(response, "Jen Psaki")
        self.assertContains(response, '<span class="badge badge-kind">Official</span>', html=True)
        self.assertContains(
            response, '<span class="badge badge-kind">Monitor / NGO</span>', html=True
        )
        self.assertContains(response, "1–53 prisoners released")
        self.assertContains(response, "No information")
        self.assertContains(response, "They have already released some of the prisoners")
        self.assertContains(response, "We don&#x27;t have any information up to now")
        self.assertContains(response, self.psaki_note.body)
        self.assertContains(response, self.sanchez_note.body)
        self.assertContains(response, "Tue Jan 6, 2015", count=2)

    def test_it_shows_open_conflicts_unless_another_status_is_chosen(self):
        conflict = Conflict.objects.get()
        conflict.dismiss(by=None, reason="Not a real conflict")

        self.assertEqual(list(self.get().context["page"]), [])
        self.assertContains(self.get(), "Choose “Any status” to include closed ones")
        self.assertEqual(list(self.get(status="dismissed").context["page"]), [conflict])
        self.assertEqual(list(self.get(status="any").context["page"]), [conflict])

    def test_it_returns_only_the_results_to_htmx(self):
        response = self.client.get(self.url, {"kind": "gap"}, headers={"HX-Request": "true"})

        self.assertNotContains(response, "<form")
        self.assertContains(response, "1 conflict")

    def test_it_gives_a_normal_page_for_bad_input(self):
        for params, message in [
            ({"status": "closed"}, "Select a valid choice. closed is not one"),
            ({"kind": "<b>x</b>"}, "Select a valid choice. &lt;b&gt;x&lt;/b&gt; is not one"),
            ({"source": "1 OR 1=1"}, "Select a valid choice."),
            ({"topic": "'; DROP TABLE claims_conflict; --"}, "Select a valid choice."),
            ({"detainee": "99999999999999999999999"}, "Select a valid choice."),
            ({"page": "99999"}, "There is no page “99999”: showing page 1 of 1."),
        ]:
            with self.subTest(params=params):
                response = self.get(**params)
                self.assertEqual(response.status_code, 200)
                self.assertContains(response, message)
        self.assertEqual(Conflict.objects.count(), 1)

    def test_it_refuses_post(self):
        self.assertEqual(self.client.post(self.url).status_code, 405)

    @override_settings(READING_REQUIRES_LOGIN=True)
    def test_it_asks_for_a_login_when_reading_requires_one(self):
        self.assertEqual(self.get().status_code, 302)


class ConflictFilterSetTests(JanuaryCast, TestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.gap = Conflict.objects.get()
        cls.nunez = Detainee.objects.create(name="José Núñez")
        cls.nunez.topics.add(cls.release)
        cls.claim(
            cls.ccdhrn,
            detainee=cls.nunez,
            stance="affirms",
            status=Claim.Status.IMPRISONED,
            quote="Sigue preso",
            summary="Still in prison",
        )
        cls.claim(
            cls.state_dept,
            detainee=cls.nunez,
            stance="affirms",
            status=Claim.Status.RELEASED,
            quote="He was released",
            summary="Released",
        )
        cls.contradiction = Conflict.objects.get(detainee=cls.nunez)

    def filter(self, **data):
        filterset = ConflictFilterSet(data, queryset=Conflict.objects.all())
        self.assertTrue(filterset.is_valid(), filterset.errors)
        return set(filterset.qs)

    def test_it_keeps_the_open_conflicts_by_default(self):
        self.contradiction.dismiss(by=None, reason="Different people")

        self.assertEqual(self.filter(), {self.gap})

    def test_it_filters_by_status_or_takes_any(self):
        self.contradiction.dismiss(by=None, reason="Different people")

        self.assertEqual(self.filter(status="dismissed"), {self.contradiction})
        self.assertEqual(self.filter(status="any"), {self.gap, self.contradiction})

    def test_it_filters_by_kind(self):
        self.assertEqual(self.filter(kind="contradiction"), {self.contradiction})

    def test_it_filters_by_topic(self):
        other = Topic.objects.create(title="Other", question="?")
        publish_everything()

        self.assertEqual(self.filter(topic=self.release.slug), {self.gap, self.contradiction})
        self.assertEqual(self.filter(topic=other.slug), set())

    def test_it_filters_by_a_source_on_either_side(self):
        self.assertEqual(self.filter(source=self.sanchez.pk), {self.gap})
        self.assertEqual(self.filter(source=self.ccdhrn.pk), {self.contradiction})
        self.assertEqual(self.filter(source=self.psaki.pk), {self.gap})

    def test_it_filters_by_detainee(self):
        self.assertEqual(self.filter(detainee=self.nunez.pk), {self.contradiction})


class ConflictListQueryCountTests(TestCase):
    url = reverse("claims:conflicts")

    @classmethod
    def setUpTestData(cls):
        cls.topic = Topic.objects.create(
            title="Bulk topic", question="How many?", quantity_label="freed", quantity_min=0
        )

    def test_it_runs_a_constant_number_of_queries_whatever_the_number_of_conflicts(self):
        # 1. count, 2. topic choices, 3. source choices, 4. detainee choices,
        # 5. the page of conflicts joined to their topic, detainee and both
        # claims with each claim's source, affiliation, topic, detainee and
        # document, 6.-9. the visible notes of the A sources, of their
        # affiliations, of the B sources and of theirs.
        bulk_conflicts(10, topic=self.topic)
        with self.assertNumQueries(9):
            response = self.client.get(self.url)
        self.assertEqual(len(response.context["page"]), 10)

        bulk_conflicts(190, topic=self.topic, start=20)
        with self.assertNumQueries(9):
            response = self.client.get(self.url)
        self.assertEqual(len(response.context["page"]), 50)
        self.assertEqual(response.context["page"].paginator.count, 200)
