"""
The topic page and the parties page for issue 14, points 1 and 2, on the demo
case: the derived count beside the aggregate claims, claims by parties apart
from independent monitors, a conflict between two voices of one organisation
labelled as internal, corroboration by organisations, and moderators recording
and withdrawing a party on the record.
"""

from __future__ import annotations

from datetime import date
from io import StringIO

from django.core.management import call_command
from django.test import TestCase
from django.urls import reverse

from claims.models import Claim, Conflict, Topic, TopicParty
from sources.models import Source
from tests.claims.test_import_case import DEMO_CASE
from tests.roles import RoleCast

RELEASE = "Release of the 53 prisoners"


class DemoTopicPageTests(RoleCast, TestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        call_command("import_case", str(DEMO_CASE), stdout=StringIO())
        cls.release = Topic.objects.get(title=RELEASE)

    def page(self):
        return self.client.get(self.release.get_absolute_url())

    def test_it_shows_the_named_releases_by_organisation(self):
        response = self.page()
        count = response.context["named_count"]
        self.assertEqual((count.total, count.of), (3, 53))
        self.assertEqual(
            [(o.name, n) for o, n in count.by_organisation],
            [
                ("Cuban Commission for Human Rights and National Reconciliation", 2),
                ("U.S. government", 1),
            ],
        )
        self.assertContains(response, "Named releases reported: 3 of 53</strong>, by CCDHRN 2")

    def test_it_groups_claims_by_parties_apart_from_independent_monitors(self):
        response = self.page()
        parties = [e.source.name for e in response.context["party_picture"]]
        independent = [e.source.name for e in response.context["independent_picture"]]
        self.assertEqual(parties, ["Jen Psaki"])
        # The wire report relays the U.S. government's words, but is no party itself.
        self.assertEqual(independent, ["Elizardo Sanchez", "Illustrative daily", "Wire report"])
        self.assertContains(response, "Claims by parties")
        self.assertContains(response, "Government of Cuba</a> (Party to the Dec. 17 agreement")

    def test_the_list_contradiction_carries_its_three_witnesses(self):
        conflict = Conflict.objects.get(kind=Conflict.Kind.LIST_CONTRADICTION)
        self.assertEqual(
            sorted(c.detainee.name for c in conflict.witnesses.all()),
            [f"Illustrative prisoner {i}" for i in (1, 2, 3)],
        )
        self.client.force_login(self.reader)
        response = self.client.get(reverse("api:conflict-detail", args=[conflict.pk]))
        self.assertEqual(
            sorted(response.json()["witnesses"]), sorted(c.pk for c in conflict.witnesses.all())
        )
        self.assertEqual(response.json()["kind"], "list_contradiction")

    def test_two_voices_of_one_government_disagreeing_are_an_internal_inconsistency(self):
        earnest = Source.objects.get(name="Josh Earnest")
        claim = Claim(
            source=earnest,
            topic=self.release,
            kind=Claim.Kind.FACT,
            stance=Claim.Stance.DENIES,
            quote="None have been released yet.",
            summary="None released yet",
            stated_on=date(2015, 1, 6),
            state=Claim.State.PENDING,
        )
        claim.full_clean()
        claim.save()
        claim.approve(by=None)

        response = self.page()
        internal = [c for c in response.context["conflicts"] if c.internal_to is not None]
        self.assertEqual(len(internal), 1)
        self.assertEqual(internal[0].internal_to, "U.S. government")
        self.assertEqual(
            {internal[0].claim_a.source.name, internal[0].claim_b.source.name},
            {"Jen Psaki", "Josh Earnest"},
        )
        self.assertContains(response, "Internal inconsistency: two voices of U.S. government")

    def test_corroboration_counts_organisations_not_people(self):
        # Two more voices of the U.S. government say "some were released" too: one organisation.
        for name in ("The White House", "Josh Earnest"):
            claim = Claim(
                source=Source.objects.get(name=name),
                topic=self.release,
                kind=Claim.Kind.FACT,
                stance=Claim.Stance.AFFIRMS,
                quote="Some have been released.",
                summary="Some released",
                stated_on=date(2015, 1, 6),
                state=Claim.State.PENDING,
            )
            claim.full_clean()
            claim.save()
            claim.approve(by=None)
        response = self.page()
        psaki = next(
            c
            for e in response.context["party_picture"]
            for c in e.current
            if c.source.name == "Jen Psaki"
        )
        self.assertEqual(psaki.agreeing_organisations, 0, "her own government is one voice")

    def test_a_moderator_records_and_withdraws_a_party_on_the_record(self):
        url = reverse("claims:topic_parties", args=[self.release.slug])
        rubio = Source.objects.get(name="Marco Rubio")
        self.client.force_login(self.moderator)
        response = self.client.post(
            url, {"action": "add", "source": rubio.pk, "reason": "Campaigns on the deal."}
        )
        self.assertEqual(response.status_code, 302)
        party = TopicParty.objects.get(topic=self.release, source=rubio)
        self.assertEqual(party.reason, "Campaigns on the deal.")

        response = self.client.post(
            url, {"action": "withdraw", "party": party.pk, "reason": "Not a party to the deal."}
        )
        self.assertEqual(response.status_code, 302)
        party.refresh_from_db()
        self.assertTrue(party.withdrawn)
        history = list(
            party.history.order_by("history_date").values_list("withdrawn", "history_user")
        )
        self.assertEqual(history, [(False, self.moderator.pk), (True, self.moderator.pk)])
        self.assertNotIn(rubio.pk, {p.source_id for p in self.page().context["parties"]})

    def test_an_empty_reason_is_refused_and_nothing_is_written(self):
        self.client.force_login(self.moderator)
        response = self.client.post(
            reverse("claims:topic_parties", args=[self.release.slug]),
            {"action": "add", "source": Source.objects.get(name="Marco Rubio").pk, "reason": ""},
        )
        self.assertEqual(response.status_code, 400)
        self.assertEqual(TopicParty.objects.count(), 2)
