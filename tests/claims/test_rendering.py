"""
Rendered cards are kept by the data they show (claims/rendering.py, `{% card %}`): a page
drawn from kept cards is byte for byte the page rendered afresh, for a reader and for a
moderator, in the same queries; after every kind of write the next page shows the change,
because the changed rows make another key, with nothing to invalidate.
"""

import re
from datetime import date

from django.db import connection
from django.template import engines
from django.test import TestCase, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from claims import rendering
from claims.models import Claim, Conflict, Detainee
from sources.models import CredibilityNote
from tests.cast import JanuaryCast, publish_everything
from tests.roles import RoleCast

# A form's one-time tokens differ on every render, cached or not.
TOKENS = re.compile(rb'name="(csrfmiddlewaretoken|submission)" value="[^"]*"')


class CardCacheTests(RoleCast, JanuaryCast, TestCase):
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
        cls.held = cls.claim(
            cls.psaki,
            detainee=cls.ferrer,
            stance=Claim.Stance.AFFIRMS,
            status=Claim.Status.IMPRISONED,
            quote="Ferrer is still held",
            summary="Ferrer held",
        )
        publish_everything()

    def setUp(self) -> None:
        rendering.cards().clear()
        rendering._refused.clear()

    def pages(self) -> list[str]:
        topic = self.release.slug
        return [
            reverse("claims:home"),
            reverse("claims:list"),
            reverse("claims:list") + "?q=released",
            reverse("claims:conflicts"),
            reverse("claims:conflicts") + "?status=all",
            reverse("claims:conflicts") + f"?topic={topic}",
            self.release.get_absolute_url(),
            self.psaki.get_absolute_url(),
            self.state_dept.get_absolute_url(),
            self.ferrer.get_absolute_url(),
            reverse("claims:status_board") + f"?topic={topic}",
            reverse("claims:detainees"),
        ]

    def get(self, url: str, user=None) -> bytes:
        if user is None:
            self.client.logout()
        else:
            self.client.force_login(user)
        response = self.client.get(url)
        self.assertEqual(response.status_code, 200, url)
        return TOKENS.sub(b"TOKEN", response.content)

    def fresh(self, url: str, user=None) -> bytes:
        with override_settings(RENDER_CACHE_MB=0):
            return self.get(url, user)

    def assert_pages_fresh(self, user=None, urls=None) -> dict[str, bytes]:
        """Each page, drawn from kept cards, equals the page rendered afresh."""
        shown = {}
        for url in urls or self.pages():
            with self.subTest(url=url, user=user):
                shown[url] = self.get(url, user)
                self.assertEqual(shown[url].decode(), self.fresh(url, user).decode())
        return shown

    # The same HTML ------------------------------------------------------------

    def test_every_list_page_from_kept_cards_is_the_page_rendered_afresh(self):
        for user in (None, self.moderator, self.editor):
            for url in self.pages():
                with self.subTest(url=url, user=user):
                    fresh = self.fresh(url, user)
                    store = rendering.cards()
                    first = self.get(url, user)
                    hits = store.hits
                    second = self.get(url, user)
                    self.assertEqual(first.decode(), fresh.decode())
                    self.assertEqual(second.decode(), fresh.decode())
                    self.assertGreater(store.hits, hits, "the second drawing uses kept cards")
        self.assertEqual(rendering._refused, set(), "no card ran a query of its own")

    def test_kept_cards_cost_the_same_queries_as_rendering_them(self):
        for user in (None, self.moderator):
            for url in self.pages():
                with self.subTest(url=url, user=user):
                    self.get(url, user)  # Fills the store.
                    with CaptureQueriesContext(connection) as kept:
                        self.get(url, user)
                    with (
                        override_settings(RENDER_CACHE_MB=0),
                        CaptureQueriesContext(connection) as fresh,
                    ):
                        self.get(url, user)
                    self.assertEqual(len(kept), len(fresh))

    def test_a_reader_and_a_moderator_never_share_a_kept_card(self):
        url = reverse("claims:list")
        self.get(url)
        anonymous = len(rendering.cards().entries)
        self.get(url, self.moderator)
        self.assertEqual(len(rendering.cards().entries), 2 * anonymous)
        self.get(url, self.reader)  # Another permission set: other entries again.
        self.assertEqual(len(rendering.cards().entries), 3 * anonymous)

    # Every kind of write shows on the next page --------------------------------

    def assert_write_shows(self, write, text: str, url: str) -> None:
        """After `write`, every page equals its fresh render and `url` shows `text`."""
        # Every kind of card, once: the home page's conflicts are the topic page's.
        urls = [u for u in self.pages() if u != reverse("claims:home")]
        for user in (None, self.moderator):
            for page in urls:
                self.get(page, user)  # Every page's cards are kept.
        self.assertNotIn(text.encode(), self.get(url))
        kept = len(rendering.cards().entries)
        write()
        for user in (None, self.moderator):
            shown = self.assert_pages_fresh(user, urls)
        self.assertIn(text.encode(), shown[url])
        self.assertGreater(len(rendering.cards().entries), kept, "changed cards were redrawn")

    def edit(self, obj, **fields) -> None:
        for name, value in fields.items():
            setattr(obj, name, value)
        obj._history_user = self.editor
        obj.save()

    def test_a_claim_edited(self):
        self.assert_write_shows(
            lambda: self.edit(self.freed, summary="Ferrer walked free"),
            "Ferrer walked free",
            reverse("claims:list"),
        )

    def test_a_claim_changed_by_a_bulk_update_that_sends_no_signal(self):
        self.assert_write_shows(
            lambda: Claim.objects.filter(pk=self.held.pk).update(summary="Ferrer in Combinado"),
            "Ferrer in Combinado",
            self.ferrer.get_absolute_url(),
        )

    def test_a_claim_approved_opens_a_conflict_on_cards_already_kept(self):
        def approve():
            claim = Claim(
                source=self.rubio, topic=self.release, kind=Claim.Kind.FACT,
                stance=Claim.Stance.DENIES, quantity_min=1, quote="None were freed",
                summary="None freed", stated_on=date(2015, 1, 6), document=self.article,
            )  # fmt: skip
            claim.full_clean()
            claim.save()
            claim.approve(by=self.moderator)

        self.assert_write_shows(approve, "None freed", reverse("claims:list"))
        self.assertIn(b"In open conflicts with 2 claims", self.get(reverse("claims:list")))

    def test_a_conflict_resolved(self):
        conflict = Conflict.objects.get(claim_a__in=[self.freed, self.held])
        self.assert_write_shows(
            lambda: conflict.resolve(
                by=self.moderator, outcome=Conflict.Outcome.A_RIGHT, rationale="Seen at home."
            ),
            "Seen at home.",
            reverse("claims:conflicts") + "?status=all",
        )
        self.assertNotIn(b"standing-open", self.get(self.ferrer.get_absolute_url()))

    def test_a_conflict_dismissed(self):
        conflict = Conflict.objects.get(claim_a__in=[self.freed, self.held])
        self.assert_write_shows(
            lambda: conflict.dismiss(by=self.moderator, reason="Two different men."),
            "Two different men.",
            reverse("claims:conflicts") + "?status=all",
        )

    def test_a_source_renamed(self):
        self.assert_write_shows(
            lambda: self.edit(self.sanchez, name="Elizardo Sánchez Santa Cruz"),
            "Elizardo Sánchez Santa Cruz",
            reverse("claims:conflicts"),
        )

    def test_a_note_added(self):
        self.assert_write_shows(
            lambda: CredibilityNote.objects.create(
                source=self.psaki,
                body="Briefed from Washington.",
                written_on=date(2015, 1, 8),
                signed_by="Desk editor",
            ),
            "Briefed from Washington.",
            reverse("claims:list"),
        )

    def test_a_note_hidden(self):
        def hide():
            CredibilityNote.objects.filter(pk=self.sanchez_note.pk).update(
                hidden=True, hidden_reason="Wrong source."
            )

        self.assert_write_shows(
            hide, "No credibility note on Elizardo Sanchez yet.", reverse("claims:list")
        )

    def test_a_detainee_renamed(self):
        self.assert_write_shows(
            lambda: self.edit(self.ferrer, name="José Daniel Ferrer"),
            "Renamed from “Jose Ferrer”",
            reverse("claims:status_board") + f"?topic={self.release.slug}",
        )

    def test_a_document_moved_and_retitled(self):
        self.assert_write_shows(
            lambda: self.edit(self.article, title="Cuba frees some", url="https://example.org/b"),
            "address changed from none to",
            self.ferrer.get_absolute_url(),
        )

    def test_the_editor_who_made_an_edit_changing_their_name(self):
        self.edit(self.ferrer, name="José Daniel Ferrer")
        self.assert_write_shows(
            lambda: self.edit(self.editor, first_name="Edwina"),
            "by Edwina Itor.",
            self.ferrer.get_absolute_url(),
        )

    def test_a_topic_retitled(self):
        self.assert_write_shows(
            lambda: self.edit(self.release, title="Release of the 53 political prisoners"),
            "Release of the 53 political prisoners",
            reverse("claims:conflicts"),
        )

    # What is never kept ----------------------------------------------------------

    def test_a_card_with_a_form_token_is_never_kept(self):
        engine = engines["django"].engine
        cluster = engine.get_template("claims/_conflict_cluster.html")
        self.assertIsNone(rendering.reads(cluster, engine).names)
        self.assertIsNotNone(
            rendering.reads(engine.get_template("claims/_claim_row.html"), engine).names
        )

    def test_a_card_whose_rendering_runs_a_query_is_rendered_afresh_every_time(self):
        template = engines["django"].from_string(
            '{% load cards %}{% card "claims/_stance.html" %}{{ claim.topic.title }}'
        )
        # The partial reads `claim.topic` (value_display), loaded lazily: data not in the key.
        for _ in range(2):
            claim = Claim.objects.get(pk=self.freed.pk)
            claim.quantity_min, claim.status = 3, ""
            with CaptureQueriesContext(connection) as queries:
                html = template.render({"claim": claim})
            self.assertIn("3 prisoners released", html)
            self.assertEqual(len(queries), 1)
        self.assertEqual(len(rendering._refused), 1)
        self.assertEqual(len(rendering.cards().entries), 0)

    def test_a_card_shown_with_an_unevaluated_queryset_is_rendered_afresh(self):
        with self.assertRaises(rendering.Uncacheable):
            rendering.state(Claim.objects.all())
        template = engines["django"].from_string('{% load cards %}{% card "claims/_stance.html" %}')
        template.render({"claim": self.freed, "value": Claim.objects.all()})
        self.assertEqual(len(rendering.cards().entries), 0)

    @override_settings(RENDER_CACHE_MB=0)
    def test_no_card_is_kept_when_the_store_is_off(self):
        self.get(reverse("claims:list"))
        self.assertIsNone(rendering.cards())
