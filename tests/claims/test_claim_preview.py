"""The preview: which approved claims a claim would conflict with, or update, if approved now."""

from datetime import date

from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from claims import detection
from claims.models import Claim, Conflict
from tests.editors import EditorialCast

URL = reverse("claims:claim_create")


class PreviewTests(EditorialCast, TestCase):
    def candidate(self, source, **fields) -> Claim:
        fields.setdefault("kind", Claim.Kind.FACT)
        fields.setdefault("stated_on", date(2015, 1, 7))
        return Claim(source=source, topic=self.release, quote="q", summary="s", **fields)

    def test_it_finds_the_gap_and_the_contradiction_a_claim_would_raise(self):
        none_released = self.candidate(
            self.state_dept, stance=Claim.Stance.AFFIRMS, quantity_min=0, quantity_max=0
        )

        found = detection.preview(none_released)

        self.assertEqual(
            found, [(self.some_released, "contradiction"), (self.no_information, "gap")]
        )

    def test_it_names_the_earlier_statement_a_claim_would_update(self):
        tuesday_again = self.candidate(
            self.psaki, stance=Claim.Stance.AFFIRMS, quantity_min=1, quantity_max=53
        )

        found = detection.preview_approval(tuesday_again)

        self.assertEqual(found.supersedes, [self.some_released])
        self.assertEqual(found.conflicts, [(self.no_information, "gap")])
        self.assertIsNone(found.superseded_by)

    def test_it_names_the_later_statement_that_would_update_a_claim_at_once(self):
        sunday = self.candidate(self.psaki, stance=Claim.Stance.DENIES, stated_on=date(2015, 1, 4))

        found = detection.preview_approval(sunday)

        self.assertEqual(found.superseded_by, self.monday)
        self.assertEqual(found.conflicts, [])

    def test_it_finds_nothing_for_a_position(self):
        demand = self.candidate(self.rubio, kind=Claim.Kind.POSITION, stance="")

        self.assertEqual(detection.preview(demand), [])

    def test_it_ignores_claims_that_are_not_approved(self):
        self.draft(
            self.edna,
            source=self.ccdhrn,
            stance=Claim.Stance.DENIES,
            quantity_min=None,
            quantity_max=None,
        )
        candidate = self.candidate(self.rubio, stance=Claim.Stance.AFFIRMS)

        self.assertEqual(detection.preview(candidate), [(self.no_information, "gap")])

    def test_it_sets_aside_the_stored_version_of_a_claim_being_edited(self):
        claim = Claim.objects.get(pk=self.some_released.pk)
        claim.stance, claim.quantity_min, claim.quantity_max = "no_information", None, None

        self.assertEqual(detection.preview(claim), [])

    def test_it_writes_nothing(self):
        before = (Claim.objects.count(), Conflict.objects.count(), Claim.history.count())
        candidate = self.candidate(self.state_dept, stance=Claim.Stance.DENIES)

        with CaptureQueriesContext(connection) as queries:
            detection.preview_approval(candidate)

        self.assertTrue(all(q["sql"].lstrip().upper().startswith("SELECT") for q in queries))
        after = (Claim.objects.count(), Conflict.objects.count(), Claim.history.count())
        self.assertEqual(before, after)


class PreviewPageTests(EditorialCast, TestCase):
    def setUp(self) -> None:
        self.client.force_login(self.edna)

    def data(self, **overrides) -> dict:
        fields = {
            "source": "U.S. Department of State",
            "stance": "denies",
            "quantity": "",
            "stated_on": "2015-01-07",
            "action": "preview",
        }
        return self.claim_data(**{**fields, **overrides})

    def test_it_shows_the_preview_without_javascript(self):
        response = self.client.post(URL, self.data())

        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "It would raise 2 conflicts with approved claims")
        self.assertContains(response, "Contradiction")
        self.assertContains(response, "Gap")
        self.assertContains(response, "We don&#x27;t have any information up to now")
        self.assertContains(response, "They have already released some of the prisoners")
        self.assertFalse(Claim.objects.filter(summary="More of the 53 released").exists())

    def test_it_answers_htmx_with_the_preview_alone(self):
        response = self.client.post(URL, self.data(), headers={"HX-Request": "true"})

        html = response.content.decode()
        self.assertTrue(html.lstrip().startswith('<section id="claim-preview"'))
        self.assertNotIn("<html", html)
        self.assertIn("It would raise 2 conflicts", html)

    def test_it_shows_the_update_it_would_make(self):
        response = self.client.post(URL, self.data(source="Jen Psaki", stance="affirms"))

        self.assertContains(response, "It would update Jen Psaki’s earlier statement")
        self.assertContains(response, "shown as an update, not a conflict")

    def test_it_previews_while_the_quote_is_still_empty(self):
        response = self.client.post(URL, self.data(quote=""))

        self.assertContains(response, "It would raise 2 conflicts")

    def test_it_asks_for_corrections_when_what_it_depends_on_is_wrong(self):
        response = self.client.post(URL, self.data(topic="Nothing like it"))

        self.assertIsNone(response.context["preview"])
        self.assertContains(response, "Correct the marked fields")

    def test_it_says_so_when_there_is_no_conflict(self):
        response = self.client.post(URL, self.data(stated_on="2015-03-01", source="Marco Rubio"))

        self.assertContains(response, "It would raise no conflict")

    def test_it_shows_an_existing_claims_preview_when_opened(self):
        claim = self.draft(
            self.edna, source=self.state_dept, stance="denies", quantity_min=None, quantity_max=None
        )

        response = self.client.get(reverse("claims:claim_edit", args=[claim.pk]))

        self.assertContains(response, "It would raise 2 conflicts")

    def test_it_refuses_a_reader_the_preview(self):
        self.client.force_login(self.rita)

        response = self.client.post(URL, self.data(), headers={"HX-Request": "true"})

        self.assertEqual(response.status_code, 403)
