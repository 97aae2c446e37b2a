"""What `make run` shows: the January 2015 case, loaded through the importer."""

import json
from io import StringIO

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import TestCase
from django.urls import reverse

from claims.models import Claim, Topic

DEMO_CASE = settings.BASE_DIR / "cases" / "cuba-2015-01.json"


class DemoCaseTests(TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        call_command("import_case", str(DEMO_CASE), stdout=StringIO())
        cls.release = Topic.objects.get(title="Release of the 53 prisoners")
        cls.monday = Claim.objects.get(source__name="Jen Psaki", stated_on="2015-01-05")
        cls.tuesday = Claim.objects.get(
            source__name="Jen Psaki", topic=cls.release, stated_on="2015-01-06"
        )
        cls.demand = Claim.objects.get(source__name="Marco Rubio")

    def test_the_home_page_shows_the_state_department_ccdhrn_gap_side_by_side(self):
        response = self.client.get(reverse("claims:home"))

        # The demo's other open conflict is the illustrative list contradiction.
        [conflict] = [c for c in response.context["conflicts"] if c.kind == "gap"]
        self.assertEqual(conflict.kind, "gap")
        self.assertEqual(
            {conflict.claim_a.source.name, conflict.claim_b.source.name},
            {"Jen Psaki", "Elizardo Sanchez"},
        )
        self.assertContains(response, "They have already released some of the prisoners")
        self.assertContains(response, "U.S. Department of State")
        self.assertContains(
            response, "Cuban Commission for Human Rights and National Reconciliation"
        )

    def test_the_home_page_shows_both_sources_credibility_notes(self):
        response = self.client.get(reverse("claims:home"))

        case = json.loads(DEMO_CASE.read_text())
        # The speakers' claims carry the notes on the bodies they speak for.
        for body in (
            "U.S. Department of State",
            "Cuban Commission for Human Rights and National Reconciliation",
        ):
            notes = [n["body"] for n in case["notes"] if n["source"] == body]
            self.assertTrue(notes, f"the demo case has a note on {body}")
            self.assertContains(response, notes[0].replace("'", "&#x27;"))

    def test_the_topic_page_shows_monday_as_superseded_by_tuesday(self):
        response = self.client.get(self.release.get_absolute_url())

        self.assertContains(response, f'id="claim-{self.monday.pk}"')
        self.assertContains(response, "Updated by this source’s later statement")
        self.assertEqual(self.monday.superseded_by, self.tuesday)

    def test_rubios_demand_is_shown_as_a_position_not_a_contradiction(self):
        precondition = self.demand.topic
        response = self.client.get(precondition.get_absolute_url())

        self.assertContains(response, "shown as a position, never a contradiction of fact")
        self.assertEqual(list(response.context["conflicts"]), [])

    def test_a_search_finds_claims_by_the_demo_sources_acronyms(self):
        for query, speakers in (("CCDHRN", {"Elizardo Sanchez"}), ('"State Dept"', {"Jen Psaki"})):
            with self.subTest(query=query):
                response = self.client.get(reverse("claims:list"), {"q": query})
                found = {claim.source.name for claim in response.context["page"]}
                self.assertEqual(found, speakers)

    def test_the_white_house_declining_to_name_the_53_forms_no_gap(self):
        declined = Claim.objects.get(source__name="Josh Earnest")
        names = declined.topic
        response = self.client.get(names.get_absolute_url())

        self.assertEqual(declined.stance, Claim.Stance.DECLINES)
        self.assertContains(response, "Declines to say")
        self.assertEqual(list(response.context["conflicts"]), [])


class DemoReloadTests(TestCase):
    """`make run` loads the demo with --if-empty: a second start changes nothing a person did."""

    def test_a_second_load_keeps_an_edited_summary_and_a_retracted_claim(self):
        call_command("import_case", "--if-empty", str(DEMO_CASE), stdout=StringIO())
        editor = get_user_model().objects.create_user("ed")
        edited = Claim.objects.get(
            source__name="Elizardo Sanchez", topic__title__startswith="Release", detainee=None
        )
        edited.summary = "CCDHRN: no names, no numbers"
        edited.save()
        retracted = Claim.objects.get(source__name="Jen Psaki", stated_on="2015-01-05")
        retracted.retract(by=editor, reason="Misattributed")
        before = sorted(Claim.objects.values_list("pk", "summary", "state", "version"))

        out = StringIO()
        call_command("import_case", "--if-empty", str(DEMO_CASE), stdout=out)

        self.assertIn("was not imported, and nothing was changed", out.getvalue())
        self.assertEqual(
            sorted(Claim.objects.values_list("pk", "summary", "state", "version")), before
        )
        retracted.refresh_from_db()
        self.assertEqual(retracted.state, Claim.State.RETRACTED)

    def test_the_makefile_loads_the_demo_only_into_an_empty_database(self):
        makefile = (settings.BASE_DIR / "Makefile").read_text()
        self.assertIn("manage.py import_case --if-empty cases/cuba-2015-01.json", makefile)
