"""The editors' forms for documents, topics and detainees."""

from django.test import TestCase
from django.urls import reverse
from django.utils.http import urlencode

from claims.models import Detainee, Document, Topic
from crosscheck.versions import latest_version
from tests.editors import EditorialCast


class AccessTests(EditorialCast, TestCase):
    """Every form: anonymous visitors log in, readers are refused, editors are served."""

    def urls(self) -> list[str]:
        detainee = Detainee.objects.create(name="Unidentified prisoner 1")
        return [
            reverse("claims:document_create"),
            reverse("claims:document_edit", args=[self.article.pk]),
            reverse("claims:topic_create"),
            reverse("claims:topic_edit", args=[self.release.slug]),
            reverse("claims:detainee_create"),
            reverse("claims:detainee_edit", args=[detainee.pk]),
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
                self.assertEqual(self.client.delete(url).status_code, 405)

    def test_it_answers_404_for_what_does_not_exist(self):
        self.client.force_login(self.edna)
        for url in (
            reverse("claims:document_edit", args=[999999]),
            reverse("claims:topic_edit", args=["no-such-topic"]),
            reverse("claims:detainee_edit", args=[999999]),
        ):
            with self.subTest(url=url):
                self.assertEqual(self.client.get(url).status_code, 404)


class DocumentTests(EditorialCast, TestCase):
    def setUp(self) -> None:
        self.client.force_login(self.edna)

    def test_it_adds_a_document_and_leads_to_a_claim_citing_it(self):
        response = self.client.post(
            reverse("claims:document_create"),
            {
                "title": "State Department daily briefing, Jan 6",
                "kind": "transcript",
                "publisher": "U.S. Department of State",
                "url": "https://www.state.gov/briefing-jan-6",
                "published_on": "2015-01-06",
                "archive_url": "",
            },
        )

        query = urlencode({"document": "State Department daily briefing, Jan 6"})
        self.assertRedirects(response, f"{reverse('claims:claim_create')}?{query}")
        document = Document.objects.get(title="State Department daily briefing, Jan 6")
        self.assertEqual(document.kind, "transcript")

    def test_it_edits_a_document(self):
        url = reverse("claims:document_edit", args=[self.article.pk])
        response = self.client.post(
            url,
            {
                "title": self.article.title,
                "kind": "article",
                "publisher": "Reuters",
                "seen_version": latest_version(self.article),
            },
        )

        self.assertRedirects(response, reverse("claims:dashboard"))
        self.article.refresh_from_db()
        self.assertEqual(self.article.publisher, "Reuters")

    def test_it_refuses_links_that_are_not_web_links(self):
        response = self.client.post(
            reverse("claims:document_create"),
            {
                "title": "Bad",
                "kind": "article",
                "url": "javascript:alert(1)",
                "archive_url": "ftp://x",
            },
        )

        errors = response.context["form"].errors
        self.assertIn("Only web links", errors["url"][0])
        self.assertIn("Only web links", errors["archive_url"][0])
        self.assertContains(response, ">URL</a>: Only web links")
        self.assertFalse(Document.objects.filter(title="Bad").exists())

    def test_it_refuses_a_link_python_cannot_even_split_not_with_a_server_error(self):
        # urlsplit raises ValueError for a bracket in the host (schemathesis found it).
        response = self.client.post(
            reverse("claims:document_create"),
            {"title": "Bad", "kind": "article", "url": "https://example.org[", "archive_url": ""},
        )

        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.context["form"].errors["url"], ["Enter a valid URL."])
        self.assertFalse(Document.objects.filter(title="Bad").exists())

    def test_it_refuses_a_title_already_taken(self):
        response = self.client.post(
            reverse("claims:document_create"), {"title": self.article.title, "kind": "article"}
        )

        self.assertIn("already exists", response.context["form"].errors["title"][0])


class TopicTests(EditorialCast, TestCase):
    def setUp(self) -> None:
        self.client.force_login(self.edna)

    def data(self, **overrides) -> dict:
        data = {
            "title": "Arrests since the agreement",
            "question": "How many people have been arrested since Dec. 17?",
            "quantity_label": "people arrested",
            "quantity_min": "0",
            "quantity_max": "",
            "window_days": "14",
        }
        data.update(overrides)
        return data

    def test_it_adds_a_topic_with_a_count_and_a_window(self):
        response = self.client.post(reverse("claims:topic_create"), self.data())

        topic = Topic.objects.get(title="Arrests since the agreement")
        self.assertRedirects(response, topic.get_absolute_url())
        self.assertEqual((topic.quantity_label, topic.quantity_min), ("people arrested", 0))
        self.assertIsNone(topic.quantity_max)
        self.assertEqual(topic.window_days, 14)

    def test_it_refuses_inverted_bounds(self):
        response = self.client.post(
            reverse("claims:topic_create"), self.data(quantity_min="10", quantity_max="2")
        )

        self.assertIn(
            "is below the lower bound", response.context["form"].errors["quantity_max"][0]
        )
        self.assertContains(response, ">Highest count</a>: ")

    def test_it_refuses_a_comparison_window_over_a_century_not_with_a_server_error(self):
        # timedelta(days=6241127382732) overflowed in the conflict rules (schemathesis found it).
        response = self.client.post(
            reverse("claims:topic_create"), self.data(window_days="6241127382732")
        )

        self.assertEqual(response.status_code, 200)
        self.assertIn("36500", response.context["form"].errors["window_days"][0])
        self.assertFalse(Topic.objects.filter(title="Arrests since the agreement").exists())

    def test_it_refuses_bounds_without_saying_what_is_counted(self):
        response = self.client.post(reverse("claims:topic_create"), self.data(quantity_label=""))

        self.assertIn("Say what is counted", response.context["form"].errors["quantity_label"][0])

    def test_it_refuses_a_title_whose_address_is_the_add_page(self):
        response = self.client.post(reverse("claims:topic_create"), self.data(title="New"))

        self.assertIn("reserved", response.context["form"].errors["title"][0])

    def test_it_edits_a_topic_by_its_address(self):
        url = reverse("claims:topic_edit", args=[self.release.slug])
        question = "Has Cuba freed the 53 it promised to free?"
        data = self.data(
            title=self.release.title,
            question=question,
            quantity_label="prisoners released",
            quantity_max="53",
            window_days="7",
            seen_version=latest_version(self.release),
        )

        response = self.client.post(url, data)

        self.assertRedirects(response, self.release.get_absolute_url())
        self.release.refresh_from_db()
        self.assertEqual(self.release.question, question)


class DetaineeTests(EditorialCast, TestCase):
    def setUp(self) -> None:
        self.client.force_login(self.edna)

    def test_it_adds_a_detainee_with_aliases_separated_by_commas_or_lines(self):
        response = self.client.post(
            reverse("claims:detainee_create"),
            {
                "name": "Sonia Garro",
                "aliases": "Sonia Garro Alfonso, S. Garro\nLa Dama",
                "arrested_on": "2012-03-18",
                "charges": "",
                "place_of_detention": "",
                "topics": [self.release.pk],
            },
        )

        detainee = Detainee.objects.get(name="Sonia Garro")
        self.assertRedirects(response, detainee.get_absolute_url())
        self.assertEqual(detainee.aliases, ["Sonia Garro Alfonso", "S. Garro", "La Dama"])
        self.assertEqual(list(detainee.topics.all()), [self.release])

    def test_it_shows_the_aliases_one_per_line_for_editing(self):
        detainee = Detainee.objects.create(name="Sonia Garro", aliases=["A", "B"])

        response = self.client.get(reverse("claims:detainee_edit", args=[detainee.pk]))

        self.assertContains(response, ">\nA\nB</textarea>", html=False)

    def test_it_edits_a_detainee(self):
        detainee = Detainee.objects.create(name="Unidentified prisoner 1")
        url = reverse("claims:detainee_edit", args=[detainee.pk])

        self.client.post(
            url,
            {
                "name": "Unidentified prisoner 1",
                "aliases": "",
                "charges": "Unknown",
                "seen_version": latest_version(detainee),
            },
        )

        detainee.refresh_from_db()
        self.assertEqual(detainee.charges, "Unknown")

    def test_it_refuses_a_name_already_taken(self):
        Detainee.objects.create(name="Sonia Garro")

        response = self.client.post(reverse("claims:detainee_create"), {"name": "Sonia Garro"})

        self.assertIn("already exists", response.context["form"].errors["name"][0])

    def test_it_stores_html_as_text_and_shows_it_escaped(self):
        self.client.post(
            reverse("claims:detainee_create"),
            {"name": "<script>alert(1)</script>", "charges": "<b>x</b>"},
        )
        detainee = Detainee.objects.get(name="<script>alert(1)</script>")

        page = self.client.get(reverse("claims:detainee_edit", args=[detainee.pk])).content.decode()

        self.assertNotIn("<script>alert(1)", page)
        self.assertIn("&lt;script&gt;alert(1)&lt;/script&gt;", page)


class NoSilentOverwriteTests(EditorialCast, TestCase):
    """Two editors on one record's web form: the second save is refused, its input kept."""

    def test_a_detainee_changed_since_the_form_was_opened_is_not_overwritten(self):
        detainee = Detainee.objects.create(name="Sonia Garro")
        url = reverse("claims:detainee_edit", args=[detainee.pk])
        self.client.force_login(self.edna)
        opened = self.client.get(url).context["form"]["seen_version"].value()
        detainee.place_of_detention = "Manto Negro"
        detainee.save()  # Someone else's save, meanwhile.

        typed = {"name": "Sonia Garro", "charges": "Public disorder", "seen_version": opened}
        response = self.client.post(url, typed)

        self.assertContains(response, "Someone changed this detainee since you opened it")
        self.assertContains(response, "Manto Negro")  # What changed is named…
        self.assertContains(response, "Public disorder")  # …and what was typed is kept.
        detainee.refresh_from_db()
        self.assertEqual((detainee.place_of_detention, detainee.charges), ("Manto Negro", ""))
        again = {**typed, "seen_version": response.context["form"]["seen_version"].value()}
        self.assertEqual(self.client.post(url, again).status_code, 302)
        detainee.refresh_from_db()
        self.assertEqual(detainee.charges, "Public disorder")

    def test_the_api_gives_the_version_and_refuses_an_edit_sent_with_an_outdated_one(self):
        detainee = Detainee.objects.create(name="Sonia Garro")
        detainee.publish(by=None)
        url = reverse("api:detainee-detail", args=[detainee.pk])
        self.client.force_login(self.edna)
        seen = self.client.get(url).json()["seen_version"]
        detainee.place_of_detention = "Manto Negro"
        detainee.save()  # Someone else's save, meanwhile.

        stale = self.client.patch(
            url, {"charges": "Public disorder", "seen_version": seen}, "application/json"
        )
        # 409 Conflict, as the web form and the claims' API answer a stale edit.
        self.assertEqual(stale.status_code, 409, stale.content)
        self.assertIn("This detainee changed since version", stale.json()["detail"])
        self.assertEqual(stale.json()["current_version"], seen + 1)
        detainee.refresh_from_db()
        self.assertEqual(detainee.charges, "")
        current = self.client.get(url).json()["seen_version"]
        saved = self.client.patch(
            url, {"charges": "Public disorder", "seen_version": current}, "application/json"
        )
        self.assertEqual(saved.status_code, 200, saved.content)
        self.assertNotEqual(saved.json()["seen_version"], current)  # A new version.
        unchecked = self.client.patch(url, {"charges": "Unknown"}, "application/json")
        self.assertEqual(unchecked.status_code, 200)  # No version sent: not checked.
