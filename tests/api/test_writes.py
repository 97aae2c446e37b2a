"""
The API's writes obey the web forms' rules: the same messages, the same
moderation states, the same version check (a stale version answers 409 with
the current one), the same roles; malformed bodies are refused naming the
field; every change is in history with the API user who made it.
"""

import json

from django.conf import settings
from django.core.management import call_command
from django.test import Client, TestCase
from django.urls import reverse
from rest_framework.authtoken.models import Token

from claims.models import Claim, Conflict, Topic
from sources.models import CredibilityNote, Source
from tests.editors import EditorialCast

# Web form fields that JSON gives as numbers, or null when empty.
NUMBERS = (
    "quantity_n",
    "quantity_m",
    "version",
    "quantity_min",
    "quantity_max",
    "affiliation",
    "window_days",
)


def as_json(data: dict) -> dict:
    """Return a web form's POST data as the API takes it: numbers as numbers, empty as null."""
    body = {}
    for key, value in data.items():
        if key in NUMBERS:
            body[key] = int(value) if str(value).strip() else None
        else:
            body[key] = value
    return body


class ApiWriteCase(EditorialCast, TestCase):
    def call(self, method: str, name: str, *args, body=None, user=None, raw=None, **headers):
        """Send a JSON request to a named API URL, as `user` through their token."""
        url = reverse(f"api:{name}", args=args)
        if user is not None:
            token, _ = Token.objects.get_or_create(user=user)
            headers["HTTP_AUTHORIZATION"] = f"Token {token.key}"
        payload = raw if raw is not None else json.dumps(body if body is not None else {})
        send = getattr(self.client, method.lower())
        return send(url, payload, content_type="application/json", **headers)

    def post(self, name, *args, **kwargs):
        return self.call("POST", name, *args, **kwargs)

    def patch(self, name, *args, **kwargs):
        return self.call("PATCH", name, *args, **kwargs)

    def web_errors(self, url: str, data: dict) -> dict:
        """Return the errors the web form shows for this POST, as the API words them."""
        response = self.client.post(url, data)
        self.client.logout()
        errors = response.context["form"].errors
        return {
            "non_field_errors" if field == "__all__" else field: list(messages)
            for field, messages in errors.items()
        }


class WhoMayWriteTests(ApiWriteCase):
    def test_an_anonymous_write_answers_401_saying_how_to_authenticate(self):
        response = self.post("source-list", body={"name": "X", "kind": "media"})

        self.assertEqual(response.status_code, 401)
        self.assertEqual(response["WWW-Authenticate"], "Token")
        self.assertFalse(Source.objects.filter(name="X").exists())

    def test_a_bad_token_answers_401(self):
        response = self.post("source-list", body={}, HTTP_AUTHORIZATION="Token nope")

        self.assertEqual(response.status_code, 401)

    def test_a_reader_write_answers_403(self):
        for name, args in [
            ("source-list", ()),
            ("claim-list", ()),
            ("claim-approve", (self.some_released.pk,)),
            ("note-hide", (self.psaki_note.pk,)),
        ]:
            with self.subTest(name):
                self.assertEqual(self.post(name, *args, user=self.rita).status_code, 403)

    def test_an_editor_may_not_moderate(self):
        pending = self.draft(self.edna)
        pending.submit(by=self.edna)

        response = self.post("claim-approve", pending.pk, user=self.edna)

        self.assertEqual(response.status_code, 403)
        pending.refresh_from_db()
        self.assertEqual(pending.state, Claim.State.PENDING)

    def test_only_an_admin_restores_a_retracted_claim(self):
        self.demand.retract(by=self.mo, reason="Misquoted")

        self.assertEqual(self.post("claim-restore", self.demand.pk, user=self.mo).status_code, 403)

    def test_nothing_is_deleted_delete_answers_405(self):
        for name, pk in [
            ("claim-detail", self.some_released.pk),
            ("source-detail", self.psaki.pk),
            ("note-detail", self.psaki_note.pk),
            ("document-detail", self.article.pk),
            ("topic-detail", self.release.pk),
            ("conflict-detail", Conflict.objects.get().pk),
        ]:
            with self.subTest(name):
                self.assertEqual(self.call("DELETE", name, pk, user=self.mo).status_code, 405)
                self.assertEqual(self.call("DELETE", name, pk).status_code, 401)
        self.assertTrue(Claim.objects.filter(pk=self.some_released.pk).exists())

    def test_a_session_write_needs_the_csrf_token(self):
        client = Client(enforce_csrf_checks=True)
        client.force_login(self.edna)

        response = client.post(
            reverse("api:source-list"),
            json.dumps({"name": "New", "kind": "media"}),
            content_type="application/json",
        )

        self.assertEqual(response.status_code, 403)
        self.assertIn("CSRF", response.json()["detail"])


class MalformedBodyTests(ApiWriteCase):
    def test_a_body_that_is_not_json_answers_400_saying_so(self):
        response = self.post("source-list", user=self.edna, raw='{"name": "X",')

        self.assertEqual(response.status_code, 400)
        [message] = response.json()["non_field_errors"]
        self.assertTrue(message.startswith("The body is not valid JSON"), message)

    def test_a_body_that_is_not_an_object_answers_400(self):
        response = self.post("source-list", user=self.edna, raw='["name"]')

        self.assertEqual(response.status_code, 400)
        self.assertIn("one JSON object", response.json()["non_field_errors"][0])

    def test_a_value_of_the_wrong_type_is_named_by_its_field(self):
        response = self.post(
            "source-list",
            user=self.edna,
            body={"name": ["a list"], "kind": "media", "affiliation": "State"},
        )

        self.assertEqual(response.status_code, 400)
        self.assertEqual(
            response.json(),
            {
                "name": ["Expected text (a JSON string)."],
                "affiliation": ["Expected an id (a whole number) or null."],
            },
        )

    def test_an_unknown_field_is_refused_not_ignored(self):
        response = self.post("topic-list", user=self.edna, body={"titel": "Typo"})

        self.assertEqual(response.json(), {"titel": ["Unknown field."]})

    def test_a_number_no_column_could_hold_is_refused(self):
        response = self.post(
            "detainee-list", user=self.edna, body={"name": "Ana", "topics": [10**30]}
        )

        self.assertEqual(response.status_code, 400)
        self.assertIn("Ensure this value is at most", response.json()["topics"][0])

    def test_a_claims_quantity_must_be_a_number(self):
        body = as_json(self.claim_data(quantity="at_least", quantity_n="10"))
        body["quantity_n"] = "ten"

        response = self.post("claim-list", user=self.edna, body=body)

        self.assertEqual(response.json(), {"quantity_n": ["Expected a whole number."]})


class SameMessagesAsTheWebTests(ApiWriteCase):
    """The same bad input gets the same messages, field by field, on the web and in the API."""

    def assertSameErrors(self, web_url: str, api_name: str, data: dict, *args) -> None:
        self.client.force_login(self.mo)
        web = self.web_errors(web_url, data)
        response = self.post(api_name, *args, user=self.mo, body=as_json(data))
        self.assertTrue(web)
        self.assertEqual(response.status_code, 400)
        self.assertEqual(response.json(), web)

    def test_claims(self):
        for bad in [
            {"stance": ""},
            {"source": "Nobody at all"},
            {"quantity": "at_least", "quantity_n": "99"},
            {"quote": "   ", "document": "", "citation_url": "javascript:alert(1)"},
            {"stated_on": "2999-01-01", "as_of": "3000-01-01"},
            {"kind": "position"},
            {"quantity": "at_least", "quantity_n": str(10**12)},
        ]:
            with self.subTest(**bad):
                data = self.claim_data(**bad)
                self.assertSameErrors(reverse("claims:claim_create"), "claim-list", data)

    def test_sources(self):
        data = {
            "name": "Jen Psaki",
            "kind": "spy",
            "url": "ftp://x",
            "country": "",
            "description": "",
        }
        self.assertSameErrors(reverse("sources:source_create"), "source-list", data)

    def test_topics(self):
        data = {
            "title": "New",
            "question": "",
            "quantity_label": "",
            "quantity_min": "5",
            "quantity_max": "1",
            "window_days": "7",
        }
        self.assertSameErrors(reverse("claims:topic_create"), "topic-list", data)

    def test_documents(self):
        data = {"title": self.article.title, "kind": "article", "url": "javascript:x"}
        self.assertSameErrors(reverse("claims:document_create"), "document-list", data)

    def test_conflict_resolution(self):
        gap = Conflict.objects.get()
        data = {"outcome": "a_right", "rationale": "", "evidence_url": ""}
        self.client.force_login(self.mo)
        page = self.client.post(reverse("claims:conflict_resolve", args=[gap.pk]), data)
        web = {f: list(m) for f, m in page.context["resolve_form"].errors.items()}

        response = self.post("conflict-resolve", gap.pk, user=self.mo, body=data)

        self.assertEqual(response.status_code, 400)
        self.assertEqual(response.json(), web)
        self.assertIn("evidence_url", web)

    def test_moderation_reasons(self):
        pending = self.draft(self.edna)
        pending.submit(by=self.edna)

        response = self.post("claim-reject", pending.pk, user=self.mo, body={"reason": ""})

        self.assertEqual(response.json(), {"reason": ["This field is required."]})
        pending.refresh_from_db()
        self.assertEqual(pending.state, Claim.State.PENDING)


class ClaimLifeTests(ApiWriteCase):
    def test_a_new_claim_lands_as_a_draft_by_default(self):
        response = self.post(
            "claim-list", user=self.edna, body=as_json(self.claim_data(action=None))
        )

        self.assertEqual(response.status_code, 201, response.content)
        claim = Claim.objects.get(pk=response.json()["id"])
        self.assertEqual((claim.state, claim.created_by), (Claim.State.DRAFT, self.edna))
        self.assertEqual((claim.quantity_min, claim.quantity_max), (1, 53))
        self.assertEqual(response.json()["version"], claim.version)

    def test_submit_sends_it_for_review_as_the_web_button_does(self):
        body = as_json(self.claim_data(action="submit"))

        response = self.post("claim-list", user=self.edna, body=body)

        self.assertEqual(response.json()["state"], Claim.State.PENDING)

    def test_an_action_the_form_has_no_button_for_is_refused(self):
        response = self.post(
            "claim-list", user=self.edna, body=as_json(self.claim_data(action="save"))
        )

        self.assertEqual(response.json(), {"action": ["Choose one of: draft, submit."]})

    def test_a_source_typed_as_new_is_created_with_the_claim(self):
        data = self.claim_data(source="Raúl Castro", create_source=True, new_source_kind="official")

        response = self.post("claim-list", user=self.edna, body=as_json(data))

        self.assertEqual(response.status_code, 201, response.content)
        self.assertEqual(response.json()["source"]["name"], "Raúl Castro")

    def test_moderation_moves_it_through_the_same_states(self):
        claim = self.draft(self.edna)
        submitted = self.post("claim-submit", claim.pk, user=self.edna)
        again = self.post("claim-submit", claim.pk, user=self.edna)
        approved = self.post("claim-approve", claim.pk, user=self.mo, body={"reason": "Checked"})
        twice = self.post("claim-approve", claim.pk, user=self.mo)
        no_reason = self.post("claim-retract", claim.pk, user=self.mo, body={})
        retracted = self.post("claim-retract", claim.pk, user=self.mo, body={"reason": "Misquoted"})

        self.assertEqual(submitted.json()["state"], "pending")
        self.assertEqual(again.json()["state"], "pending")
        self.assertEqual(approved.json()["state"], "approved")
        self.assertEqual(twice.status_code, 409)
        self.assertIn("not pending", twice.json()["detail"])
        self.assertEqual(no_reason.json(), {"reason": ["This field is required."]})
        self.assertEqual(retracted.json()["state_reason"], "Misquoted")

    def test_a_draft_is_not_the_moderators_to_approve(self):
        claim = self.draft(self.edna)

        self.assertEqual(self.post("claim-approve", claim.pk, user=self.mo).status_code, 404)


class DuplicateClaimTests(ApiWriteCase):
    """A claim repeating a stored one answers 409 linking to it, as the web form warns;
    `confirm_duplicate: true` saves it, as the web form's confirmation does."""

    def setUp(self) -> None:
        # Psaki's "some released" of Jan 6, as stored, in other case and spacing.
        self.repeat = as_json(
            self.claim_data(
                quote="  they have ALREADY released some of the prisoners ",
                summary="Repeated",
                stated_on="2015-01-06",
            )
        )

    def test_it_answers_409_with_the_stored_claim_and_saves_nothing(self):
        count = Claim.objects.count()

        response = self.post("claim-list", user=self.edna, body=self.repeat)

        self.assertEqual(response.status_code, 409, response.content)
        self.assertEqual(Claim.objects.count(), count)
        body = response.json()
        self.assertIn('"confirm_duplicate": true', body["detail"])
        pk = self.some_released.pk
        self.assertEqual(
            body["duplicates"],
            [
                {
                    "id": pk,
                    "state": "approved",
                    "summary": "Some of the 53 released",
                    "url": f"{settings.SITE_URL}/claims/{pk}/",
                    "api_url": f"{settings.SITE_URL}/api/claims/{pk}/",
                }
            ],
        )
        self.assertEqual(self.client.get(body["duplicates"][0]["api_url"]).status_code, 200)

    def test_confirm_duplicate_saves_it(self):
        response = self.post(
            "claim-list", user=self.edna, body={**self.repeat, "confirm_duplicate": True}
        )

        self.assertEqual(response.status_code, 201, response.content)
        self.assertTrue(Claim.objects.filter(summary="Repeated").exists())

    def test_ones_own_draft_is_linked_to_its_edit_page(self):
        first = self.post("claim-list", user=self.edna, body=as_json(self.claim_data()))
        again = self.post("claim-list", user=self.edna, body=as_json(self.claim_data()))

        self.assertEqual(first.status_code, 201, first.content)
        self.assertEqual(again.status_code, 409)
        [stored] = again.json()["duplicates"]
        pk = first.json()["id"]
        self.assertEqual(
            (stored["id"], stored["state"], stored["url"]),
            (pk, "draft", f"{settings.SITE_URL}{reverse('claims:claim_edit', args=[pk])}"),
        )

    def test_another_editors_draft_is_not_theirs_to_see_so_no_duplicate(self):
        self.post("claim-list", user=self.eddie, body=as_json(self.claim_data()))

        response = self.post("claim-list", user=self.edna, body=as_json(self.claim_data()))

        self.assertEqual(response.status_code, 201, response.content)

    def test_another_day_is_no_duplicate(self):
        response = self.post(
            "claim-list", user=self.edna, body={**self.repeat, "stated_on": "2015-01-07"}
        )

        self.assertEqual(response.status_code, 201, response.content)

    def test_confirm_duplicate_must_be_true_or_false(self):
        response = self.post(
            "claim-list", user=self.edna, body={**self.repeat, "confirm_duplicate": "yes"}
        )

        self.assertEqual(response.json(), {"confirm_duplicate": ["Expected true or false."]})

    def test_an_edit_takes_no_confirmation(self):
        claim = self.draft(self.edna)

        response = self.patch(
            "claim-detail",
            claim.pk,
            user=self.edna,
            body={"confirm_duplicate": True, "version": claim.version},
        )

        self.assertEqual(response.json(), {"confirm_duplicate": ["Unknown field."]})

    def test_the_schema_says_so(self):
        schema = self.client.get(reverse("api:schema"), {"format": "json"}).json()
        create = schema["paths"]["/api/claims/"]["post"]
        body = schema["components"]["schemas"]["ClaimRequest"]["properties"]
        duplicate = create["responses"]["409"]["content"]["application/json"]["schema"]

        self.assertEqual(body["confirm_duplicate"]["type"], "boolean")
        self.assertEqual(duplicate, {"$ref": "#/components/schemas/DuplicateClaim"})
        for name in ("ClaimEditRequest", "PatchedClaimRequest"):
            self.assertNotIn(
                "confirm_duplicate", schema["components"]["schemas"][name]["properties"]
            )


class VersionTests(ApiWriteCase):
    """An edit names the version it started from; a stale one changes nothing."""

    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.claim = cls.draft(cls.edna)

    def test_a_patch_changes_only_what_it_sends_and_bumps_the_version(self):
        version = self.claim.version

        response = self.patch(
            "claim-detail",
            self.claim.pk,
            user=self.edna,
            body={"summary": "Fixed", "version": version},
        )

        self.assertEqual(response.status_code, 200, response.content)
        self.claim.refresh_from_db()
        self.assertEqual(
            (self.claim.summary, self.claim.quote), ("Fixed", "Some of them have been freed")
        )
        self.assertEqual(response.json()["version"], version + 1)

    def test_an_edit_without_a_version_is_refused(self):
        response = self.patch("claim-detail", self.claim.pk, user=self.edna, body={"summary": "x"})

        self.assertEqual(response.json(), {"version": ["This field is required."]})

    def test_a_stale_version_answers_409_with_the_current_one_and_what_changed(self):
        old = self.claim.version
        self.patch(
            "claim-detail", self.claim.pk, user=self.edna, body={"summary": "First", "version": old}
        )

        response = self.patch(
            "claim-detail",
            self.claim.pk,
            user=self.edna,
            body={"summary": "Second", "version": old},
        )

        self.assertEqual(response.status_code, 409)
        body = response.json()
        self.assertEqual(body["current_version"], old + 1)
        self.assertEqual(body["current"]["summary"], "First")
        self.assertEqual(
            body["changes"], [{"field": "Summary", "then": "Some freed", "now": "First"}]
        )
        self.claim.refresh_from_db()
        self.assertEqual(self.claim.summary, "First")

    def test_a_put_sends_the_whole_claim(self):
        data = as_json(self.edit_data(self.claim, summary="Whole", action="draft"))
        del data["seen_state"]

        response = self.call("PUT", "claim-detail", self.claim.pk, user=self.edna, body=data)

        self.assertEqual(response.status_code, 200, response.content)
        self.assertEqual(response.json()["summary"], "Whole")

    def test_an_editors_approved_claim_is_locked_409(self):
        self.claim.submit(by=self.edna)
        self.claim.approve(by=self.mo)

        response = self.patch(
            "claim-detail",
            self.claim.pk,
            user=self.edna,
            body={"summary": "x", "version": self.claim.version},
        )

        self.assertEqual(response.status_code, 409)
        self.assertEqual(response.json()["current_version"], self.claim.version)

    def test_another_editors_draft_answers_404(self):
        response = self.patch(
            "claim-detail", self.claim.pk, user=self.eddie, body={"version": self.claim.version}
        )

        self.assertEqual(response.status_code, 404)

    def test_a_moderator_saves_an_approved_claim_keeping_its_state(self):
        self.claim.submit(by=self.edna)
        self.claim.approve(by=self.mo)

        response = self.patch(
            "claim-detail",
            self.claim.pk,
            user=self.mo,
            body={"summary": "Tightened", "version": self.claim.version},
        )

        self.assertEqual(response.status_code, 200, response.content)
        self.assertEqual(response.json()["state"], "approved")


class OtherRecordsTests(ApiWriteCase):
    def test_sources_are_created_and_patched(self):
        made = self.post("source-list", user=self.edna, body={"name": "Granma", "kind": "media"})
        patched = self.patch(
            "source-detail", made.json()["id"], user=self.edna, body={"country": "cu"}
        )

        self.assertEqual(made.status_code, 201, made.content)
        self.assertEqual(patched.json()["country"], "CU")
        self.assertEqual(patched.json()["name"], "Granma")

    def test_a_stale_seen_version_answers_409_with_the_record_now_as_the_web_does(self):
        read = self.client.get(reverse("api:source-detail", args=[self.psaki.pk])).json()
        self.patch("source-detail", self.psaki.pk, user=self.edna, body={"country": "us"})

        response = self.patch(
            "source-detail",
            self.psaki.pk,
            user=self.edna,
            body={"country": "cu", "seen_version": read["seen_version"]},
        )

        self.assertEqual(response.status_code, 409, response.content)
        body = response.json()
        self.assertIn("changed since version", body["detail"])
        self.assertEqual(body["current"]["country"], "US")
        self.assertEqual(body["current_version"], body["current"]["seen_version"])
        self.assertNotEqual(body["current_version"], read["seen_version"])
        self.assertTrue(any(change.startswith("Country") for change in body["changes"]))
        self.psaki.refresh_from_db()
        self.assertEqual(self.psaki.country, "US")

        again = self.patch(
            "source-detail",
            self.psaki.pk,
            user=self.edna,
            body={"country": "cu", "seen_version": body["current_version"]},
        )
        self.assertEqual(again.status_code, 200, again.content)

    def test_the_schema_documents_the_stale_409_of_each_edited_record(self):
        schema = self.client.get(reverse("api:schema"), {"format": "json"}).json()
        for path in ("sources", "documents", "topics", "detainees"):
            for method in ("put", "patch"):
                answers = schema["paths"][f"/api/{path}/{{id}}/"][method]["responses"]
                self.assertIn("409", answers, (path, method))

    def test_detainees_take_aliases_and_topics_as_lists(self):
        response = self.post(
            "detainee-list",
            user=self.edna,
            body={"name": "Ana", "aliases": ["Anita", " "], "topics": [self.release.pk]},
        )

        self.assertEqual(response.status_code, 201, response.content)
        self.assertEqual(response.json()["aliases"], ["Anita"])
        self.assertEqual([t["id"] for t in response.json()["topics"]], [self.release.pk])

    def test_topics_get_their_slug(self):
        response = self.post(
            "topic-list", user=self.edna, body={"title": "Talks", "question": "Will they talk?"}
        )

        self.assertEqual(response.json()["slug"], "talks")
        self.assertTrue(Topic.objects.filter(slug="talks").exists())

    def test_notes_are_added_never_edited_and_hidden_with_a_reason(self):
        made = self.post(
            "note-list",
            user=self.edna,
            body={
                "source": self.psaki.pk,
                "aspect": "access",
                "body": "Briefs daily.",
                "written_on": "2015-01-08",
            },
        )
        pk = made.json()["id"]
        edited = self.patch("note-detail", pk, user=self.mo, body={"body": "Changed"})
        no_reason = self.post("note-hide", pk, user=self.mo, body={"reason": ""})
        hidden = self.post("note-hide", pk, user=self.mo, body={"reason": "Wrong source"})
        twice = self.post("note-hide", pk, user=self.mo, body={"reason": "Again"})
        restored = self.post("note-restore", pk, user=self.mo)

        self.assertEqual(made.status_code, 201, made.content)
        self.assertEqual(edited.status_code, 405)
        self.assertEqual(no_reason.json(), {"reason": ["This field is required."]})
        self.assertTrue(hidden.json()["hidden"])
        self.assertEqual(twice.status_code, 409)
        self.assertFalse(restored.json()["hidden"])
        self.assertEqual(CredibilityNote.objects.get(pk=pk).body, "Briefs daily.")

    def test_a_note_names_an_existing_source(self):
        response = self.post("note-list", user=self.edna, body={"source": 999999, "body": "x"})

        self.assertEqual(response.json()["source"], ["No source has this id."])

    def test_conflicts_are_resolved_and_reopened(self):
        gap = Conflict.objects.get()
        resolved = self.post(
            "conflict-resolve",
            gap.pk,
            user=self.mo,
            body={"outcome": "a_right", "rationale": "The list", "evidence_url": "https://x.org/l"},
        )
        again = self.post("conflict-dismiss", gap.pk, user=self.mo, body={"reason": "x"})
        reopened = self.post("conflict-reopen", gap.pk, user=self.mo, body={"reason": "New list"})

        self.assertEqual(resolved.json()["status"], "resolved")
        self.assertEqual(resolved.json()["claim_a"]["verdict"], "confirmed")
        self.assertEqual(again.status_code, 409)
        self.assertEqual(reopened.json()["status"], "open")


class HistoryTests(ApiWriteCase):
    def test_each_api_write_is_recorded_with_the_token_user(self):
        made = self.post("source-list", user=self.edna, body={"name": "Granma", "kind": "media"})
        claim = self.post(
            "claim-list", user=self.edna, body=as_json(self.claim_data(action="submit"))
        )
        self.post("claim-approve", claim.json()["id"], user=self.mo)

        source = Source.objects.get(pk=made.json()["id"])
        self.assertEqual(source.history.get().history_user, self.edna)
        records = Claim.objects.get(pk=claim.json()["id"]).history.order_by("history_id")
        self.assertEqual(
            [(r.state, r.history_user) for r in records],
            [("draft", self.edna), ("pending", self.edna), ("approved", self.mo)],
        )


class ApiTokenCommandTests(EditorialCast, TestCase):
    def test_it_prints_the_same_token_until_reset(self):
        from io import StringIO

        first, second, reset = StringIO(), StringIO(), StringIO()
        call_command("api_token", "edna", stdout=first)
        call_command("api_token", "edna", stdout=second)
        call_command("api_token", "edna", "--reset", stdout=reset)

        self.assertEqual(first.getvalue(), second.getvalue())
        self.assertNotEqual(first.getvalue(), reset.getvalue())
        self.assertEqual(Token.objects.get(user=self.edna).key, reset.getvalue().strip())

    def test_it_refuses_an_unknown_user(self):
        from django.core.management.base import CommandError

        with self.assertRaisesMessage(CommandError, "No user is named"):
            call_command("api_token", "ghost")
