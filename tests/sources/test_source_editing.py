"""The editors' forms for sources and credibility notes."""

from django.test import TestCase
from django.urls import NoReverseMatch, reverse

from crosscheck.versions import latest_version
from sources.models import CredibilityNote, Source
from tests.editors import EditorialCast


class AccessTests(EditorialCast, TestCase):
    def urls(self) -> list[str]:
        return [
            reverse("sources:source_create"),
            reverse("sources:source_edit", args=[self.psaki.pk]),
            reverse("sources:note_create", args=[self.psaki.pk]),
        ]

    def test_it_sends_anonymous_visitors_to_log_in(self):
        for url in self.urls():
            with self.subTest(url=url):
                self.assertSendsToLogin(self.client.get(url), url)
                self.assertSendsToLogin(self.client.post(url), url)

    def test_it_refuses_a_reader(self):
        self.client.force_login(self.rita)
        for url in self.urls():
            with self.subTest(url=url):
                self.assertEqual(self.client.get(url).status_code, 403)
                self.assertEqual(self.client.post(url).status_code, 403)

    def test_it_serves_an_editor_and_refuses_other_methods(self):
        self.client.force_login(self.edna)
        for url in self.urls():
            with self.subTest(url=url):
                self.assertEqual(self.client.get(url).status_code, 200)
                self.assertEqual(self.client.put(url).status_code, 405)

    def test_it_answers_404_for_a_source_that_does_not_exist(self):
        self.client.force_login(self.edna)

        self.assertEqual(
            self.client.get(reverse("sources:source_edit", args=[999999])).status_code, 404
        )
        self.assertEqual(
            self.client.get(reverse("sources:note_create", args=[999999])).status_code, 404
        )


class SourceTests(EditorialCast, TestCase):
    def setUp(self) -> None:
        self.client.force_login(self.edna)

    def test_it_adds_a_source_with_its_affiliation(self):
        response = self.client.post(
            reverse("sources:source_create"),
            {
                "name": "Ben Rhodes",
                "kind": "official",
                "affiliation": self.state_dept.pk,
                "country": "us",
                "url": "https://www.whitehouse.gov/",
                "description": "Deputy national security adviser.",
            },
        )

        source = Source.objects.get(name="Ben Rhodes")
        self.assertRedirects(response, source.get_absolute_url())
        self.assertEqual((source.affiliation, source.country), (self.state_dept, "US"))

    def test_it_edits_a_source(self):
        url = reverse("sources:source_edit", args=[self.rubio.pk])

        response = self.client.post(
            url,
            {
                "name": "Marco Rubio",
                "kind": "legislator",
                "country": "US",
                "seen_version": latest_version(self.rubio),
            },
        )

        self.assertRedirects(response, self.rubio.get_absolute_url())
        self.rubio.refresh_from_db()
        self.assertEqual(self.rubio.country, "US")

    def test_it_does_not_offer_a_source_as_its_own_affiliation(self):
        response = self.client.get(reverse("sources:source_edit", args=[self.psaki.pk]))

        self.assertNotIn(self.psaki, response.context["form"].fields["affiliation"].queryset)

    def test_it_refuses_an_affiliation_loop(self):
        url = reverse("sources:source_edit", args=[self.state_dept.pk])

        response = self.client.post(
            url,
            {
                "name": self.state_dept.name,
                "kind": "government",
                "affiliation": self.psaki.pk,
                "seen_version": latest_version(self.state_dept),
            },
        )

        self.assertIn("even indirectly", response.context["form"].errors["affiliation"][0])
        self.assertContains(response, ">Speaks for</a>: ")
        self.state_dept.refresh_from_db()
        self.assertIsNone(self.state_dept.affiliation)

    def test_it_refuses_a_website_that_is_not_a_web_link(self):
        response = self.client.post(
            reverse("sources:source_create"),
            {"name": "X", "kind": "other", "url": "javascript:alert(document.cookie)"},
        )

        self.assertIn("Only web links", response.context["form"].errors["url"][0])
        self.assertFalse(Source.objects.filter(name="X").exists())

    def test_it_refuses_a_name_already_taken(self):
        response = self.client.post(
            reverse("sources:source_create"), {"name": "Jen Psaki", "kind": "official"}
        )

        self.assertIn("already exists", response.context["form"].errors["name"][0])

    def test_it_stores_html_as_text_and_shows_it_escaped(self):
        name = "<script>alert(1)</script>"
        self.client.post(
            reverse("sources:source_create"),
            {"name": name, "kind": "other", "description": "<img src=x onerror=alert(1)>"},
        )
        source = Source.objects.get(name=name)

        page = self.client.get(source.get_absolute_url()).content.decode()

        self.assertNotIn("<script>alert(1)", page)
        self.assertNotIn("<img src=x", page)
        self.assertIn("&lt;script&gt;alert(1)&lt;/script&gt;", page)


class NoteTests(EditorialCast, TestCase):
    def setUp(self) -> None:
        self.client.force_login(self.edna)
        self.url = reverse("sources:note_create", args=[self.psaki.pk])

    def test_it_says_that_notes_are_never_edited(self):
        response = self.client.get(self.url)

        self.assertContains(response, "Notes are never edited once saved")
        self.assertContains(response, self.psaki_note.body)

    def test_it_has_no_page_to_edit_a_note(self):
        with self.assertRaises(NoReverseMatch):
            reverse("sources:note_edit", args=[self.psaki_note.pk])

    def test_it_adds_a_signed_note_by_its_editor(self):
        response = self.client.post(
            self.url,
            {
                "aspect": "interest",
                "body": "A party to the talks: has reason to present progress.",
                "signed_by": "Edna, desk editor",
                "written_on": "2015-01-08",
            },
        )

        self.assertRedirects(response, self.psaki.get_absolute_url())
        note = CredibilityNote.objects.get(body__startswith="A party to the talks")
        self.assertEqual((note.source, note.created_by), (self.psaki, self.edna))
        self.assertEqual(note.aspect, "interest")

    def test_it_refuses_an_empty_note(self):
        response = self.client.post(
            self.url, {"aspect": "general", "body": "", "written_on": "2015-01-08"}
        )

        self.assertIn("body", response.context["form"].errors)
        self.assertContains(response, ">Note</a>: ")
        self.assertEqual(self.psaki.notes.count(), 1)
