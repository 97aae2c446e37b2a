"""
The API of watching (api/watching.py): one's own watches and notifications, for the
logged-in user only (token or session); another user's rows are 404.
"""

from __future__ import annotations

from django.test import TestCase
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token

from claims.models import Topic
from tests.cast import JanuaryCast
from tests.roles import RoleCast
from watching.models import Notification, Watch


class WatchingApiTests(RoleCast, JanuaryCast, TestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        cls.secret = Topic.objects.create(title="Ottawa talks", question="Talking?")

    def notify(self, user) -> Notification:
        return Notification.objects.create(
            user=user,
            event=Notification.Event.CLAIM_APPROVED,
            claim=self.some_released,
            topic=self.release,
            created_at=timezone.now(),
        )

    def watch(self, kind="topic", target=None, **extra):
        body = {"kind": kind, "target": self.release.pk if target is None else target, **extra}
        return self.client.post(reverse("api:watch-list"), body, content_type="application/json")

    def post(self, url):
        return self.client.post(url, content_type="application/json")

    def test_a_reader_watches_lists_and_stops_watching_a_topic(self):
        self.client.force_login(self.reader)
        created = self.watch()
        self.assertEqual(created.status_code, 201)
        self.assertEqual(created.json()["kind"], "topic")
        self.assertEqual(created.json()["target"]["name"], self.release.title)
        self.assertEqual(self.watch().status_code, 200, "watching twice is the same watch")
        listed = self.client.get(reverse("api:watch-list")).json()["results"]
        self.assertEqual([w["id"] for w in listed], [created.json()["id"]])

        url = reverse("api:watch-detail", args=[created.json()["id"]])
        self.assertEqual(self.client.delete(url).status_code, 204)
        self.assertEqual(self.client.get(url).status_code, 404)
        self.assertEqual(self.client.get(reverse("api:watch-list")).json()["results"], [])
        # Nothing deleted: the row is stopped, and its history says so.
        row = Watch.objects.get(pk=created.json()["id"])
        self.assertIsNotNone(row.stopped_at)
        self.assertEqual(row.history.count(), 2)
        self.assertEqual(row.history.first().history_user, self.reader)
        self.assertEqual(self.watch().status_code, 201, "watching again restarts it")
        self.assertIsNone(Watch.objects.get(pk=row.pk).stopped_at)

    def test_one_user_cannot_see_or_stop_anothers_watch(self):
        self.client.force_login(self.reader)
        watch_id = self.watch().json()["id"]
        self.client.force_login(self.editor)
        url = reverse("api:watch-detail", args=[watch_id])
        self.assertEqual(self.client.get(url).status_code, 404)
        self.assertEqual(self.client.delete(url).status_code, 404)
        self.assertEqual(self.client.get(reverse("api:watch-list")).json()["results"], [])
        self.assertIsNone(Watch.objects.get(pk=watch_id).stopped_at)

    def test_what_a_user_may_not_see_cannot_be_watched(self):
        self.client.force_login(self.reader)
        self.assertEqual(self.watch(target=self.secret.pk).status_code, 404)
        self.client.force_login(self.editor)  # Editors see unpublished research.
        self.assertEqual(self.watch(target=self.secret.pk).status_code, 201)

    def test_a_body_is_checked(self):
        self.client.force_login(self.reader)
        self.assertEqual(
            self.watch(kind="claim").json(), {"kind": ['"claim" is not a valid choice.']}
        )
        self.assertEqual(self.watch(colour="red").json(), {"colour": ["Unknown field."]})
        self.assertEqual(self.watch(target=0).status_code, 400)

    def test_anonymous_calls_answer_401_and_a_token_is_enough(self):
        for url in (reverse("api:watch-list"), reverse("api:notification-list")):
            with self.subTest(url):
                self.assertEqual(self.client.get(url).status_code, 401)
        token = Token.objects.create(user=self.reader)
        self.notify(self.reader)
        response = self.client.get(
            reverse("api:notification-list"), HTTP_AUTHORIZATION=f"Token {token.key}"
        )
        self.assertEqual(response.status_code, 200)
        self.assertEqual(len(response.json()["results"]), 1)

    def test_notifications_are_ones_own_and_marked_read_once(self):
        mine, theirs = self.notify(self.reader), self.notify(self.editor)
        self.client.force_login(self.reader)
        listed = self.client.get(reverse("api:notification-list")).json()["results"]
        self.assertEqual([n["id"] for n in listed], [mine.pk])
        self.assertEqual(listed[0]["event"], "claim_approved")
        self.assertIn("Some of the 53 released", listed[0]["summary"])
        self.assertIsNone(listed[0]["read_at"])

        read = self.post(reverse("api:notification-read", args=[mine.pk]))
        first = read.json()["read_at"]
        self.assertIsNotNone(first)
        again = self.post(reverse("api:notification-read", args=[mine.pk]))
        self.assertEqual(again.json()["read_at"], first, "a read notification keeps its date")

        self.assertEqual(
            self.post(reverse("api:notification-read", args=[theirs.pk])).status_code, 404
        )
        theirs.refresh_from_db()
        self.assertIsNone(theirs.read_at)

    def read_many(self, body):
        url = reverse("api:notification-read-many")
        return self.client.post(url, body, content_type="application/json")

    def test_marking_all_read_marks_ones_own_unread_only(self):
        self.notify(self.reader), self.notify(self.reader), self.notify(self.editor)
        self.client.force_login(self.reader)
        self.assertEqual(self.read_many({"all": True}).json(), {"marked": 2})
        self.assertEqual(self.read_many({"all": True}).json(), {"marked": 0})
        self.assertEqual(Notification.objects.unread().get().user, self.editor)

    def test_marking_those_named_ignores_anothers(self):
        mine, other, theirs = (
            self.notify(self.reader),
            self.notify(self.reader),
            self.notify(self.editor),
        )
        self.client.force_login(self.reader)
        self.assertEqual(
            self.read_many({"notifications": [mine.pk, theirs.pk]}).json(), {"marked": 1}
        )
        self.assertEqual(
            set(Notification.objects.unread().values_list("pk", flat=True)), {other.pk, theirs.pk}
        )
        self.assertEqual(self.read_many({}).status_code, 400, "all or some: say which")
        self.assertEqual(self.read_many({"every": True}).json(), {"every": ["Unknown field."]})
        too_large = self.read_many({"notifications": [1, 2**63]}).json()
        self.assertEqual(
            too_large,
            {
                "notifications": [
                    "Item 2: Ensure this value is less than or equal to 9223372036854775807."
                ]
            },
        )

    def test_the_actions_take_no_body(self):
        note = self.notify(self.reader)
        self.client.force_login(self.reader)
        response = self.client.post(
            reverse("api:notification-read", args=[note.pk]),
            {"all": True},
            content_type="application/json",
        )
        self.assertEqual(response.status_code, 400)

    def test_the_schema_lists_them_behind_a_login(self):
        schema = self.client.get(reverse("api:schema"), {"format": "json"}).json()
        for path, method in (
            ("/api/watches/", "get"),
            ("/api/watches/", "post"),
            ("/api/watches/{id}/", "delete"),
            ("/api/notifications/", "get"),
            ("/api/notifications/{id}/read/", "post"),
            ("/api/notifications/read/", "post"),
        ):
            with self.subTest(path=path, method=method):
                operation = schema["paths"][path][method]
                self.assertNotIn({}, operation.get("security", []), "no anonymous access")
        body = schema["components"]["schemas"]["WatchBody"]
        self.assertFalse(body["additionalProperties"])
