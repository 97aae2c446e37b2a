"""No lost updates: a save made from an outdated page is refused, in the UPDATE itself."""

import threading
import time
from datetime import date

from django.db import connection, transaction
from django.test import TestCase, TransactionTestCase
from django.urls import reverse

from claims.models import Claim, StaleClaimError, Topic
from sources.models import Source
from tests.editors import EditorialCast
from tests.roles import restore_roles


def edit_url(claim: Claim) -> str:
    return reverse("claims:claim_edit", args=[claim.pk])


class SaveCheckedTests(EditorialCast, TestCase):
    def setUp(self) -> None:
        self.claim = self.draft(self.edna)

    def test_it_saves_at_the_expected_version_and_counts_it(self):
        self.claim.summary = "First"
        self.claim.save_checked(1)

        self.claim.refresh_from_db()
        self.assertEqual((self.claim.summary, self.claim.version), ("First", 2))

    def test_it_refuses_an_outdated_version_and_writes_nothing(self):
        first = Claim.objects.get(pk=self.claim.pk)
        second = Claim.objects.get(pk=self.claim.pk)
        first.summary, second.summary = "First", "Second"
        first.save_checked(1)

        with self.assertRaises(StaleClaimError):
            second.save_checked(1)

        self.claim.refresh_from_db()
        self.assertEqual((self.claim.summary, self.claim.version), ("First", 2))

    def test_it_refuses_a_claim_that_left_the_expected_state(self):
        Claim.objects.get(pk=self.claim.pk).submit(by=self.edna)
        self.claim.summary = "Edited as a draft"

        # The submission moved the claim to version 2: even at the right
        # version, a claim no longer in the expected state is refused.
        with self.assertRaises(StaleClaimError):
            self.claim.save_checked(2, states=[Claim.State.DRAFT])

        self.claim.refresh_from_db()
        self.assertEqual((self.claim.summary, self.claim.version), ("Some freed", 2))

    def test_it_puts_the_version_in_the_update_fields(self):
        self.claim.summary = "Only the summary"
        self.claim.save_checked(1, update_fields=["summary"])

        self.claim.refresh_from_db()
        self.assertEqual((self.claim.summary, self.claim.version), ("Only the summary", 2))


class InterleavedSavesTests(EditorialCast, TestCase):
    """Two forms opened on the same version, sent one after the other."""

    def setUp(self) -> None:
        self.claim = self.draft(self.edna)
        self.client.force_login(self.edna)

    def test_it_refuses_the_second_save_shows_what_changed_and_keeps_the_first(self):
        tab_one = self.edit_data(self.claim, summary="Some released, says Psaki", quantity="all")
        tab_two = self.edit_data(self.claim, summary="Several released")

        first = self.client.post(edit_url(self.claim), tab_one)
        second = self.client.post(edit_url(self.claim), tab_two)

        self.assertEqual(first.status_code, 302)
        self.assertEqual(second.status_code, 409)
        self.assertContains(
            second, "Not saved: this claim changed since you opened it", status_code=409
        )
        changes = second.context["stale_changes"]
        self.assertIn(("Summary", "Some freed", "Some released, says Psaki"), changes)
        self.assertIn(("Quantity min", "1", "53"), changes)
        self.claim.refresh_from_db()
        self.assertEqual(self.claim.summary, "Some released, says Psaki")
        self.assertEqual(self.claim.version, 2)

    def test_it_keeps_the_refused_input_so_saving_again_is_a_choice(self):
        theirs = self.edit_data(self.claim, summary="First")
        mine = self.edit_data(self.claim, summary="Mine")
        self.client.post(edit_url(self.claim), theirs)
        refused = self.client.post(edit_url(self.claim), mine)

        form = refused.context["form"]
        self.assertEqual(form["summary"].value(), "Mine")
        self.assertEqual(form["version"].value(), "2")

        again = self.client.post(edit_url(self.claim), {**form.data.dict(), "action": "draft"})

        self.assertEqual(again.status_code, 302)
        self.claim.refresh_from_db()
        self.assertEqual((self.claim.summary, self.claim.version), ("Mine", 3))

    def test_it_refuses_an_editors_save_over_a_moderators_edit(self):
        self.claim.submit(by=self.edna)
        opened = self.edit_data(self.claim, summary="Editor's wording", action="submit")
        self.client.force_login(self.mo)
        moderated = self.client.post(
            edit_url(self.claim), self.edit_data(self.claim, summary="Moderator's", action="save")
        )
        self.client.force_login(self.edna)

        refused = self.client.post(edit_url(self.claim), opened)

        self.assertEqual(moderated.status_code, 302)
        self.assertEqual(refused.status_code, 409)
        self.assertIn(("Summary", "Some freed", "Moderator's"), refused.context["stale_changes"])
        self.claim.refresh_from_db()
        self.assertEqual(self.claim.summary, "Moderator's")

    def test_it_refuses_a_save_over_a_rejection_made_meanwhile(self):
        self.claim.submit(by=self.edna)
        opened = self.edit_data(self.claim, summary="Edited", action="draft")
        Claim.objects.get(pk=self.claim.pk).reject(by=self.mo, reason="No source link")

        refused = self.client.post(edit_url(self.claim), opened)

        self.assertEqual(refused.status_code, 409)
        self.assertIn(("State", "Pending review", "Rejected"), refused.context["stale_changes"])
        self.claim.refresh_from_db()
        self.assertEqual((self.claim.summary, self.claim.state), ("Some freed", "rejected"))

    def test_it_refuses_an_editors_save_once_the_claim_was_approved_meanwhile(self):
        self.claim.submit(by=self.edna)
        opened = self.edit_data(self.claim, summary="Too late", action="submit")
        Claim.objects.get(pk=self.claim.pk).approve(by=self.mo)

        refused = self.client.post(edit_url(self.claim), opened)

        self.assertEqual(refused.status_code, 409)
        self.assertContains(refused, "Your changes were not saved", status_code=409)
        self.claim.refresh_from_db()
        self.assertEqual(self.claim.summary, "Some freed")

    def test_it_refuses_a_form_without_its_version(self):
        data = self.edit_data(self.claim, summary="No version")
        del data["version"]

        response = self.client.post(edit_url(self.claim), data)

        self.assertEqual(response.status_code, 200)
        self.assertIn("version", response.context["form"].errors)
        self.claim.refresh_from_db()
        self.assertEqual(self.claim.summary, "Some freed")


# Two threads need two real connections and real commits: PostgreSQL only.
# SQLite's in-memory test database would refuse the second writer with
# "database table is locked" instead of making it wait; the interleaved
# requests above cover it there.
if connection.vendor == "postgresql":

    class ConcurrentSavesTests(TransactionTestCase):
        def setUp(self) -> None:
            # Not serialized_rollback: restoring rows fails after another
            # TransactionTestCase's flush made the content types anew.
            restore_roles()
            topic = Topic.objects.create(
                title="Release of the 53 prisoners",
                question="Has Cuba released the 53 prisoners, and how many?",
                quantity_label="prisoners released",
                quantity_min=0,
                quantity_max=53,
            )
            self.claim = Claim.objects.create(
                source=Source.objects.create(name="Jen Psaki", kind=Source.Kind.OFFICIAL),
                topic=topic,
                stance=Claim.Stance.AFFIRMS,
                quote="They have already released some of the prisoners",
                summary="Some freed",
                stated_on=date(2015, 1, 6),
                citation_url="https://www.state.gov/",
            )

        def test_it_lets_one_of_two_simultaneous_saves_through(self):
            first_updated, second_started = threading.Event(), threading.Event()
            outcome: dict[str, str] = {}

            def first() -> None:
                try:
                    with transaction.atomic():
                        claim = Claim.objects.get(pk=self.claim.pk)
                        claim.summary = "First"
                        claim.save_checked(1)
                        first_updated.set()
                        # Hold the row until the second has tried its UPDATE.
                        second_started.wait(5)
                        time.sleep(0.3)
                    outcome["first"] = "saved"
                finally:
                    connection.close()

            def second() -> None:
                try:
                    first_updated.wait(5)
                    claim = Claim.objects.get(pk=self.claim.pk)
                    claim.summary = "Second"
                    second_started.set()
                    try:
                        claim.save_checked(
                            1
                        )  # Waits for the first to commit, then matches nothing.
                        outcome["second"] = "saved"
                    except StaleClaimError:
                        outcome["second"] = "refused"
                finally:
                    connection.close()

            threads = [threading.Thread(target=first), threading.Thread(target=second)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(10)

            self.assertEqual(outcome, {"first": "saved", "second": "refused"})
            self.claim.refresh_from_db()
            self.assertEqual((self.claim.summary, self.claim.version), ("First", 2))
