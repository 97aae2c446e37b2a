"""
Unpublished research stays unpublished (docs/publication.md).

A source, document, topic or detainee typed into a draft is for editors and
up until an approved claim shows it, or a moderator publishes it. Each test
below probes one surface as an anonymous visitor and as a reader, and checks
that an editor still sees it.
"""

import json
from datetime import date

from django.test import TestCase, override_settings
from django.urls import reverse

from claims.models import Claim, Detainee, Document, Topic
from crosscheck import cache as page_cache
from sources.models import Source
from tests.cast import JanuaryCast
from tests.roles import RoleCast

SECRET_SOURCE = "Unnamed ministry insider"
SECRET_TOPIC = "Secret negotiations in Ottawa"
SECRET_DOCUMENT = "Leaked memo of Dec. 12"
SECRET_URL = "https://leaks.example.org/memo"
SECRET_DETAINEE = "Prisoner known only to us"


def body(response) -> str:
    """Return a response's text, streamed (the downloads) or not."""
    if response.streaming:
        return b"".join(response.streaming_content).decode()
    return response.content.decode()


class PublicationCase(RoleCast, JanuaryCast, TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.insider = Source.objects.create(name=SECRET_SOURCE, kind=Source.Kind.OFFICIAL)
        cls.ottawa = Topic.objects.create(title=SECRET_TOPIC, question="Are they talking?")
        cls.memo = Document.objects.create(title=SECRET_DOCUMENT, url=SECRET_URL)
        cls.secret_prisoner = Detainee.objects.create(name=SECRET_DETAINEE)
        cls.secret_prisoner.topics.add(cls.ottawa, cls.release)
        cls.draft = Claim.objects.create(
            source=cls.insider,
            topic=cls.ottawa,
            detainee=cls.secret_prisoner,
            kind=Claim.Kind.FACT,
            stance=Claim.Stance.AFFIRMS,
            status=Claim.Status.IMPRISONED,
            quote="He is held in Ottawa",
            summary="Held in Ottawa",
            stated_on=date(2015, 1, 6),
            document=cls.memo,
            created_by=cls.editor,
        )

    def as_public(self):
        """Yield once logged out, once as a reader."""
        for user in (None, self.reader):
            self.client.logout()
            if user is not None:
                self.client.force_login(user)
            yield user

    def assertHiddenFromReaders(self, url: str, *secrets: str) -> None:
        for user in self.as_public():
            response = self.client.get(url)
            with self.subTest(url=url, user=user):
                self.assertEqual(response.status_code, 200)
                for secret in secrets:
                    self.assertNotIn(secret, body(response))

    def assertNotFoundForReaders(self, url: str) -> None:
        for user in self.as_public():
            with self.subTest(url=url, user=user):
                self.assertEqual(self.client.get(url).status_code, 404)

    def assertShownToEditors(self, url: str, secret: str) -> None:
        self.client.force_login(self.other_editor)
        self.assertIn(secret, body(self.client.get(url)))


class ListsTests(PublicationCase):
    def test_the_sources_list_and_its_export_leave_out_a_draft_only_source(self):
        for url in (
            reverse("sources:list"),
            reverse("sources:export", args=["csv"]),
            reverse("sources:export", args=["json"]),
        ):
            self.assertHiddenFromReaders(url, SECRET_SOURCE)
        self.assertShownToEditors(reverse("sources:list"), SECRET_SOURCE)

    def test_the_home_page_leaves_out_a_draft_only_topic(self):
        self.assertHiddenFromReaders(reverse("claims:home"), SECRET_TOPIC)
        self.assertShownToEditors(reverse("claims:home"), SECRET_TOPIC)

    def test_the_detainee_lists_and_export_leave_out_a_draft_only_detainee(self):
        for url in (
            reverse("claims:detainees"),
            reverse("claims:detainee_export", args=["csv"]),
            reverse("claims:detainee_export", args=["json"]),
            reverse("claims:status_board") + f"?topic={self.release.slug}",
            reverse("claims:status_board"),
            reverse("claims:topic", args=[self.release.slug]),
            reverse("claims:topic_case", args=[self.release.slug]),
        ):
            self.assertHiddenFromReaders(url, SECRET_DETAINEE, SECRET_TOPIC)
        self.assertShownToEditors(reverse("claims:detainees"), SECRET_DETAINEE)

    def test_the_filters_offer_no_unpublished_choice(self):
        for url in (reverse("claims:list"), reverse("claims:conflicts")):
            self.assertHiddenFromReaders(url, SECRET_SOURCE, SECRET_TOPIC, SECRET_DETAINEE)


class PagesTests(PublicationCase):
    def test_the_pages_of_unpublished_objects_answer_404_to_readers(self):
        for url in (
            reverse("sources:detail", args=[self.insider.pk]),
            reverse("sources:conflicts_feed", args=[self.insider.pk]),
            reverse("claims:topic", args=[self.ottawa.slug]),
            reverse("claims:topic_conflicts_feed", args=[self.ottawa.slug]),
            reverse("claims:topic_claims_feed", args=[self.ottawa.slug]),
            reverse("claims:topic_case", args=[self.ottawa.slug]),
            reverse("claims:detainee", args=[self.secret_prisoner.pk]),
        ):
            self.assertNotFoundForReaders(url)
        self.assertShownToEditors(reverse("sources:detail", args=[self.insider.pk]), SECRET_SOURCE)
        self.assertShownToEditors(reverse("claims:topic", args=[self.ottawa.slug]), SECRET_TOPIC)

    def test_their_history_pages_answer_404_to_readers(self):
        for model, obj in (
            ("source", self.insider),
            ("topic", self.ottawa),
            ("document", self.memo),
            ("detainee", self.secret_prisoner),
        ):
            self.assertNotFoundForReaders(reverse("history", args=[model, obj.pk]))
        self.assertShownToEditors(reverse("history", args=["document", self.memo.pk]), SECRET_URL)


class ApiTests(PublicationCase):
    def test_the_api_lists_leave_out_unpublished_objects_and_the_documents_url(self):
        for name in ("source-list", "document-list", "topic-list", "detainee-list"):
            self.assertHiddenFromReaders(
                reverse(f"api:{name}"), SECRET_SOURCE, SECRET_DOCUMENT, SECRET_URL, SECRET_TOPIC
            )
        self.assertShownToEditors(reverse("api:document-list"), SECRET_URL)

    def test_the_api_answers_404_for_an_unpublished_object(self):
        for name, obj in (
            ("source-detail", self.insider),
            ("document-detail", self.memo),
            ("topic-detail", self.ottawa),
            ("detainee-detail", self.secret_prisoner),
        ):
            self.assertNotFoundForReaders(reverse(f"api:{name}", args=[obj.pk]))

    def test_an_editor_can_still_write_to_an_unpublished_object(self):
        self.client.force_login(self.other_editor)

        response = self.client.patch(
            reverse("api:document-detail", args=[self.memo.pk]),
            json.dumps({"publisher": "Ours"}),
            content_type="application/json",
        )

        self.assertEqual(response.status_code, 200)


class PublishingTests(PublicationCase):
    def test_an_approval_publishes_the_speaker_whom_it_speaks_for_and_the_rest(self):
        ministry = Source.objects.create(name="Ministry of Secrets", kind=Source.Kind.GOVERNMENT)
        self.insider.affiliation = ministry
        self.insider.save()
        self.draft.submit(by=self.editor)

        self.draft.approve(by=self.moderator)

        for obj in (self.insider, ministry, self.ottawa, self.memo, self.secret_prisoner):
            obj.refresh_from_db()
            self.assertIsNotNone(obj.published_at, obj)
        self.client.logout()
        self.assertContains(self.client.get(reverse("sources:list")), SECRET_SOURCE)
        self.assertContains(self.client.get(reverse("api:document-list")), SECRET_URL)

    def test_a_retraction_does_not_unpublish_and_a_stale_copy_cannot_either(self):
        stale = Source.objects.get(pk=self.insider.pk)
        self.draft.submit(by=self.editor)
        self.draft.approve(by=self.moderator)
        self.draft.retract(by=self.moderator, reason="Misattributed")

        stale.description = "Edited from a form loaded before the approval"
        stale.save()

        stale.refresh_from_db()
        self.assertIsNotNone(stale.published_at)

    def test_a_moderator_may_publish_an_object_no_claim_uses_on_the_record(self):
        self.ottawa.publish(by=self.moderator)

        self.client.logout()
        self.assertEqual(
            self.client.get(reverse("claims:topic", args=[self.ottawa.slug])).status_code, 200
        )
        record = self.ottawa.history.latest()
        self.assertEqual(record.history_change_reason, "Published by a moderator")
        self.assertEqual(record.history_user, self.moderator)

    def test_a_pending_or_rejected_claim_publishes_nothing(self):
        self.draft.submit(by=self.editor)
        self.draft.reject(by=self.moderator, reason="Unsourced")

        self.insider.refresh_from_db()
        self.assertIsNone(self.insider.published_at)

    def test_the_import_of_approved_rows_publishes_what_they_show(self):
        Claim.objects.filter(pk=self.draft.pk).update(state=Claim.State.APPROVED)

        Claim.objects.filter(pk=self.draft.pk).publish_what_they_use()

        self.assertTrue(Source.objects.public().filter(pk=self.insider.pk).exists())
        self.assertTrue(Document.objects.public().filter(pk=self.memo.pk).exists())


@override_settings(PAGE_CACHE_SECONDS=600)
class PageCacheTests(PublicationCase):
    def test_an_anonymous_cached_page_never_holds_what_an_editor_saw(self):
        url = reverse("sources:list")
        self.client.force_login(self.editor)
        self.assertContains(self.client.get(url), SECRET_SOURCE)
        self.client.logout()

        first = self.client.get(url)
        second = self.client.get(url)

        self.assertNotContains(first, SECRET_SOURCE)
        self.assertEqual(second[page_cache.STATUS_HEADER], "hit")
        self.assertNotContains(second, SECRET_SOURCE)


class NotesOnResearchTests(PublicationCase):
    """A credibility note names its source: on an unpublished source it is research too."""

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        from sources.models import CredibilityNote

        cls.insider_note = CredibilityNote.objects.create(
            source=cls.insider, body="Close to the negotiators"
        )

    def test_the_api_lists_no_note_on_an_unpublished_source_and_answers_404_for_one(self):
        self.assertHiddenFromReaders(reverse("api:note-list"), SECRET_SOURCE, "negotiators")
        self.assertNotFoundForReaders(reverse("api:note-detail", args=[self.insider_note.pk]))
        self.assertShownToEditors(reverse("api:note-list"), "Close to the negotiators")

    def test_filtering_notes_by_an_unpublished_source_is_refused_as_for_no_source(self):
        for user in self.as_public():
            with self.subTest(user=user):
                secret = self.client.get(reverse("api:note-list"), {"source": self.insider.pk})
                nowhere = self.client.get(reverse("api:note-list"), {"source": 999999})
                self.assertEqual(secret.status_code, nowhere.status_code)
                self.assertNotIn("negotiators", body(secret))

    def test_the_notes_history_page_answers_404_to_readers(self):
        url = reverse("history", args=["credibilitynote", self.insider_note.pk])
        self.assertNotFoundForReaders(url)
        self.assertShownToEditors(url, "Close to the negotiators")
