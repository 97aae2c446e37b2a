"""
A topic's tolerance: two counts at most that far apart (an absolute amount,
or a percentage of the larger) agree. The rule as a table (claims.conflicts),
then the topic form and detection: changing the tolerance re-examines the
topic's claims.
"""

from datetime import date

from django.test import SimpleTestCase, TestCase
from django.urls import reverse

from claims.conflicts import AFFIRMS, DENIES, FACT, ClaimFacts, Kind, TopicRules, compare
from claims.models import Claim, Conflict, Topic
from crosscheck.versions import latest_version
from tests.cast import JanuaryCast
from tests.roles import RoleCast

DAY = date(2015, 1, 6)


def says(claim_id: int, lo: int, hi: int, stance: str = AFFIRMS) -> ClaimFacts:
    return ClaimFacts(claim_id, claim_id, FACT, stance, DAY, quantity_min=lo, quantity_max=hi)


def population(**tolerance) -> TopicRules:
    return TopicRules(has_quantity=True, quantity_min=0, **tolerance)


class ToleranceRuleTests(SimpleTestCase):
    TABLE = [
        # (what the topic tolerates, claim A, claim B, expected)
        ({}, says(1, 4183, 4183), says(2, 4190, 4190), Kind.CONTRADICTION),
        ({"tolerance": 7}, says(1, 4183, 4183), says(2, 4190, 4190), None),
        ({"tolerance": 6}, says(1, 4183, 4183), says(2, 4190, 4190), Kind.CONTRADICTION),
        ({"tolerance_percent": 1.0}, says(1, 4183, 4183), says(2, 4190, 4190), None),
        ({"tolerance_percent": 1.0}, says(1, 100, 100), says(2, 102, 102), Kind.CONTRADICTION),
        ({"tolerance_percent": 1.0}, says(1, 100, 100), says(2, 101, 101), None),
        # The gap between intervals counts, not their far ends.
        ({"tolerance": 5}, says(1, 0, 10), says(2, 15, 90), None),
        ({"tolerance": 5}, says(1, 0, 10), says(2, 16, 90), Kind.CONTRADICTION),
        # A denial leaves the rest of the range: "not 10" agrees with 11 within 1.
        ({"tolerance": 1}, says(1, 10, 10, DENIES), says(2, 10, 10), None),
        ({}, says(1, 10, 10, DENIES), says(2, 10, 10), Kind.CONTRADICTION),
    ]

    def test_the_table(self):
        for tolerance, a, b, expected in self.TABLE:
            with self.subTest(tolerance=tolerance, a=a[5:8], b=b[5:8]):
                self.assertEqual(compare(a, b, population(**tolerance)), expected)
                self.assertEqual(compare(b, a, population(**tolerance)), expected)


class ToleranceDetectionTests(RoleCast, JanuaryCast, TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.city = Topic.objects.create(
            title="Population of Springfield",
            question="How many people live in Springfield?",
            quantity_label="inhabitants",
            quantity_min=0,
            tolerance_percent=1,
        )
        cls.census = cls.claim(
            cls.psaki, topic=cls.city, stance=Claim.Stance.AFFIRMS, quantity_min=4183,
            quantity_max=4183, quote="4,183 people", summary="4,183",
        )  # fmt: skip
        cls.estimate = cls.claim(
            cls.sanchez, topic=cls.city, stance=Claim.Stance.AFFIRMS, quantity_min=4190,
            quantity_max=4190, quote="4,190 people", summary="4,190",
        )  # fmt: skip

    def test_counts_within_the_tolerance_raise_no_conflict(self):
        self.assertFalse(Conflict.objects.filter(topic=self.city).exists())

    def edit(self, **changes):
        return self.client.post(
            reverse("claims:topic_edit", args=[self.city.slug]),
            {
                "title": self.city.title,
                "question": self.city.question,
                "quantity_label": "inhabitants",
                "quantity_min": "0",
                "quantity_max": "",
                "window_days": "7",
                "tolerance": "0",
                "tolerance_percent": "0",
                "seen_version": latest_version(self.city),
                **changes,
            },
        )

    def test_the_topic_form_sets_the_tolerance_and_the_topic_is_re_examined(self):
        self.client.force_login(self.editor)
        self.edit(change_reason="The census counts exactly.")

        conflict = Conflict.objects.get(topic=self.city)
        self.assertEqual(conflict.kind, Conflict.Kind.CONTRADICTION)
        self.assertEqual(conflict.status, Conflict.Status.OPEN)

    def test_a_rule_edit_on_a_topic_with_approved_claims_needs_a_reason(self):
        self.client.force_login(self.editor)

        page = self.edit(question="How many people live in Springfield today?")

        self.assertEqual(page.status_code, 200)
        self.assertIn(
            "2 approved claims use this topic", page.context["form"].errors["change_reason"][0]
        )
        self.assertContains(page, "How many people live in Springfield today?")  # Kept.
        self.city.refresh_from_db()
        self.assertEqual(float(self.city.tolerance_percent), 1.0)
        self.assertFalse(Conflict.objects.filter(topic=self.city).exists())

    def test_the_conflict_a_rule_edit_opens_records_who_when_and_why_on_its_page(self):
        self.client.force_login(self.editor)

        self.assertEqual(self.edit(change_reason="The census counts exactly.").status_code, 302)

        conflict = Conflict.objects.get(topic=self.city)
        self.assertEqual(conflict.status_changed_by, self.editor)
        self.assertIn("tolerance percent 1.0 → 0.0", conflict.status_reason)
        self.assertIn("Why: The census counts exactly.", conflict.status_reason)
        record = conflict.history.latest()
        self.assertEqual(record.history_user, self.editor)
        self.assertIn("Why: The census counts exactly.", record.history_change_reason)
        self.city.refresh_from_db()
        self.assertIn(
            "Why: The census counts exactly.", self.city.history.latest().history_change_reason
        )
        self.client.force_login(self.reader)
        page = self.client.get(conflict.get_absolute_url())
        self.assertContains(page, "<dt>Opened by</dt><dd>Ed Itor,")
        self.assertContains(page, "The census counts exactly.")
        history = self.client.get(reverse("history", args=["conflict", conflict.pk]))
        self.assertContains(history, "The census counts exactly.")

    def test_the_conflicts_a_rule_edit_closes_record_who_and_why(self):
        self.client.force_login(self.editor)
        self.edit(change_reason="The census counts exactly.")
        conflict = Conflict.objects.get(topic=self.city)
        self.client.force_login(self.moderator)

        self.edit(tolerance="10", change_reason="Estimates round to ten.")

        conflict.refresh_from_db()
        self.assertEqual(conflict.status, Conflict.Status.LAPSED)
        self.assertEqual(conflict.status_changed_by, self.moderator)
        self.assertIn("Why: Estimates round to ten.", conflict.status_reason)
        page = self.client.get(conflict.get_absolute_url())
        self.assertContains(page, "<dt>Closed by</dt><dd>Mona Derator,")
        self.assertContains(page, "Estimates round to ten.")

    def test_a_topic_without_approved_claims_changes_its_rules_without_a_reason(self):
        self.client.force_login(self.editor)
        Claim.objects.filter(topic=self.city).update(state=Claim.State.PENDING)

        self.assertEqual(self.edit().status_code, 302)

    def test_the_api_asks_for_the_reason_too(self):
        self.client.force_login(self.editor)
        url = reverse("api:topic-detail", args=[self.city.pk])

        refused = self.client.patch(url, {"tolerance_percent": 0}, content_type="application/json")
        self.assertEqual(refused.status_code, 400, refused.content)
        self.assertIn("change_reason", refused.json())
        saved = self.client.patch(
            url,
            {"tolerance_percent": 0, "change_reason": "Exact counts."},
            content_type="application/json",
        )
        self.assertEqual(saved.status_code, 200, saved.content)
        conflict = Conflict.objects.get(topic=self.city)
        self.assertEqual(conflict.status_changed_by, self.editor)
        self.assertIn("Why: Exact counts.", conflict.status_reason)

    def test_the_topic_form_refuses_a_percentage_above_100(self):
        self.client.force_login(self.editor)
        page = self.client.post(
            reverse("claims:topic_create"),
            {
                "title": "Other",
                "question": "How many?",
                "quantity_label": "people",
                "quantity_min": "0",
                "window_days": "7",
                "tolerance": "0",
                "tolerance_percent": "150",
            },
        )

        self.assertIn("tolerance_percent", page.context["form"].errors)
        self.assertFalse(Topic.objects.filter(title="Other").exists())
