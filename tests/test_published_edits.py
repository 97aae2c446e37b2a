"""
Direct edits to published facts are shown where readers meet them
(crosscheck/edits.py, docs/publication.md): a document retitled or moved, a
detainee renamed, "… on … by …", on the claim pages, the lists, the
detainee's page and the status board; from the history, in a constant number
of queries.
"""

from datetime import date

from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from claims.models import Claim, Detainee, Document, Topic
from sources.models import Source
from tests.cast import JanuaryCast
from tests.roles import RoleCast


class PublishedEditTests(RoleCast, JanuaryCast, TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.ferrer = Detainee.objects.create(name="Jose Ferrer")
        cls.ferrer.topics.add(cls.release)
        cls.freed = cls.claim(
            cls.sanchez,
            detainee=cls.ferrer,
            stance=Claim.Stance.AFFIRMS,
            status=Claim.Status.RELEASED,
            quote="Ferrer is free",
            summary="Ferrer released",
        )

    def edit(self, obj, **fields):
        for name, value in fields.items():
            setattr(obj, name, value)
        obj._history_user = self.editor
        obj.save()

    def test_a_document_retitled_and_moved_is_shown_on_the_claim_pages_citing_it(self):
        old_title = self.article.title
        self.edit(self.article, title="Cuba releases some prisoners", url="https://example.org/b")

        page = self.client.get(self.some_released.get_absolute_url())

        self.assertContains(page, f"Document retitled from “{old_title.replace("'", '&#x27;')}”")
        self.assertContains(page, "by Ed Itor.")
        self.assertContains(page, "address changed from none to")
        self.assertContains(page, "https://example.org/b")
        cards = self.client.get(self.ferrer.get_absolute_url())
        self.assertContains(cards, "Document retitled from")  # On the cards citing it too.

    def test_a_retitled_document_is_shown_on_the_topic_and_source_pages_cards_citing_it(self):
        self.edit(self.article, title="Cuba releases some prisoners")

        for page in (self.release.get_absolute_url(), self.psaki.get_absolute_url()):
            with self.subTest(page=page):
                self.assertContains(self.client.get(page), "Document retitled from")

    def test_a_detainee_renamed_is_shown_on_their_page_claim_pages_and_the_board(self):
        self.edit(self.ferrer, name="José Daniel Ferrer")

        for url in [
            self.ferrer.get_absolute_url(),
            self.freed.get_absolute_url(),
            reverse("claims:list"),
            reverse("claims:status_board") + f"?topic={self.release.slug}",
        ]:
            with self.subTest(url=url):
                page = self.client.get(url)
                self.assertContains(page, "Renamed from “Jose Ferrer”")
                self.assertContains(page, "by Ed Itor.")

    def test_edits_before_publication_are_research_and_not_announced(self):
        draft = Detainee.objects.create(name="Unnamed 1")
        draft.topics.add(self.release)
        self.edit(draft, name="Unnamed prisoner 1")
        self.claim(
            self.sanchez, detainee=draft, stance=Claim.Stance.AFFIRMS,
            status=Claim.Status.IMPRISONED, quote="Still held", summary="Held",
        )  # fmt: skip

        page = self.client.get(draft.get_absolute_url())

        self.assertEqual(page.status_code, 200)
        self.assertNotContains(page, "Renamed from")

    def test_the_editor_is_named_by_display_name_never_by_login(self):
        self.edit(self.ferrer, name="Ferrer", _history_user=None)
        self.ferrer._history_user = self.other_editor  # No display name.
        self.ferrer.name = "J. D. Ferrer"
        self.ferrer.save()

        page = self.client.get(self.ferrer.get_absolute_url())

        self.assertContains(page, "Renamed from “Ferrer” on")
        self.assertContains(page, "by a newsroom member.")
        self.assertNotContains(page, self.other_editor.username + ".")


class PublishedEditQueryCountTests(TestCase):
    """The lists read the edits of all their rows at once: as many queries for 5 rows as for 50."""

    @classmethod
    def setUpTestData(cls) -> None:
        cls.topic = Topic.objects.create(title="Arrests", question="Who is held?")
        cls.source = Source.objects.create(name="Monitor", kind=Source.Kind.MONITOR)
        cls.n = 0

    def add(self, count: int) -> None:
        for _ in range(count):
            PublishedEditQueryCountTests.n += 1
            n = self.n
            document = Document.objects.create(title=f"Report {n}")
            detainee = Detainee.objects.create(name=f"Prisoner {n}")
            detainee.topics.add(self.topic)
            claim = Claim(
                source=self.source, topic=self.topic, detainee=detainee, document=document,
                kind=Claim.Kind.FACT, stance=Claim.Stance.AFFIRMS, status=Claim.Status.IMPRISONED,
                quote=f"Held {n}", summary=f"Held {n}", stated_on=date(2015, 1, 1),
            )  # fmt: skip
            claim.save()
            claim.approve(by=None)
            document.title, detainee.name = f"Report {n}, corrected", f"Prisoner {n} (renamed)"
            document.save()
            detainee.save()

    def queries(self, url: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            page = self.client.get(url)
        self.assertContains(page, "Renamed from")
        return len(captured)

    def test_the_lists_run_as_many_queries_for_more_rows(self):
        board = reverse("claims:status_board") + f"?topic={self.topic.slug}"
        urls = [reverse("claims:list"), board]
        self.add(3)
        few = [self.queries(url) for url in urls]
        self.add(40)
        self.assertEqual([self.queries(url) for url in urls], few)
