from django.test import TestCase
from django.urls import reverse

from sources.models import CredibilityNote
from tests.cast import JanuaryCast
from tests.roles import RoleCast


class NoteHidingTests(RoleCast, JanuaryCast, TestCase):
    def setUp(self) -> None:
        self.client.force_login(self.moderator)

    def hide(self, note=None, reason="Posted on the wrong source"):
        note = note or self.psaki_note
        return self.client.post(reverse("claims:note_hide", args=[note.pk]), {"reason": reason})

    def restore(self, note=None):
        note = note or self.psaki_note
        return self.client.post(reverse("claims:note_restore", args=[note.pk]))

    def notes_page(self):
        return self.client.get(reverse("claims:source_notes", args=[self.psaki.pk]))

    def test_it_hides_a_note_with_a_reason_and_who(self):
        response = self.hide()

        self.assertRedirects(
            response,
            reverse("claims:source_notes", args=[self.psaki.pk]),
            fetch_redirect_response=False,
        )
        self.psaki_note.refresh_from_db()
        self.assertTrue(self.psaki_note.hidden)
        self.assertEqual(self.psaki_note.hidden_reason, "Posted on the wrong source")
        self.assertEqual(self.psaki_note.hidden_by, self.moderator)
        self.assertEqual(self.psaki_note.history.first().history_user, self.moderator)

    def test_a_hidden_note_leaves_the_pages_readers_see(self):
        self.hide()
        self.client.logout()

        self.assertNotContains(self.client.get(self.psaki.get_absolute_url()), self.psaki_note.body)
        self.assertNotContains(
            self.client.get(self.some_released.get_absolute_url()), self.psaki_note.body
        )

    def test_it_needs_a_reason(self):
        response = self.hide(reason=" ")

        self.assertEqual(response.status_code, 400)
        self.assertContains(response, "This field is required.", status_code=400)
        self.psaki_note.refresh_from_db()
        self.assertFalse(self.psaki_note.hidden)

    def test_hiding_a_hidden_note_changes_nothing(self):
        self.hide()
        records = self.psaki_note.history.count()

        response = self.hide(reason="Again")

        self.assertEqual(response.status_code, 302)
        self.assertEqual(self.psaki_note.history.count(), records)
        self.psaki_note.refresh_from_db()
        self.assertEqual(self.psaki_note.hidden_reason, "Posted on the wrong source")

    def test_it_restores_a_hidden_note_and_history_keeps_the_hiding(self):
        self.hide()

        self.restore()

        self.psaki_note.refresh_from_db()
        self.assertFalse(self.psaki_note.hidden)
        reasons = list(self.psaki_note.history.values_list("history_change_reason", flat=True))
        self.assertEqual(reasons[:2], ["Restored", "Hidden: Posted on the wrong source"])

    def test_restoring_a_visible_note_changes_nothing(self):
        records = self.psaki_note.history.count()

        self.restore()

        self.assertEqual(self.psaki_note.history.count(), records)

    def test_the_notes_page_lists_hidden_notes_with_the_reason(self):
        self.hide()

        response = self.notes_page()

        self.assertContains(response, self.psaki_note.body)
        self.assertContains(response, "Posted on the wrong source")
        self.assertContains(response, "Show it again")

    def test_the_notes_page_says_what_to_do_when_there_are_none(self):
        response = self.client.get(reverse("claims:source_notes", args=[self.rubio.pk]))

        self.assertContains(response, "No credibility notes on Marco Rubio yet.")

    def test_the_notes_page_escapes_note_bodies(self):
        CredibilityNote.objects.create(source=self.psaki, body="<img src=x onerror=alert(1)>")

        response = self.notes_page()

        self.assertNotContains(response, "<img src=x")
        self.assertContains(response, "&lt;img src=x onerror=alert(1)&gt;")

    def test_the_source_page_links_moderators_to_the_notes_page(self):
        notes_url = reverse("claims:source_notes", args=[self.psaki.pk])

        self.assertContains(self.client.get(self.psaki.get_absolute_url()), notes_url)
        self.client.force_login(self.editor)
        self.assertNotContains(self.client.get(self.psaki.get_absolute_url()), notes_url)

    def test_an_editor_can_neither_hide_nor_restore(self):
        self.client.force_login(self.editor)

        self.assertEqual(self.hide().status_code, 403)
        self.assertEqual(self.restore().status_code, 403)
        self.assertEqual(self.notes_page().status_code, 403)

    def test_anonymous_visitors_are_sent_to_log_in(self):
        self.client.logout()

        response = self.hide()

        self.assertEqual(response.status_code, 302)
        self.assertTrue(response["Location"].startswith(reverse("login")))
        self.psaki_note.refresh_from_db()
        self.assertFalse(self.psaki_note.hidden)

    def test_its_actions_refuse_get(self):
        for name in ["claims:note_hide", "claims:note_restore"]:
            with self.subTest(name):
                response = self.client.get(reverse(name, args=[self.psaki_note.pk]))
                self.assertEqual(response.status_code, 405)


class NotesPageQueryCountTests(RoleCast, JanuaryCast, TestCase):
    def add_notes(self, n: int) -> None:
        CredibilityNote.objects.bulk_create(
            CredibilityNote(
                source=self.psaki,
                body=f"Note {i}",
                created_by=self.editor,
                hidden=i % 2 == 0,
                hidden_reason="Wrong" if i % 2 == 0 else "",
                hidden_by=self.moderator if i % 2 == 0 else None,
            )
            for i in range(n)
        )

    def test_it_runs_a_constant_number_of_queries_whatever_the_number_of_notes(self):
        # 1. session, 2. user, 3.-4. the user's and the groups' permissions,
        # 5. the source, 6. its notes, hidden or not, joined to their author
        # and to who hid them, 7. the header's unread notifications (watching/).
        self.client.force_login(self.moderator)
        url = reverse("claims:source_notes", args=[self.psaki.pk])
        self.add_notes(9)
        with self.assertNumQueries(7):
            response = self.client.get(url)
        self.assertEqual(len(response.context["items"]), 10)

        self.add_notes(190)
        with self.assertNumQueries(7):
            response = self.client.get(url)
        self.assertEqual(len(response.context["items"]), 200)
