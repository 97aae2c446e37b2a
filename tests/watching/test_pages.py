"""The watch button, the header's unread count, the notifications page and the e-mail settings."""

from datetime import date

from django.test import TestCase
from django.urls import reverse

from claims.models import Claim, Conflict
from tests.cast import JanuaryCast
from tests.roles import RoleCast
from watching.models import EmailChoice, EmailPreference, Notification, Watch


class WatchButtonTests(RoleCast, JanuaryCast, TestCase):
    def test_each_watchable_page_has_the_button_and_it_toggles(self):
        gap = Conflict.objects.get(claim_a=self.some_released, claim_b=self.no_information)
        self.client.force_login(self.reader)
        for kind, obj in (
            ("topic", self.release),
            ("source", self.psaki),
            ("conflict", gap),
        ):
            with self.subTest(kind):
                page = self.client.get(obj.get_absolute_url())
                self.assertContains(page, f"Watch this {kind}</button>")
                url = reverse("watching:watch", args=[kind, obj.pk])
                response = self.client.post(url, {"watch": "1", "next": obj.get_absolute_url()})
                self.assertRedirects(
                    response, obj.get_absolute_url(), fetch_redirect_response=False
                )
                self.assertContains(self.client.get(obj.get_absolute_url()), "Watching this")
                self.client.post(url, {"watch": "0"})
                self.assertContains(self.client.get(obj.get_absolute_url()), f"Watch this {kind}")
                # Stopped, not deleted: the row stays, with its history.
                row = Watch.objects.get(user=self.reader, **{kind: obj})
                self.assertIsNotNone(row.stopped_at)
                self.assertEqual(row.history.count(), 2)
                self.client.post(url, {"watch": "1"})
                row.refresh_from_db()
                self.assertIsNone(row.stopped_at)
                self.assertEqual(Watch.objects.filter(user=self.reader, **{kind: obj}).count(), 1)

    def test_a_visitor_is_asked_to_log_in_and_a_reader_cannot_watch_research(self):
        page = self.client.get(self.release.get_absolute_url())
        self.assertContains(page, "Log in to watch this topic")
        self.assertNotContains(page, "Watch this topic</button>")
        from claims.models import Topic

        secret = Topic.objects.create(title="Ottawa talks", question="Talking?")
        self.client.force_login(self.reader)
        response = self.client.post(reverse("watching:watch", args=["topic", secret.pk]))
        self.assertEqual(response.status_code, 404)
        self.assertFalse(Watch.objects.exists())


class NotificationPageTests(RoleCast, JanuaryCast, TestCase):
    def approve(self, summary: str) -> Claim:
        claim = Claim.objects.create(
            source=self.rubio,
            topic=self.release,
            kind=Claim.Kind.POSITION,
            quote=summary,
            summary=summary,
            stated_on=date(2015, 1, 7),
            state=Claim.State.PENDING,
            created_by=self.editor,
        )
        claim.approve(by=self.moderator)
        return claim

    def test_the_header_counts_unread_and_the_page_marks_them_read(self):
        self.client.force_login(self.reader)
        self.client.post(reverse("watching:watch", args=["topic", self.release.pk]))
        first, second = self.approve("First demand"), self.approve("Second demand")

        home = self.client.get("/")
        self.assertContains(home, '<span class="badge badge-unread" aria-label="2 unread">2</span>')
        page = self.client.get(reverse("watching:notifications"))
        self.assertContains(page, "First demand")
        self.assertContains(page, f'href="/claims/{second.pk}/"')
        self.assertContains(page, "Claim approved by Mona Derator")
        self.assertContains(page, "notification-unread", count=2)

        one = Notification.objects.get(claim=first)
        self.client.post(reverse("watching:read"), {"notification": [str(one.pk), "x", "²"]})
        self.assertContains(self.client.get("/"), 'aria-label="1 unread"')
        self.client.post(reverse("watching:read"), {"all": "1"})
        self.assertNotContains(self.client.get("/"), "badge-unread")
        # Read, and kept.
        self.assertEqual(Notification.objects.filter(user=self.reader).unread().count(), 0)
        self.assertEqual(Notification.objects.filter(user=self.reader).count(), 2)

    def test_no_one_marks_or_sees_another_users_notifications(self):
        self.client.force_login(self.reader)
        self.client.post(reverse("watching:watch", args=["topic", self.release.pk]))
        self.approve("A demand")
        theirs = Notification.objects.get(user=self.reader)
        self.client.force_login(self.editor)
        self.assertNotContains(self.client.get(reverse("watching:notifications")), "A demand")
        self.client.post(reverse("watching:read"), {"notification": [str(theirs.pk)]})
        theirs.refresh_from_db()
        self.assertIsNone(theirs.read_at)

    def test_the_settings_page_keeps_the_choice_and_refuses_a_made_up_one(self):
        self.client.force_login(self.reader)
        url = reverse("watching:settings")
        self.assertContains(self.client.get(url), "At once")
        response = self.client.post(url, {"email": "hourly"})
        self.assertContains(response, "Select a valid choice")
        self.assertFalse(EmailPreference.objects.exists())
        self.assertRedirects(self.client.post(url, {"email": "daily"}), url)
        self.assertEqual(EmailPreference.objects.get(user=self.reader).email, EmailChoice.DAILY)


class NotificationPageQueryTests(RoleCast, JanuaryCast, TestCase):
    def add(self, n: int) -> None:
        from django.utils import timezone

        Notification.objects.bulk_create(
            Notification(
                user=self.reader,
                event="claim_approved",
                claim=self.some_released,
                topic=self.release,
                actor=self.moderator,
                created_at=timezone.now(),
            )
            for _ in range(n)
        )

    def test_it_runs_a_constant_number_of_queries_whatever_the_number_of_notifications(self):
        # 1. session, 2. user, 3.-4. the user's and the groups' permissions
        # (the header's links), 5. the e-mail choice, 6. count, 7. a page of
        # notifications joined to their topic, claim, conflict, sources and
        # actor, 8. what the user watches, 9. the header's unread count.
        self.client.force_login(self.reader)
        self.client.post(reverse("watching:watch", args=["topic", self.release.pk]))
        self.add(5)
        with self.assertNumQueries(9):
            self.client.get(reverse("watching:notifications"))
        self.add(120)
        with self.assertNumQueries(9):
            response = self.client.get(reverse("watching:notifications"))
        self.assertEqual(len(response.context["page"].object_list), 50)
