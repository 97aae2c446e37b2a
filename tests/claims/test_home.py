from django.test import TestCase
from django.urls import reverse

from claims.models import Claim, Conflict, Topic
from tests.cast import JanuaryCast


class HomePageTests(JanuaryCast, TestCase):
    def test_it_shows_the_gap_side_by_side_with_both_sources_notes(self):
        response = self.client.get(reverse("claims:home"))

        self.assertContains(response, "Gap (one source has no information)")
        self.assertContains(response, "They have already released some of the prisoners")
        self.assertContains(response, "We don&#x27;t have any information up to now")
        self.assertContains(response, self.psaki_note.body)
        self.assertContains(response, self.sanchez_note.body)

    def test_it_lists_topics_with_claim_and_open_conflict_counts(self):
        response = self.client.get(reverse("claims:home"))

        topic = next(t for t in response.context["topics"] if t.pk == self.release.pk)
        self.assertEqual(topic.claim_count, 4)
        self.assertEqual(topic.open_conflict_count, 1)

    def test_it_does_not_show_a_position_as_a_conflict(self):
        response = self.client.get(reverse("claims:home"))

        self.assertNotContains(response, "urged Obama to cancel")

    def test_it_says_what_to_do_when_there_is_nothing_to_show(self):
        Conflict.objects.update(status=Conflict.Status.DISMISSED, status_reason="test")
        response = self.client.get(reverse("claims:home"))

        self.assertContains(response, "No open conflicts.")

    def test_it_refuses_post(self):
        response = self.client.post(reverse("claims:home"))

        self.assertEqual(response.status_code, 405)

    def test_it_runs_a_constant_number_of_queries_whatever_the_number_of_conflicts(self):
        # 1. topics with counts, 2. open conflicts joined to both claims, their
        # sources, affiliations, topics, detainees and documents, 3.-6. the
        # visible notes of the A and B sources and of their affiliations.
        with self.assertNumQueries(6):
            self.client.get(reverse("claims:home"))

        for n in range(8):
            topic = Topic.objects.create(title=f"Question {n}", question="Is it?")
            self.claim(
                self.psaki, topic=topic, stance=Claim.Stance.AFFIRMS, quote="yes", summary="yes"
            )
            self.claim(
                self.sanchez, topic=topic, stance=Claim.Stance.DENIES, quote="no", summary="no"
            )
        self.assertEqual(Conflict.objects.open().count(), 9)

        with self.assertNumQueries(6):
            self.client.get(reverse("claims:home"))
