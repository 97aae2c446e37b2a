"""A resolved conflict stays in view: topic, home, conflicts list and conflict pages."""

import html

from django.contrib.auth.models import User
from django.test import TestCase
from django.urls import reverse

from claims.models import Claim, Conflict, Topic
from claims.views.topics import HOME_RESOLUTIONS, SHOWN_RESOLUTIONS
from tests.cast import JanuaryCast

RATIONALE = "Cuba freed the 53 in the following days; the State Department confirmed it."
EVIDENCE = "https://example.org/2015/01/12/cuba-completes-release-of-53"


class ResolutionsTestCase(JanuaryCast, TestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.mona = User.objects.create_user("mona", first_name="Mona", last_name="Reyes")

    def gap(self) -> Conflict:
        return Conflict.objects.get(claim_a=self.some_released, claim_b=self.no_information)

    def resolve_gap(self) -> Conflict:
        gap = self.gap()
        gap.resolve(
            by=self.mona,
            outcome=Conflict.Outcome.A_RIGHT,
            rationale=RATIONALE,
            evidence_url=EVIDENCE,
        )
        return gap

    def page(self, url: str, **params) -> str:
        response = self.client.get(url, params)
        self.assertEqual(response.status_code, 200)
        return html.unescape(response.content.decode())

    def topics_with_resolutions(self, n: int) -> None:
        """Add n topics, each with a gap resolved by Mona."""
        for i in range(n):
            topic = Topic.objects.create(title=f"Question {i}", question="Is it?")
            self.claim(self.psaki, topic=topic, stance="affirms", quote="yes", summary=f"Yes {i}")
            self.claim(self.sanchez, topic=topic, stance="denies", quote="no", summary=f"No {i}")
            Conflict.objects.get(topic=topic).resolve(
                by=self.mona, outcome=Conflict.Outcome.B_RIGHT, rationale=f"Reason {i}."
            )


class TopicWhereThisStandsTests(ResolutionsTestCase):
    def test_it_counts_the_open_conflicts_at_the_top_with_a_link_to_them(self):
        body = self.page(self.release.get_absolute_url())

        stands = body.index("Where this stands")
        self.assertLess(stands, body.index("At a glance</h2>"))
        self.assertIn('<a href="#open-conflicts">1 open conflict</a>', body[stands:])
        self.assertIn("None resolved yet.", body)

    def test_after_a_resolution_the_top_says_the_outcome_who_when_and_why(self):
        self.resolve_gap()

        body = self.page(self.release.get_absolute_url())

        top = body[body.index("Where this stands") : body.index("At a glance</h2>")]
        self.assertIn("No open conflict", top)
        self.assertIn("1 resolved by a moderator", top)
        self.assertIn("Claim A is right</strong> (Jen Psaki)", top)
        self.assertIn("Resolved by Mona Reyes on", top)
        self.assertIn(f"“{RATIONALE}”", top)
        self.assertIn(self.gap().get_absolute_url(), top)

    def test_it_shows_only_the_newest_resolutions_and_links_the_rest(self):
        self.resolve_gap()
        for i in range(SHOWN_RESOLUTIONS + 1):
            claim = self.claim(
                self.rubio, stance=Claim.Stance.DENIES, quote=f"none {i}", summary=f"None {i}"
            )
            for conflict in Conflict.objects.open().filter(claim_b=claim):
                conflict.resolve(by=self.mona, outcome="a_right", rationale=f"Reason {i}.")

        response = self.client.get(self.release.get_absolute_url())

        self.assertEqual(len(response.context["resolutions"]), SHOWN_RESOLUTIONS)
        self.assertContains(response, "status=resolved")


class HomeRecentResolutionsTests(ResolutionsTestCase):
    def test_it_shows_the_newest_resolutions_bounded(self):
        self.resolve_gap()
        self.topics_with_resolutions(HOME_RESOLUTIONS)

        response = self.client.get(reverse("claims:home"))
        body = html.unescape(response.content.decode())

        self.assertEqual(len(response.context["resolutions"]), HOME_RESOLUTIONS)
        self.assertIn("Recently resolved", body)
        self.assertIn("Reason 4.", body)  # the newest
        self.assertNotIn(RATIONALE, body)  # the oldest, past the bound

    def test_it_says_when_nothing_is_resolved_yet(self):
        self.assertIn("No conflict has been resolved yet.", self.page(reverse("claims:home")))


class ConflictListOutcomeTests(ResolutionsTestCase):
    def test_a_resolved_conflict_shows_its_outcome_who_and_why_not_only_a_chip(self):
        self.resolve_gap()

        body = self.page(reverse("claims:conflicts"), status="resolved")

        self.assertIn("Resolved: claim a is right", body)
        self.assertIn("Claim A is right</strong> (Jen Psaki). Resolved by", body)
        self.assertIn("Mona Reyes", body)
        self.assertIn(RATIONALE[:60], body)
        self.assertIn(f'href="{EVIDENCE}"', body)

    def test_a_dismissed_conflict_says_who_dismissed_it_and_why(self):
        self.gap().dismiss(by=self.mona, reason="Same statement, reported twice.")

        body = self.page(reverse("claims:conflicts"), status="dismissed")

        self.assertIn("Dismissed</strong> by", body)
        self.assertIn("Same statement, reported twice.", body)


class ConflictPageTests(ResolutionsTestCase):
    def test_it_labels_the_two_claims_a_and_b(self):
        body = self.page(self.gap().get_absolute_url())

        self.assertIn("Claim A: Jen Psaki, “Some of the 53 released”", body)
        self.assertIn("Claim B: Elizardo Sanchez, “No information on any release”", body)
        self.assertEqual(body.count('class="side-label">Claim A'), 1)
        self.assertEqual(body.count('class="side-label">Claim B'), 1)

    def test_it_says_who_resolved_it_when_and_why_with_the_evidence(self):
        gap = self.resolve_gap()

        body = self.page(gap.get_absolute_url())

        self.assertIn("<dt>Outcome</dt><dd>Claim A is right: Jen Psaki</dd>", body)
        self.assertIn("<dt>Verdicts</dt><dd>Claim A confirmed; claim B unverified</dd>", body)
        self.assertIn("<dt>Resolved by</dt><dd>Mona Reyes, <time", body)
        self.assertIn(f"<dt>Rationale</dt><dd>{RATIONALE}</dd>", body)
        self.assertIn(f'href="{EVIDENCE}"', body)
