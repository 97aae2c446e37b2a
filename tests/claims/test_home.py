from django.test import TestCase
from django.urls import reverse

from claims.models import Claim, Conflict, Topic
from tests.cast import JanuaryCast, publish_everything


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
        # 1. how many topics (for the pages), 2. a page of topics with counts,
        # 3. open conflicts joined to both claims, their sources, affiliations,
        # topics, detainees and documents, and who last moved them, 4.-7. the
        # visible notes of the A and B sources and of their affiliations,
        # 8. the newest resolved conflicts, joined likewise.
        with self.assertNumQueries(8):
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

        with self.assertNumQueries(8):
            self.client.get(reverse("claims:home"))

    def test_it_lists_topics_with_the_most_open_conflicts_first_fifty_a_page(self):
        Topic.objects.bulk_create(
            Topic(title=f"Quiet question {n:02}", slug=f"quiet-{n:02}", question="Is it?")
            for n in range(60)
        )

        publish_everything()
        first = self.client.get(reverse("claims:home"))
        second = self.client.get(reverse("claims:home"), {"page": 2})

        listed = [t.pk for t in first.context["topics"]] + [t.pk for t in second.context["topics"]]
        self.assertEqual(listed[0], self.release.pk)  # The one with an open conflict.
        self.assertEqual(len(first.context["topics"]), 50)
        self.assertEqual(sorted(listed), sorted(Topic.objects.values_list("pk", flat=True)))
        self.assertEqual(len(listed), 61)
        self.assertContains(first, "More topics")
        self.assertContains(second, "Previous topics")
