from datetime import date

from django.test import TestCase, override_settings
from django.urls import reverse

from sources.models import CredibilityNote
from tests.cast import JanuaryCast


class SourcePageTests(JanuaryCast, TestCase):
    def get(self, source):
        return self.client.get(reverse("sources:detail", args=[source.pk]))

    def test_it_shows_the_affiliation_and_the_affiliated_sources(self):
        self.assertContains(self.get(self.psaki), "U.S. Department of State")
        self.assertContains(self.get(self.state_dept), "Jen Psaki")

    def test_it_shows_notes_newest_first_and_never_hidden_ones(self):
        newer = CredibilityNote.objects.create(
            source=self.psaki, body="Gave no number on Jan 6.", written_on=date(2015, 1, 8)
        )
        hidden = CredibilityNote.objects.create(source=self.psaki, body="Wrong note.")
        hidden.hide(by=None, reason="Posted on the wrong source")

        notes = list(self.get(self.psaki).context["notes"])

        self.assertEqual(notes, [newer, self.psaki_note])

    def test_it_lists_the_sources_claims_and_conflicts(self):
        response = self.get(self.psaki)

        self.assertEqual(set(response.context["claims"]), {self.monday, self.some_released})
        self.assertEqual(response.context["open_conflict_count"], 1)

    def test_it_keeps_judgement_apart_from_record(self):
        response = self.get(self.psaki)

        self.assertContains(response, "(editors’ judgement)")
        self.assertContains(response, "(the app’s arithmetic)")

    @override_settings(READING_REQUIRES_LOGIN=True)
    def test_it_asks_for_a_login_when_reading_requires_one(self):
        response = self.get(self.psaki)

        self.assertEqual(response.status_code, 302)
        self.assertIn("login", response["Location"])
