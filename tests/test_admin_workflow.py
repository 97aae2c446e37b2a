"""The admin follows the workflow: versions checked, no direct state edits, no deleting."""

from django.contrib.auth.models import User
from django.db import transaction
from django.db.models import ProtectedError
from django.test import TestCase
from django.urls import reverse

from claims.models import Claim, Conflict
from tests.cast import JanuaryCast
from tests.roles import RoleCast


class ClaimAdminTests(RoleCast, JanuaryCast, TestCase):
    def change_url(self, claim: Claim) -> str:
        return reverse("admin:claims_claim_change", args=[claim.pk])

    def form_data(self, claim: Claim, **changes) -> dict:
        data = {
            "source": claim.source_id,
            "topic": claim.topic_id,
            "detainee": "",
            "kind": claim.kind,
            "stance": claim.stance,
            "quantity_min": claim.quantity_min if claim.quantity_min is not None else "",
            "quantity_max": claim.quantity_max if claim.quantity_max is not None else "",
            "status": "",
            "quote": claim.quote,
            "summary": claim.summary,
            "stated_on": claim.stated_on.isoformat(),
            "as_of": "",
            "document": claim.document_id or "",
            "citation_url": "",
            "language": claim.language,
            "created_by": "",
            "expected_version": claim.version,
        }
        data.update(changes)
        return data

    def test_it_refuses_to_save_over_a_change_made_since_the_form_was_opened(self):
        self.client.force_login(self.admin)
        opened = self.form_data(self.some_released, summary="The admin's wording")
        self.some_released.summary = "A moderator's wording"
        self.some_released.save_checked(self.some_released.version)

        response = self.client.post(self.change_url(self.some_released), opened)

        self.assertContains(response, "Someone changed this claim since you opened it")
        self.some_released.refresh_from_db()
        self.assertEqual(self.some_released.summary, "A moderator's wording")

    def test_it_saves_a_current_form_and_cannot_change_the_state(self):
        self.client.force_login(self.admin)
        data = self.form_data(self.some_released, summary="Corrected", state="retracted")

        response = self.client.post(self.change_url(self.some_released), data)

        self.assertEqual(response.status_code, 302)
        self.some_released.refresh_from_db()
        self.assertEqual(self.some_released.summary, "Corrected")
        self.assertEqual(self.some_released.state, Claim.State.APPROVED)

    def test_it_offers_no_delete_and_conflicts_are_read_only(self):
        self.client.force_login(self.admin)
        gap = Conflict.objects.get(claim_a=self.some_released, claim_b=self.no_information)

        changelist = self.client.get(reverse("admin:claims_claim_changelist"))
        delete = self.client.post(
            reverse("admin:claims_claim_delete", args=[self.some_released.pk]), {"post": "yes"}
        )
        conflict = self.client.post(
            reverse("admin:claims_conflict_change", args=[gap.pk]), {"status": "dismissed"}
        )

        self.assertNotContains(changelist, "delete_selected")
        self.assertEqual(delete.status_code, 403)
        self.assertEqual(conflict.status_code, 403)
        gap.refresh_from_db()
        self.assertEqual(gap.status, Conflict.Status.OPEN)


class UserAdminTests(RoleCast, JanuaryCast, TestCase):
    def test_it_deactivates_users_instead_of_deleting_them(self):
        self.client.force_login(self.admin)

        self.client.post(
            reverse("admin:auth_user_changelist"),
            {"action": "deactivate_selected", "_selected_action": [self.editor.pk]},
        )
        delete = self.client.post(
            reverse("admin:auth_user_delete", args=[self.editor.pk]), {"post": "yes"}
        )

        self.editor.refresh_from_db()
        self.assertFalse(self.editor.is_active)
        self.assertEqual(delete.status_code, 403)

    def test_deleting_a_user_with_history_is_refused_with_a_message(self):
        # Only history names her: no protected key would stop the deletion.
        self.rubio.description = "U.S. senator for Florida"
        self.rubio._history_user = self.other_editor
        self.rubio.save()

        with self.assertRaisesMessage(ProtectedError, "deactivate the user"), transaction.atomic():
            self.other_editor.delete()
        self.assertTrue(User.objects.filter(pk=self.other_editor.pk).exists())

    def test_a_user_without_history_may_still_be_deleted_by_code(self):
        stray = User.objects.create_user("stray")

        stray.delete()

        self.assertFalse(User.objects.filter(username="stray").exists())


class RecordAdminVersionTests(RoleCast, JanuaryCast, TestCase):
    """Sources, documents, topics and detainees: two admins on one record, through the admin.

    Each form is read from the admin's own change page (what a browser would
    send back, hidden version included), then two such forms are saved.
    """

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        from claims.models import Detainee

        cls.ferrer = Detainee.objects.create(name="José Daniel Ferrer")
        cls.second_admin = User.objects.create_superuser("bea", password=None)

    def opened(self, client, url: str) -> dict:
        """Return the POST data of the admin change page at `url`, as it was shown."""
        response = client.get(url)
        self.assertEqual(response.status_code, 200)
        form = response.context["adminform"].form
        data = {}
        for name, field in form.fields.items():
            value = form[name].value()
            if isinstance(value, (list, tuple)):
                data[name] = [str(v) for v in value]
            elif isinstance(value, bool):
                if value:
                    data[name] = "on"
            else:
                data[name] = "" if value is None else field.widget.format_value(value) or value
        for formset in response.context["inline_admin_formsets"]:
            management = formset.formset.management_form
            for name in management.fields:
                data[management.add_prefix(name)] = management[name].value()
            for inline in formset.formset.forms:
                for name in inline.fields:
                    value = inline[name].value()
                    if isinstance(value, bool):
                        if value:
                            data[inline.add_prefix(name)] = "on"
                    else:
                        data[inline.add_prefix(name)] = "" if value is None else value
        return data

    def two_admins(self, url: str, first: dict, second: dict):
        """Open `url` as two admins, save the first's changes, then the second's."""
        ada, bea = self.client_class(), self.client_class()
        ada.force_login(self.admin)
        bea.force_login(self.second_admin)
        ada_form, bea_form = self.opened(ada, url), self.opened(bea, url)
        self.assertIn("seen_version", ada_form)
        saved = ada.post(url, {**ada_form, **first})
        self.assertEqual(
            saved.status_code,
            302,
            getattr(saved, "context", None)
            and [f.errors for f in [saved.context["adminform"].form]],
        )
        return bea, bea.post(url, {**bea_form, **second})

    def assert_refused_keeping_input(self, response, typed: str) -> None:
        self.assertEqual(response.status_code, 200)
        self.assertContains(response, "since you opened it: nothing was saved")
        self.assertContains(response, typed)  # What the second admin typed, still in the form.

    def test_a_source_saved_meanwhile_refuses_the_second_save(self):
        url = reverse("admin:sources_source_change", args=[self.psaki.pk])
        bea, response = self.two_admins(
            url, {"name": "Jennifer Psaki"}, {"description": "Bea's careful description"}
        )
        self.assert_refused_keeping_input(response, "Bea&#x27;s careful description")
        self.assertContains(response, "Jen Psaki")  # The change is named: what it was…
        self.assertContains(response, "Jennifer Psaki")  # …and what it is now.
        self.psaki.refresh_from_db()
        self.assertEqual((self.psaki.name, self.psaki.description), ("Jennifer Psaki", ""))
        # Saved again, knowingly, from the page the refusal showed: it goes through.
        again = self.opened_after_refusal(response)
        self.assertEqual(bea.post(url, again).status_code, 302)
        self.psaki.refresh_from_db()
        self.assertEqual(self.psaki.description, "Bea's careful description")

    def opened_after_refusal(self, response) -> dict:
        form = response.context["adminform"].form
        data = dict(form.data.lists())
        return {k: v if len(v) > 1 else v[0] for k, v in data.items()}

    def test_a_document_saved_meanwhile_refuses_the_second_save(self):
        url = reverse("admin:claims_document_change", args=[self.article.pk])
        _, response = self.two_admins(
            url, {"url": "https://example.org/ada"}, {"publisher": "Bea's publisher"}
        )
        self.assert_refused_keeping_input(response, "Bea&#x27;s publisher")
        self.article.refresh_from_db()
        self.assertEqual(
            (self.article.url, self.article.publisher), ("https://example.org/ada", "")
        )

    def test_a_topic_saved_meanwhile_refuses_the_second_save(self):
        url = reverse("admin:claims_topic_change", args=[self.release.pk])
        _, response = self.two_admins(
            url, {"question": "Ada's question?"}, {"question": "Bea's question?"}
        )
        self.assert_refused_keeping_input(response, "Bea&#x27;s question?")
        self.release.refresh_from_db()
        self.assertEqual(self.release.question, "Ada's question?")

    def test_a_detainee_saved_meanwhile_refuses_the_second_save(self):
        url = reverse("admin:claims_detainee_change", args=[self.ferrer.pk])
        _, response = self.two_admins(
            url, {"place_of_detention": "Mar Verde"}, {"charges": "Bea's charges"}
        )
        self.assert_refused_keeping_input(response, "Bea&#x27;s charges")
        self.ferrer.refresh_from_db()
        self.assertEqual((self.ferrer.place_of_detention, self.ferrer.charges), ("Mar Verde", ""))

    def test_a_form_without_its_version_is_refused(self):
        url = reverse("admin:claims_detainee_change", args=[self.ferrer.pk])
        self.client.force_login(self.admin)
        data = self.opened(self.client, url)
        del data["seen_version"]
        response = self.client.post(url, {**data, "charges": "Typed"})
        self.assert_refused_keeping_input(response, "Typed")
