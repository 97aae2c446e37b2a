from datetime import date

from django.test import TestCase, override_settings
from django.urls import reverse

from claims.models import Claim, Detainee, Document, Topic
from sources.models import CredibilityNote, Source
from tests.cast import JanuaryCast
from tests.roles import RoleCast


def history_url(model: str, obj) -> str:
    return reverse("history", args=[model, obj.pk])


class ClaimHistoryTests(RoleCast, JanuaryCast, TestCase):
    """After edits, a submission, an approval, a retraction and a restore, nothing is lost."""

    SUMMARIES = ["First draft", "Second draft: <b>bold</b> claim", "Final wording"]

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.story = Claim(
            source=cls.ccdhrn,
            topic=cls.release,
            kind=Claim.Kind.FACT,
            stance=Claim.Stance.NO_INFORMATION,
            quote="No list has been published",
            summary=cls.SUMMARIES[0],
            stated_on=date(2015, 1, 8),
            created_by=cls.editor,
        )
        cls.story._history_user = cls.editor
        cls.story.save()
        for summary in cls.SUMMARIES[1:]:
            cls.story.summary = summary
            cls.story._history_user = cls.editor
            cls.story.save()
        cls.story.source = cls.sanchez
        cls.story._history_user = cls.editor
        cls.story.save()
        cls.story.submit(by=cls.editor)
        cls.story.approve(by=cls.moderator, reason="Checked")
        cls.story.retract(by=cls.moderator, reason="Quote not verbatim")
        cls.story.restore(by=cls.admin, reason="Verified against the recording")

    def get(self, **params):
        return self.client.get(history_url("claim", self.story), params)

    def test_it_keeps_every_save_as_a_record(self):
        # Moderators see the whole history, drafts included.
        self.client.force_login(self.moderator)
        # Created, 2 edits, a change of speaker, submitted, approved,
        # retracted, restored.
        self.assertEqual(self.story.history.count(), 8)

        entries = self.get().context["entries"]

        self.assertEqual(len(entries), 8)
        self.assertEqual([e.change_type for e in entries], ["Changed"] * 7 + ["Created"])

    def test_each_state_can_be_shown(self):
        # Moderators see the whole history, drafts included.
        self.client.force_login(self.moderator)
        entries = list(reversed(self.get().context["entries"]))

        snapshots = [dict(e.snapshot) for e in entries]
        self.assertEqual([s["summary"] for s in snapshots[:3]], self.SUMMARIES)
        self.assertEqual(
            [s["state"] for s in snapshots],
            ["Draft"] * 4 + ["Pending review", "Approved", "Retracted", "Approved"],
        )
        self.assertEqual(snapshots[2]["source"], self.ccdhrn.name)
        self.assertEqual(snapshots[3]["source"], "Elizardo Sanchez")
        self.assertEqual(snapshots[6]["state reason"], "Quote not verbatim")

    def test_it_shows_what_changed_with_field_names_old_and_new_values(self):
        # Moderators see the whole history, drafts included.
        self.client.force_login(self.moderator)
        entries = list(reversed(self.get().context["entries"]))

        first_edit = [(c.label, c.old, c.new) for c in entries[1].changes]
        self.assertEqual(first_edit, [("summary", self.SUMMARIES[0], self.SUMMARIES[1])])
        speaker = [(c.label, c.old, c.new) for c in entries[3].changes]
        self.assertEqual(speaker, [("source", self.ccdhrn.name, "Elizardo Sanchez")])
        retraction = {c.label: (c.old, c.new) for c in entries[6].changes}
        self.assertEqual(retraction["state"], ("Approved", "Retracted"))
        self.assertEqual(retraction["state reason"], ("Checked", "Quote not verbatim"))

    def test_it_shows_who_when_and_why(self):
        self.client.force_login(self.reader)

        response = self.get()

        entries = response.context["entries"]
        self.assertEqual(entries[0].author, "ada")
        self.assertEqual(entries[0].reason, "Approved: Verified against the recording")
        self.assertEqual(entries[1].author, "Mona Derator")
        self.assertEqual(entries[1].reason, "Retracted: Quote not verbatim")
        self.assertContains(response, "Reason: Retracted: Quote not verbatim")

    def test_it_does_not_name_staff_to_anonymous_readers(self):
        response = self.get()

        self.assertNotContains(response, "Mona Derator")
        self.assertContains(response, "by a newsroom member")

    def test_it_escapes_the_values(self):
        self.client.force_login(self.moderator)

        response = self.get()

        self.assertNotContains(response, "<b>bold</b>")
        self.assertContains(response, "&lt;b&gt;bold&lt;/b&gt;")

    def test_readers_see_its_history_from_its_first_approval_on(self):
        self.client.force_login(self.reader)

        entries = list(reversed(self.get().context["entries"]))

        self.assertEqual(
            [dict(e.snapshot)["state"] for e in entries], ["Approved", "Retracted", "Approved"]
        )
        self.assertEqual({dict(e.snapshot)["summary"] for e in entries}, {"Final wording"})
        # The oldest shown is not diffed against a draft.
        self.assertEqual(entries[0].changes, [])

    def test_readers_never_see_its_drafts_or_the_rejection_before_its_approval(self):
        claim = Claim.objects.create(
            source=self.rubio,
            topic=self.release,
            kind=Claim.Kind.POSITION,
            quote="Cancel the talks",
            summary="Half-checked wording",
            stated_on=date(2015, 1, 8),
            created_by=self.editor,
        )
        claim.submit(by=self.editor)
        claim.reject(by=self.moderator, reason="Rubio never said that on the record")
        claim.summary = "Talks should wait"
        claim._history_user = self.editor
        claim.save()
        claim.submit(by=self.editor)
        claim.approve(by=self.moderator)

        for user in (None, self.reader, self.other_editor):
            self.client.logout()
            if user:
                self.client.force_login(user)
            response = self.client.get(history_url("claim", claim))
            self.assertContains(response, "Talks should wait")
            self.assertNotContains(response, "Half-checked wording")
            self.assertNotContains(response, "never said that")
        self.client.force_login(self.moderator)
        self.assertContains(self.client.get(history_url("claim", claim)), "never said that")

    def test_it_is_linked_from_the_claim_page(self):
        response = self.client.get(self.story.get_absolute_url())

        self.assertContains(response, history_url("claim", self.story))

    @override_settings(READING_REQUIRES_LOGIN=True)
    def test_it_asks_for_a_login_when_reading_requires_one(self):
        response = self.get()

        self.assertEqual(response.status_code, 302)
        self.assertTrue(response["Location"].startswith(reverse("login")))


class HistoryVisibilityTests(RoleCast, JanuaryCast, TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.draft = Claim.objects.create(
            source=cls.rubio,
            topic=cls.release,
            kind=Claim.Kind.POSITION,
            quote="A draft",
            summary="Still a draft",
            stated_on=date(2015, 1, 6),
            created_by=cls.editor,
        )
        cls.pending = Claim.objects.create(
            source=cls.rubio,
            topic=cls.release,
            kind=Claim.Kind.POSITION,
            quote="Pending",
            summary="Waiting",
            stated_on=date(2015, 1, 6),
            created_by=cls.editor,
            state=Claim.State.PENDING,
        )
        cls.hidden_note = CredibilityNote.objects.create(source=cls.psaki, body="Wrong")
        cls.hidden_note.hide(by=cls.moderator, reason="Wrong source")

    def status(self, user, model: str, obj) -> int:
        if user:
            self.client.force_login(user)
        else:
            self.client.logout()
        return self.client.get(history_url(model, obj)).status_code

    def test_readers_see_the_history_of_public_objects(self):
        for model, obj in [
            ("source", self.psaki),
            ("credibilitynote", self.psaki_note),
            ("document", self.article),
            ("topic", self.release),
            ("claim", self.some_released),
            ("conflict", self.some_released.conflicts_as_a.get()),
        ]:
            with self.subTest(model):
                self.assertEqual(self.status(None, model, obj), 200)
                self.assertEqual(self.status(self.reader, model, obj), 200)

    def test_a_pending_claims_history_is_for_its_editor_and_moderators(self):
        self.assertEqual(self.status(None, "claim", self.pending), 404)
        self.assertEqual(self.status(self.reader, "claim", self.pending), 404)
        self.assertEqual(self.status(self.other_editor, "claim", self.pending), 404)
        self.assertEqual(self.status(self.editor, "claim", self.pending), 200)
        self.assertEqual(self.status(self.moderator, "claim", self.pending), 200)

    def test_a_drafts_history_is_for_its_editor_only(self):
        self.assertEqual(self.status(self.other_editor, "claim", self.draft), 404)
        self.assertEqual(self.status(self.moderator, "claim", self.draft), 404)
        self.assertEqual(self.status(self.editor, "claim", self.draft), 200)
        self.assertEqual(self.status(self.admin, "claim", self.draft), 200)

    def test_a_hidden_notes_history_is_for_those_who_may_hide_notes(self):
        self.assertEqual(self.status(None, "credibilitynote", self.hidden_note), 404)
        self.assertEqual(self.status(self.editor, "credibilitynote", self.hidden_note), 404)
        self.assertEqual(self.status(self.moderator, "credibilitynote", self.hidden_note), 200)

    def test_it_answers_404_for_an_unknown_kind_or_object(self):
        self.assertEqual(self.client.get("/history/user/1/").status_code, 404)
        self.assertEqual(self.client.get("/history/claim/999999/").status_code, 404)

    def test_it_refuses_post(self):
        response = self.client.post(history_url("source", self.psaki))

        self.assertEqual(response.status_code, 405)


class HistoryOfEachKindTests(RoleCast, JanuaryCast, TestCase):
    def setUp(self) -> None:
        self.client.force_login(self.moderator)

    def test_a_source_shows_its_renamed_affiliation_by_name(self):
        self.psaki.affiliation = self.ccdhrn
        self.psaki.save()

        [change] = self.client.get(history_url("source", self.psaki)).context["entries"][0].changes

        self.assertEqual(
            (change.label, change.old, change.new),
            ("affiliation", "U.S. Department of State", self.ccdhrn.name),
        )

    def test_a_detainee_shows_the_topics_it_gained(self):
        detainee = Detainee.objects.create(name="Unidentified prisoner 1")
        talks = Topic.objects.create(title="Talks", question="Will talks go on?")
        detainee.topics.add(self.release)
        detainee.name = "Prisoner 1"
        detainee.save()
        detainee.topics.add(talks)
        detainee.save()

        entries = self.client.get(history_url("detainee", detainee)).context["entries"]

        # Created, topic added, renamed, topic added, saved again.
        changes = [[(c.label, c.old, c.new) for c in e.changes] for e in reversed(entries)]
        self.assertEqual(
            changes,
            [
                [],
                [("topics", "—", self.release.title)],
                [("name", "Unidentified prisoner 1", "Prisoner 1")],
                [("topics", self.release.title, f"{self.release.title}, {talks.title}")],
                [],
            ],
        )
        self.assertEqual(dict(entries[0].snapshot)["name"], "Prisoner 1")

    def test_a_document_a_topic_and_a_conflict_have_a_history_page(self):
        self.release.question = "Has Cuba freed the 53, and how many?"
        self.release.save()
        document = Document.objects.create(title="Briefing", url="https://example.org/b")
        conflict = self.some_released.conflicts_as_a.get()

        for model, obj, title in [
            ("document", document, "History of document"),
            ("topic", self.release, "History of topic"),
            ("conflict", conflict, "History of conflict"),
        ]:
            with self.subTest(model):
                self.assertContains(self.client.get(history_url(model, obj)), title)

    def test_the_source_and_conflict_pages_link_to_their_history(self):
        conflict = self.some_released.conflicts_as_a.get()

        self.assertContains(
            self.client.get(self.psaki.get_absolute_url()), history_url("source", self.psaki)
        )
        self.assertContains(
            self.client.get(conflict.get_absolute_url()), history_url("conflict", conflict)
        )


class HistoryQueryCountTests(RoleCast, JanuaryCast, TestCase):
    def edit(self, source: Source, n: int) -> None:
        for i in range(n):
            source.description = f"Edit {i}"
            source.affiliation = self.state_dept if i % 2 else self.ccdhrn
            source._history_user = self.editor if i % 2 else self.moderator
            source.save()

    def test_it_runs_a_constant_number_of_queries_whatever_the_number_of_records(self):
        # 1. the source, 2. count of its records, 3. a page of them (plus
        # the one before) joined to their users, 4. the sources its
        # affiliation pointed to, by name, 5. session, 6. user, 7.-8. the
        # user's and the groups' permissions (for the header's links),
        # 9. the date a reader's history starts at (the record published),
        # 10. the header's unread notifications (watching/).
        self.client.force_login(self.reader)
        self.edit(self.psaki, 9)
        with self.assertNumQueries(10):
            response = self.client.get(history_url("source", self.psaki))
        self.assertEqual(len(response.context["entries"]), 10)

        self.edit(self.psaki, 190)
        with self.assertNumQueries(10):
            response = self.client.get(history_url("source", self.psaki))
        self.assertEqual(len(response.context["entries"]), 50)

    def test_its_pages_lose_no_record(self):
        self.edit(self.psaki, 120)
        url = history_url("source", self.psaki)

        seen = []
        for page in (1, 2, 3):
            seen += [
                e.record.history_id for e in self.client.get(url, {"page": page}).context["entries"]
            ]

        self.assertEqual(seen, list(self.psaki.history.values_list("history_id", flat=True)))
        last = self.client.get(url, {"page": 3}).context["entries"]
        self.assertEqual(last[-1].change_type, "Created")
