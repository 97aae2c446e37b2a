"""The new-claim page: who may use it, saving drafts and submissions, inline creation, bad input."""

from datetime import date, timedelta

from django.test import TestCase
from django.urls import reverse

from claims.models import Claim, Document
from sources.models import Source
from tests.editors import EditorialCast

URL = reverse("claims:claim_create")


class AccessTests(EditorialCast, TestCase):
    def test_it_sends_anonymous_visitors_to_log_in(self):
        self.assertSendsToLogin(self.client.get(URL), URL)
        self.assertSendsToLogin(self.client.post(URL, self.claim_data()), URL)

    def test_it_refuses_a_reader(self):
        self.client.force_login(self.rita)

        self.assertEqual(self.client.get(URL).status_code, 403)
        self.assertEqual(self.client.post(URL, self.claim_data()).status_code, 403)

    def test_it_refuses_a_user_without_a_role(self):
        self.client.force_login(self.nobody)

        self.assertEqual(self.client.get(URL).status_code, 403)

    def test_it_refuses_other_methods(self):
        self.client.force_login(self.edna)

        self.assertEqual(self.client.put(URL).status_code, 405)

    def test_it_shows_the_form_to_an_editor_with_suggestions(self):
        self.client.force_login(self.edna)

        response = self.client.get(URL)

        self.assertContains(response, "<title>New claim · Crosscheck</title>", html=False)
        self.assertContains(response, '<option value="Jen Psaki">', html=False)
        self.assertContains(response, 'list="source-names"', html=False)
        self.assertContains(response, "Preview conflicts")
        self.assertContains(response, "Save draft")
        self.assertContains(response, "Submit for review")

    def test_it_fills_the_document_from_the_address(self):
        self.client.force_login(self.edna)

        response = self.client.get(URL, {"document": self.article.title})

        self.assertEqual(response.context["form"]["document"].value(), self.article.title)


class SavingTests(EditorialCast, TestCase):
    def setUp(self) -> None:
        self.client.force_login(self.edna)

    def test_it_saves_a_draft_owned_by_its_editor_and_redirects_to_it(self):
        response = self.client.post(URL, self.claim_data(action="draft"))

        claim = Claim.objects.get(summary="More of the 53 released")
        self.assertRedirects(response, reverse("claims:claim_edit", args=[claim.pk]))
        self.assertEqual(claim.state, Claim.State.DRAFT)
        self.assertEqual(claim.created_by, self.edna)
        self.assertEqual((claim.quantity_min, claim.quantity_max), (1, 53))
        self.assertEqual(claim.version, 1)

    def test_it_submits_a_claim_for_review(self):
        response = self.client.post(URL, self.claim_data(action="submit"))

        self.assertRedirects(response, reverse("claims:dashboard"))
        claim = Claim.objects.get(summary="More of the 53 released")
        self.assertEqual(claim.state, Claim.State.PENDING)
        self.assertEqual(claim.state_changed_by, self.edna)

    def test_it_keeps_a_pending_claim_out_of_detection(self):
        before = (
            self.some_released.conflicts_as_a.count() + self.some_released.conflicts_as_b.count()
        )

        self.client.post(URL, self.claim_data(action="submit", stance="denies", quantity=""))

        claim = Claim.objects.get(summary="More of the 53 released")
        self.assertFalse(claim.conflicts_as_a.exists() or claim.conflicts_as_b.exists())
        after = (
            self.some_released.conflicts_as_a.count() + self.some_released.conflicts_as_b.count()
        )
        self.assertEqual(before, after)

    def test_it_saves_nothing_on_preview(self):
        response = self.client.post(URL, self.claim_data(action="preview"))

        self.assertEqual(response.status_code, 200)
        self.assertFalse(Claim.objects.filter(summary="More of the 53 released").exists())

    def test_it_treats_an_unknown_action_as_a_preview(self):
        response = self.client.post(URL, self.claim_data(action="approve"))

        self.assertEqual(response.status_code, 200)
        self.assertFalse(Claim.objects.filter(summary="More of the 53 released").exists())

    def test_it_refuses_a_moderators_save_changes_on_a_new_claim(self):
        self.client.force_login(self.mo)

        response = self.client.post(URL, self.claim_data(action="save"))

        self.assertEqual(response.status_code, 200)
        self.assertFalse(Claim.objects.filter(summary="More of the 53 released").exists())

    def test_it_accepts_a_citation_link_without_a_document(self):
        self.client.post(
            URL, self.claim_data(document="", citation_url="https://www.state.gov/briefing")
        )

        claim = Claim.objects.get(summary="More of the 53 released")
        self.assertIsNone(claim.document)
        self.assertEqual(claim.citation_url, "https://www.state.gov/briefing")


class InlineCreationTests(EditorialCast, TestCase):
    def setUp(self) -> None:
        self.client.force_login(self.edna)

    def data(self, **overrides) -> dict:
        fields = {
            "source": "Ben Rhodes",
            "create_source": "on",
            "new_source_kind": "official",
            "new_source_affiliation": "U.S. Department of State",
            "document": "White House briefing, Jan 8",
            "create_document": "on",
            "new_document_kind": "transcript",
            "new_document_url": "https://www.whitehouse.gov/briefing",
        }
        return self.claim_data(**{**fields, **overrides})

    def test_it_creates_the_source_and_document_with_the_claim(self):
        response = self.client.post(URL, self.data())

        self.assertEqual(response.status_code, 302)
        claim = Claim.objects.get(summary="More of the 53 released")
        self.assertEqual(claim.source.name, "Ben Rhodes")
        self.assertEqual(claim.source.kind, Source.Kind.OFFICIAL)
        self.assertEqual(claim.source.affiliation, self.state_dept)
        self.assertEqual(claim.document.title, "White House briefing, Jan 8")
        self.assertEqual(claim.document.url, "https://www.whitehouse.gov/briefing")

    def test_it_creates_nothing_when_the_claim_is_refused(self):
        sources, documents = Source.objects.count(), Document.objects.count()

        response = self.client.post(URL, self.data(quote=""))

        self.assertEqual(response.status_code, 200)
        self.assertEqual((Source.objects.count(), Document.objects.count()), (sources, documents))
        self.assertFalse(Claim.objects.filter(summary="More of the 53 released").exists())

    def test_it_creates_nothing_when_the_claim_fails_to_save(self):
        sources, documents = Source.objects.count(), Document.objects.count()

        def fail(*args, **kwargs):
            raise RuntimeError("the database went away")

        original = Claim.submit
        Claim.submit = fail
        try:
            with self.assertRaises(RuntimeError):
                self.client.post(URL, self.data(action="submit"))
        finally:
            Claim.submit = original

        self.assertEqual((Source.objects.count(), Document.objects.count()), (sources, documents))
        self.assertFalse(Claim.objects.filter(summary="More of the 53 released").exists())

    def test_it_refuses_a_new_document_link_that_is_not_a_web_link(self):
        response = self.client.post(URL, self.data(new_document_url="javascript:alert(1)"))

        self.assertIn("Only web links", response.context["form"].errors["new_document_url"][0])
        self.assertFalse(Source.objects.filter(name="Ben Rhodes").exists())


class BadInputTests(EditorialCast, TestCase):
    """Each bad input re-renders the page with a message naming the field, and writes nothing."""

    CASES = [
        ({"stated_on": (date.today() + timedelta(days=2)).isoformat()}, "Said on", "in the future"),
        ({"as_of": "2015-01-10"}, "About the situation on", "cannot be about a day after"),
        ({"quantity": "between", "quantity_n": "9", "quantity_m": "2"}, "How many", "is below"),
        ({"quantity": "exactly", "quantity_n": "54"}, "How many", "outside the topic's range"),
        ({"kind": "position", "quantity": ""}, "Stance", "takes no stance"),
        ({"quantity": "", "status": "exiled"}, "Status", "A status is reported about a detainee"),
        ({"citation_url": "javascript:alert(1)"}, "Citation URL", "Only web links"),
        ({"citation_url": "ftp://example.org/a"}, "Citation URL", "Only web links"),
        ({"document": "", "citation_url": ""}, "Citation URL", "Give a citation"),
        ({"quote": ""}, "Quote", "cannot be empty"),
        ({"quote": "x" * 100_000}, "Quote", "the limit is 5000"),
        ({"source": "Nobody We Know"}, "Source", "No source is named"),
    ]

    def test_it_names_the_field_and_writes_nothing(self):
        self.client.force_login(self.edna)
        count = Claim.objects.count()
        for overrides, label, message in self.CASES:
            with self.subTest(label=label, message=message):
                response = self.client.post(URL, self.claim_data(action="submit", **overrides))

                self.assertEqual(response.status_code, 200)
                self.assertContains(response, "Nothing was saved")
                summary = response.content.decode().split('id="error-summary-title"')[1]
                summary = summary.split("</div>")[0]
                self.assertIn(f">{label}</a>: ", summary)
                self.assertIn(message, summary.replace("&#x27;", "'"))
                self.assertEqual(Claim.objects.count(), count)


class EscapingTests(EditorialCast, TestCase):
    SCRIPT = "<script>alert('x')</script><b>bold</b>"

    def test_it_stores_html_as_text_and_shows_it_escaped(self):
        self.client.force_login(self.edna)
        data = self.claim_data(
            source=f"Source {self.SCRIPT}",
            create_source="on",
            new_source_kind="other",
            document=f"Document {self.SCRIPT}",
            create_document="on",
            new_document_publisher=f"Publisher {self.SCRIPT}",
            quote=f"Quote {self.SCRIPT}",
            summary=f"Summary {self.SCRIPT}",
            language="en",
        )

        self.client.post(URL, data)

        claim = Claim.objects.get(summary=f"Summary {self.SCRIPT}")
        self.assertEqual(claim.quote, f"Quote {self.SCRIPT}")
        self.assertEqual(claim.source.name, f"Source {self.SCRIPT}")
        self.assertEqual(claim.document.publisher, f"Publisher {self.SCRIPT}")
        for url in (reverse("claims:claim_edit", args=[claim.pk]), reverse("claims:dashboard")):
            with self.subTest(url=url):
                page = self.client.get(url).content.decode()
                self.assertNotIn("<script>alert", page)
                self.assertNotIn("<b>bold</b>", page)
                self.assertIn("&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;", page)

    def test_it_escapes_what_it_echoes_in_error_messages(self):
        self.client.force_login(self.edna)

        response = self.client.post(URL, self.claim_data(source=self.SCRIPT))

        self.assertNotIn("<script>alert", response.content.decode())
        self.assertContains(response, "&lt;script&gt;")


class ReplayTests(EditorialCast, TestCase):
    def test_it_adds_one_claim_when_the_same_form_is_sent_twice(self):
        self.client.force_login(self.edna)
        token = self.client.get(URL).context["form"]["form_token"].value()
        data = self.claim_data(action="submit", form_token=token)

        first = self.client.post(URL, data)
        second = self.client.post(URL, data, follow=True)

        claim = Claim.objects.get(summary="More of the 53 released")
        self.assertRedirects(first, reverse("claims:dashboard"))
        self.assertRedirects(second, reverse("claims:claim_edit", args=[claim.pk]))
        self.assertContains(second, "This form was already saved")
        self.assertEqual(claim.history.filter(state=Claim.State.PENDING).count(), 1)

    def test_it_gives_each_form_its_own_token(self):
        self.client.force_login(self.edna)

        tokens = {self.client.get(URL).context["form"]["form_token"].value() for _ in range(2)}

        self.assertEqual(len(tokens), 2)


class DuplicateClaimTests(EditorialCast, TestCase):
    """A claim identical to a stored one warns and links to it; the editor may still confirm."""

    def setUp(self) -> None:
        self.client.force_login(self.edna)
        # As stored: Psaki's "some released" of Jan 6, in the demo's words.
        self.repeat = self.claim_data(
            quote="  they have ALREADY released some of the prisoners ",
            summary="Repeated",
            stated_on="2015-01-06",
        )

    def test_it_warns_and_links_to_the_stored_claim_instead_of_saving(self):
        count = Claim.objects.count()

        response = self.client.post(URL, self.repeat)

        self.assertEqual(response.status_code, 200)
        self.assertEqual(Claim.objects.count(), count)
        self.assertContains(response, "Not saved yet: this claim is already recorded")
        self.assertContains(response, f'<a href="{self.some_released.get_absolute_url()}">claim #')
        self.assertContains(response, 'name="confirm_duplicate" value="1"')
        # What was typed is kept.
        self.assertContains(response, "they have ALREADY released some of the prisoners")

    def test_the_editor_may_confirm_it_is_meant(self):
        response = self.client.post(URL, {**self.repeat, "confirm_duplicate": "1"})

        self.assertEqual(response.status_code, 302)
        self.assertTrue(Claim.objects.filter(summary="Repeated").exists())

    def test_another_day_or_quote_is_no_duplicate(self):
        self.client.post(URL, {**self.repeat, "stated_on": "2015-01-07"})
        self.client.post(URL, {**self.repeat, "quote": "Some were freed", "summary": "Other"})

        self.assertTrue(Claim.objects.filter(summary="Repeated").exists())
        self.assertTrue(Claim.objects.filter(summary="Other").exists())


class SessionEndedMidEditTests(EditorialCast, TestCase):
    """A form sent after the session ended comes back, as typed, after logging in again."""

    PASSWORD = "a long enough test password"

    def setUp(self) -> None:
        self.edna.set_password(self.PASSWORD)
        self.edna.save()

    def log_in(self, next_url: str):
        return self.client.post(
            f"{reverse('login')}?next={next_url}",
            {"username": "edna", "password": self.PASSWORD},
            REMOTE_ADDR="203.0.113.9",
        )

    def test_the_editor_returns_to_the_form_with_what_they_typed_and_nothing_is_saved(self):
        typed = self.claim_data(summary="Typed before the session ended", action="submit")

        response = self.client.post(URL, typed)  # logged out meanwhile

        self.assertRedirects(
            response, f"{reverse('login')}?next={URL}", fetch_redirect_response=False
        )
        self.assertFalse(Claim.objects.filter(summary=typed["summary"]).exists())

        self.assertRedirects(self.log_in(URL), URL, fetch_redirect_response=False)
        page = self.client.get(URL)

        self.assertEqual(page.status_code, 200)
        self.assertTrue(page.context["form"].is_bound)
        self.assertContains(page, 'value="Typed before the session ended"')
        self.assertContains(page, "check it and save")
        # Never submitted by itself: the editor reviews it and presses a button.
        self.assertFalse(Claim.objects.filter(summary=typed["summary"]).exists())
        # Used once: the next visit is a blank form.
        self.assertFalse(self.client.get(URL).context["form"].is_bound)

    def test_an_edit_comes_back_on_its_own_page_only(self):
        draft = self.draft(self.edna, summary="First words")
        edit_url = reverse("claims:claim_edit", args=[draft.pk])
        self.client.post(edit_url, self.edit_data(draft, summary="Second thoughts"))

        self.log_in(edit_url)
        self.assertFalse(self.client.get(URL).context["form"].is_bound)
        # The other page took nothing: the kept form was for the edit page and stays for it.
        page = self.client.get(edit_url)

        self.assertContains(page, 'value="Second thoughts"')
        draft.refresh_from_db()
        self.assertEqual(draft.summary, "First words")
