"""The e-mails, sent by the real background worker: at once, or as a daily digest."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from django.core import mail
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.test import TestCase, override_settings
from django.utils import timezone

from claims.models import Claim, Conflict
from tests.cast import JanuaryCast
from tests.claims.jobs import run_worker
from tests.roles import RoleCast, user_in
from tests.watching.smtp import smtp_server
from tests.watching.test_events import watch
from watching import mail as watching_mail
from watching.models import Digest, EmailChoice, EmailPreference, Notification
from watching.tasks import DIGEST_TASK, schedule_digests

SITE = "https://news.example.org"


@override_settings(SITE_URL=SITE, NEWSROOM_NAME="The Desk")
class MailTests(RoleCast, JanuaryCast, TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.watcher = user_in("wanda", "Reader", email="wanda@example.org", first_name="Wanda")

    def approve_position(self, summary="Talks should go on") -> Claim:
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

    def test_the_worker_sends_an_instant_e_mail_through_a_real_smtp_server(self):
        watch(self.watcher, self.release)
        claim = self.approve_position()
        with smtp_server() as inbox:
            self.assertEqual(run_worker(), 1)

        self.assertEqual(len(inbox.messages), 1)
        sender, recipients, message = inbox.messages[0]
        self.assertEqual(recipients, ["wanda@example.org"])
        self.assertEqual(sender, "crosscheck@localhost")
        self.assertEqual(
            message["Subject"],
            "The Desk: Marco Rubio: “Talks should go on” (Jan 7, 2015) on "
            "Release of the 53 prisoners",
        )
        body = message.get_content()
        self.assertIn(f"{SITE}/claims/{claim.pk}/", body)
        self.assertIn("Claim approved", body)
        self.assertIn(f"{SITE}/notifications/settings/", body)
        self.assertIsNotNone(Notification.objects.get(user=self.watcher).emailed_at)

    def test_a_failed_send_is_tried_again_and_never_marked_sent(self):
        watch(self.watcher, self.release)
        self.approve_position()
        dead = {
            "default": {
                "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "OPTIONS": {"host": "127.0.0.1", "port": 9, "timeout": 2},
            }
        }
        with override_settings(MAILERS=dead):
            run_worker()  # The task fails: nobody listens on port 9.
        note = Notification.objects.get(user=self.watcher)
        self.assertIsNone(note.emailed_at)
        with smtp_server() as inbox:
            self.assertEqual(watching_mail.send_instant([note.pk]), 1)
        self.assertEqual(len(inbox.messages), 1)

    def test_a_bulk_approval_is_one_e_mail_listing_every_claim(self):
        watch(self.watcher, self.release)
        from claims import detection

        claims = [
            Claim.objects.create(
                source=self.rubio,
                topic=self.release,
                kind=Claim.Kind.POSITION,
                quote=f"Demand {i}",
                summary=f"Demand {i}",
                stated_on=date(2015, 1, 7),
                state=Claim.State.PENDING,
                created_by=self.editor,
            )
            for i in range(3)
        ]
        with detection.deferred():
            for claim in claims:
                claim.approve(by=self.moderator)
        run_worker()
        self.assertEqual(len(mail.outbox), 1)
        self.assertEqual(mail.outbox[0].subject, "The Desk: 3 changes on what you watch")
        for claim in claims:
            self.assertIn(f"{SITE}/claims/{claim.pk}/", mail.outbox[0].body)

    def test_a_resolution_is_e_mailed_with_a_link_to_the_conflict(self):
        gap = Conflict.objects.get(claim_a=self.some_released, claim_b=self.no_information)
        watch(self.watcher, gap)
        gap.resolve(by=self.moderator, outcome="a_right", rationale="The Jan 12 list")
        run_worker()
        self.assertEqual(len(mail.outbox), 1)
        self.assertIn(f"{SITE}/conflicts/{gap.pk}/", mail.outbox[0].body)
        self.assertIn("resolved", mail.outbox[0].subject)

    def test_no_e_mail_for_those_who_chose_none_or_have_no_address(self):
        EmailPreference.objects.create(user=self.watcher, email=EmailChoice.NONE)
        watch(self.watcher, self.release)
        watch(self.reader, self.release)  # No e-mail address.
        self.approve_position()
        run_worker()
        self.assertEqual(mail.outbox, [])
        self.assertEqual(
            Notification.objects.filter(user__in=[self.watcher, self.reader]).count(), 2
        )


@override_settings(SITE_URL=SITE, NEWSROOM_NAME="The Desk", TIME_ZONE="UTC")
class DigestTests(RoleCast, JanuaryCast, TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.watcher = user_in("dora", "Reader", email="dora@example.org")
        EmailPreference.objects.create(user=cls.watcher, email=EmailChoice.DAILY)

    def approve_position(self, summary: str) -> Claim:
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

    def test_a_daily_user_gets_nothing_at_once_then_one_digest_a_day(self):
        watch(self.watcher, self.release)
        first, second = self.approve_position("First"), self.approve_position("Second")
        run_worker()
        self.assertEqual(mail.outbox, [])  # Not at once.

        with smtp_server() as inbox:
            self.assertEqual(watching_mail.send_digests(), 1)
            # Again the same day: the Digest row refuses it; nothing is sent.
            self.approve_position("Third, after the digest")
            self.assertEqual(watching_mail.send_digests(), 0)
        self.assertEqual(len(inbox.messages), 1)
        _, recipients, message = inbox.messages[0]
        self.assertEqual(recipients, ["dora@example.org"])
        self.assertIn("daily digest", message["Subject"])
        self.assertIn("2 changes", message["Subject"])
        body = message.get_content()
        self.assertIn(f"{SITE}/claims/{first.pk}/", body)
        self.assertIn(f"{SITE}/claims/{second.pk}/", body)
        digest = Digest.objects.get(user=self.watcher)
        self.assertEqual(digest.notification_count, 2)
        # The third waits for tomorrow's digest.
        tomorrow = timezone.now() + timedelta(days=1)
        watching_mail.send_digests(now=tomorrow)
        self.assertEqual(Digest.objects.filter(user=self.watcher).count(), 2)
        self.assertFalse(Notification.objects.filter(user=self.watcher, emailed_at=None).exists())

    def test_the_database_refuses_a_second_digest_for_the_same_day(self):
        now = timezone.now()
        Digest.objects.create(user=self.watcher, day=now.date(), sent_at=now)
        with self.assertRaises(IntegrityError), transaction.atomic():
            Digest.objects.create(user=self.watcher, day=now.date(), sent_at=now)

    def test_the_digest_task_queues_itself_for_the_next_digest_hour(self):
        from django_tasks_db.models import DBTaskResult

        call_command("send_digests", "--schedule", stdout=open("/dev/null", "w"))  # noqa: SIM115
        call_command("send_digests", "--schedule", stdout=open("/dev/null", "w"))  # noqa: SIM115
        waiting = DBTaskResult.objects.filter(task_path=DIGEST_TASK, status="READY")
        self.assertEqual(waiting.count(), 1)
        self.assertGreater(waiting.get().run_after, timezone.now())
        # Due: the worker sends the digests and queues the next day's.
        waiting.update(run_after=timezone.now() - timedelta(seconds=1))
        watch(self.watcher, self.release)
        self.approve_position("Due")
        run_worker()
        self.assertEqual(len(mail.outbox), 1)
        self.assertEqual(waiting.count(), 1)
        self.assertGreater(waiting.get().run_after, timezone.now())
        self.assertFalse(schedule_digests())

    @override_settings(NOTIFICATIONS_DIGEST_HOUR=7, TIME_ZONE="America/Havana")
    def test_the_digest_hour_is_in_the_newsroom_time_zone(self):
        havana = ZoneInfo("America/Havana")
        before = datetime(2015, 1, 6, 6, 30, tzinfo=havana)
        after = datetime(2015, 1, 6, 7, 0, tzinfo=havana)
        self.assertEqual(
            watching_mail.next_digest_time(before), datetime(2015, 1, 6, 7, tzinfo=havana)
        )
        self.assertEqual(
            watching_mail.next_digest_time(after), datetime(2015, 1, 7, 7, tzinfo=havana)
        )
