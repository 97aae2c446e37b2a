"""A resolution may record the value found true; it gives every claim on the variable a verdict.

docs/verdicts.md is the specification; the pure rule has its tables in
test_true_value_rules.py. Here: the model, the web form, the API, the record.
"""

import io
import json
from datetime import date

from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import TestCase
from django.urls import reverse
from rest_framework.authtoken.models import Token

from claims.models import Claim, Conflict, Detainee
from sources.models import Source
from tests.cast import JanuaryCast
from tests.roles import RoleCast

EVIDENCE = "https://www.state.gov/list-2015-01-12"


class TrueValueCase(RoleCast, JanuaryCast, TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.cnn = Source.objects.create(name="CNN", kind=Source.Kind.MEDIA)
        cls.granma = Source.objects.create(name="Granma", kind=Source.Kind.MEDIA)
        cls.none_released = cls.claim(
            cls.cnn, stance=Claim.Stance.DENIES, quote="None has been freed", summary="None freed"
        )
        cls.all_53 = cls.claim(
            cls.granma,
            stance=Claim.Stance.AFFIRMS,
            quantity_min=53,
            quantity_max=53,
            quote="All 53 are free",
            summary="All 53 freed",
        )
        # Psaki "some released" [1, 53] against CNN "none released" [0, 0].
        cls.contradiction = Conflict.objects.get(
            claim_a=cls.some_released, claim_b=cls.none_released
        )

    def verdicts(self) -> dict[str, str]:
        claims = [self.some_released, self.none_released, self.all_53, self.no_information]
        return {c.summary: Claim.objects.get(pk=c.pk).verdict for c in claims}

    def resolve_36(self, conflict=None, **kwargs):
        kwargs.setdefault("outcome", "")
        (conflict or self.contradiction).resolve(
            by=self.moderator,
            rationale="The Jan 12 list names 36.",
            evidence_url=EVIDENCE,
            true_quantity=36,
            **kwargs,
        )


class ModelTests(TrueValueCase):
    def test_a_true_count_gives_every_claim_on_the_topic_its_verdict(self):
        self.resolve_36()

        self.contradiction.refresh_from_db()
        self.assertEqual(self.contradiction.outcome, Conflict.Outcome.A_RIGHT)
        self.assertEqual(self.contradiction.true_as_of, date(2015, 1, 6))
        self.assertEqual(
            self.verdicts(),
            {
                "Some of the 53 released": "confirmed",
                "None freed": "refuted",
                # In no resolved conflict, yet judged by the value found true.
                "All 53 freed": "refuted",
                "No information on any release": "unverified",
            },
        )
        # A position takes no verdict.
        self.assertEqual(Claim.objects.get(pk=self.demand.pk).verdict, "")

    def test_each_verdict_change_is_in_the_claims_history_with_who_when_and_why(self):
        self.resolve_36()

        record = Claim.objects.get(pk=self.all_53.pk).history.latest()
        self.assertEqual(record.verdict, "refuted")
        self.assertEqual(record.history_user, self.moderator)
        self.assertEqual(
            record.history_change_reason,
            "Verdict: Refuted, against 36 prisoners released found true as of Jan 6, 2015 "
            f"(resolved conflict #{self.contradiction.pk})",
        )

    def test_reopening_withdraws_the_verdicts_the_value_gave(self):
        self.resolve_36()

        self.contradiction.reopen(by=self.moderator, reason="The list was a draft")

        self.assertEqual(set(self.verdicts().values()), {""})
        self.contradiction.refresh_from_db()
        self.assertIsNone(self.contradiction.true_quantity)
        record = Claim.objects.get(pk=self.all_53.pk).history.latest()
        self.assertEqual(
            record.history_change_reason,
            f"Verdict: none, from the open conflict #{self.contradiction.pk}",
        )
        # The value stays in the conflict's own history.
        self.assertIn(36, self.contradiction.history.values_list("true_quantity", flat=True))

    def test_an_outcome_the_true_value_contradicts_is_refused_and_nothing_changes(self):
        with self.assertRaises(ValidationError) as caught:
            self.resolve_36(outcome=Conflict.Outcome.B_RIGHT)

        self.assertEqual(
            caught.exception.message_dict["outcome"],
            [
                "With 36 prisoners released found true, claim A is confirmed and claim B "
                "refuted: the outcome is “Claim A is right”."
            ],
        )
        self.assertTrue(Conflict.objects.get(pk=self.contradiction.pk).is_open)
        self.assertEqual(set(self.verdicts().values()), {""})

    def test_both_wrong_is_an_outcome_when_the_truth_lies_outside_both_claims(self):
        all_vs_none = Conflict.objects.get(claim_a=self.none_released, claim_b=self.all_53)

        self.resolve_36(all_vs_none, outcome=Conflict.Outcome.BOTH_WRONG)

        all_vs_none.refresh_from_db()
        self.assertEqual(all_vs_none.outcome, "both_wrong")
        verdicts = self.verdicts()
        self.assertEqual((verdicts["None freed"], verdicts["All 53 freed"]), ("refuted", "refuted"))

    def test_both_wrong_without_a_value_refutes_both_claims_of_the_pair(self):
        all_vs_none = Conflict.objects.get(claim_a=self.none_released, claim_b=self.all_53)

        all_vs_none.resolve(
            by=self.moderator, outcome="both_wrong", rationale="36", evidence_url=EVIDENCE
        )

        self.assertEqual(
            self.verdicts(),
            {
                "Some of the 53 released": "",
                "None freed": "refuted",
                "All 53 freed": "refuted",
                "No information on any release": "",
            },
        )

    def test_a_claim_approved_later_gets_its_verdict_and_an_edit_changes_it(self):
        self.resolve_36()

        later = self.claim(
            self.rubio,
            stance=Claim.Stance.AFFIRMS,
            quantity_min=30,
            quantity_max=30,
            quote="Thirty are out",
            summary="30 out",
            stated_on=date(2015, 1, 8),
        )
        self.assertEqual(Claim.objects.get(pk=later.pk).verdict, "refuted")
        later.quantity_max = 40
        later.save()
        self.assertEqual(Claim.objects.get(pk=later.pk).verdict, "confirmed")
        # Out of the window (7 days), the value no longer judges it.
        later.stated_on = later.as_of = date(2015, 1, 20)
        later.save()
        self.assertEqual(Claim.objects.get(pk=later.pk).verdict, "")

    def test_the_full_recompute_gives_the_verdicts_the_incremental_path_gave(self):
        self.resolve_36()
        before = self.verdicts()
        Claim.objects.update(verdict="")

        call_command("recompute_conflicts", stdout=io.StringIO())

        self.assertEqual(self.verdicts(), before)

    def test_the_value_must_be_in_the_topics_range_and_have_its_evidence(self):
        for kwargs, field in [
            ({"true_quantity": 54, "evidence_url": EVIDENCE}, "true_quantity"),
            ({"true_quantity": 36, "evidence_url": ""}, "evidence_url"),
            ({"true_status": "released", "evidence_url": EVIDENCE}, "true_status"),
        ]:
            with self.subTest(kwargs=kwargs), self.assertRaises(ValidationError) as caught:
                self.contradiction.resolve(by=self.moderator, outcome="", rationale="x", **kwargs)
            self.assertIn(field, caught.exception.message_dict)

    def test_a_different_value_inside_the_window_of_a_recorded_one_is_refused(self):
        self.resolve_36()
        all_vs_none = Conflict.objects.get(claim_a=self.none_released, claim_b=self.all_53)

        with self.assertRaises(ValidationError) as caught:
            all_vs_none.resolve(
                by=self.moderator,
                outcome="",
                rationale="x",
                evidence_url=EVIDENCE,
                true_quantity=40,
            )

        self.assertIn(f"Conflict #{self.contradiction.pk} records 36", str(caught.exception))
        # The same value is welcome: a cluster resolved with one finding.
        self.resolve_36(all_vs_none)
        self.assertEqual(Conflict.objects.get(pk=all_vs_none.pk).outcome, "both_wrong")

    def test_a_claim_judged_by_the_value_links_its_badge_to_the_resolution_that_recorded_it(self):
        self.resolve_36()
        # Out of its open conflicts (they lapse), Granma's claim shows its verdict.
        for claim in (self.none_released, self.no_information):
            Claim.objects.get(pk=claim.pk).retract(by=self.moderator, reason="Misattributed")

        standing = Claim.objects.with_standing().get(pk=self.all_53.pk).standing

        self.assertEqual(
            (standing.key, standing.url), ("refuted", self.contradiction.get_absolute_url())
        )

    def test_the_sources_track_record_counts_the_verdicts(self):
        self.resolve_36()

        granma = Source.objects.with_record().get(pk=self.granma.pk)
        psaki = Source.objects.with_record().get(pk=self.psaki.pk)
        self.assertEqual((granma.confirmed_count, granma.refuted_count), (0, 1))
        self.assertEqual((psaki.confirmed_count, psaki.refuted_count), (1, 0))


class DetaineeStatusTests(RoleCast, JanuaryCast, TestCase):
    def test_a_true_status_judges_every_claim_on_the_detainee(self):
        person = Detainee.objects.create(name="Sonia Garro")
        person.topics.add(self.release)
        says = {}
        for source, stance, status in [
            (self.psaki, "affirms", "released"),
            (self.sanchez, "affirms", "detained"),
            (self.rubio, "affirms", "exiled"),
        ]:
            says[status] = self.claim(
                source,
                detainee=person,
                stance=stance,
                status=status,
                quote=f"She is {status}",
                summary=status,
            )
        conflict = Conflict.objects.get(claim_a=says["released"], claim_b=says["detained"])

        conflict.resolve(
            by=self.moderator,
            outcome="",
            rationale="Her lawyer confirms parole.",
            evidence_url=EVIDENCE,
            true_status="conditional_release",
        )

        got = {s: Claim.objects.get(pk=c.pk).verdict for s, c in says.items()}
        self.assertEqual(got, {"released": "confirmed", "detained": "refuted", "exiled": "refuted"})
        self.assertEqual(Conflict.objects.get(pk=conflict.pk).outcome, "a_right")


class WebAndApiTests(TrueValueCase):
    def test_the_resolve_form_records_the_true_count(self):
        self.client.force_login(self.moderator)
        url = reverse("claims:conflict_decide", args=[self.contradiction.pk])
        page = self.client.get(url)
        self.assertContains(page, "Count found to be true")
        self.assertContains(page, "Both wrong: neither claim is right")

        response = self.client.post(
            reverse("claims:conflict_resolve", args=[self.contradiction.pk]),
            {"rationale": "The list", "evidence_url": EVIDENCE, "true_quantity": "36"},
        )

        self.assertEqual(response.status_code, 302)
        self.assertEqual(self.verdicts()["All 53 freed"], "refuted")
        shown = self.client.get(self.contradiction.get_absolute_url())
        self.assertContains(shown, "Found to be true")
        self.assertContains(shown, "36 prisoners released")

    def test_the_resolve_form_shows_an_outcome_the_value_contradicts_on_its_field(self):
        self.client.force_login(self.moderator)

        response = self.client.post(
            reverse("claims:conflict_resolve", args=[self.contradiction.pk]),
            {"outcome": "b_right", "rationale": "x", "evidence_url": EVIDENCE, "true_quantity": 36},
        )

        self.assertEqual(response.status_code, 400)
        self.assertIn("the outcome is", response.context["resolve_form"].errors["outcome"][0])

    def test_the_api_records_the_true_count_and_refuses_a_status_on_a_topic(self):
        token, _ = Token.objects.get_or_create(user=self.moderator)
        url = reverse("api:conflict-resolve", args=[self.contradiction.pk])
        headers = {"HTTP_AUTHORIZATION": f"Token {token.key}"}
        body = {"rationale": "The list", "evidence_url": EVIDENCE, "true_status": "released"}

        refused = self.client.post(url, json.dumps(body), "application/json", **headers)
        body = {**body, "true_status": "", "true_quantity": 36}
        done = self.client.post(url, json.dumps(body), "application/json", **headers)

        self.assertEqual(refused.status_code, 400)
        self.assertIn("true_status", refused.json())
        self.assertEqual(done.status_code, 200, done.content)
        self.assertEqual(done.json()["true_quantity"], 36)
        self.assertEqual(done.json()["true_as_of"], "2015-01-06")
        self.assertEqual(done.json()["outcome"], "a_right")
        self.assertEqual(done.json()["claim_b"]["verdict"], "refuted")
