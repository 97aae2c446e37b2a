"""Who is told what: the fan-out of approvals and conflict events to watchers (watching.events)."""

from datetime import date

from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from claims import detection
from claims.models import Claim, Conflict, Detainee, Topic
from sources.models import Source
from tests.cast import JanuaryCast
from tests.roles import RoleCast, user_in
from watching import events
from watching.models import Event, Notification, Watch

TUE = date(2015, 1, 6)


def watch(user, obj) -> Watch:
    return Watch.objects.create(user=user, started_at=timezone.now(), **{obj._meta.model_name: obj})


class FanOutTests(RoleCast, JanuaryCast, TestCase):
    def pending(self, source, *, topic=None, by=None, **fields) -> Claim:
        fields.setdefault("stance", Claim.Stance.AFFIRMS)
        fields.setdefault("quote", "They freed some")
        fields.setdefault("summary", "Some freed")
        claim = Claim(
            source=source,
            topic=topic or self.release,
            stated_on=TUE,
            document=self.article,
            state=Claim.State.PENDING,
            created_by=by or self.editor,
            **fields,
        )
        claim.full_clean()
        claim.save()
        return claim

    def notified(self, user) -> list[tuple[str, int | None, int | None]]:
        return list(
            Notification.objects.filter(user=user)
            .order_by("pk")
            .values_list("event", "claim_id", "conflict_id")
        )

    def test_it_tells_a_topic_watcher_of_an_approval_but_not_the_approver(self):
        watch(self.reader, self.release)
        watch(self.moderator, self.release)
        claim = self.pending(self.rubio, kind=Claim.Kind.POSITION, stance="")

        claim.approve(by=self.moderator)

        self.assertEqual(self.notified(self.reader), [(Event.CLAIM_APPROVED, claim.pk, None)])
        self.assertEqual(self.notified(self.moderator), [])
        note = Notification.objects.get(user=self.reader)
        self.assertEqual(note.actor, self.moderator)
        self.assertEqual(note.topic, self.release)

    def test_it_tells_the_watchers_of_the_speaker_and_of_its_organisation_once_each(self):
        watch(self.reader, self.psaki)
        watch(self.editor, self.state_dept)
        watch(self.other_editor, self.ccdhrn)
        both = user_in("bo", "Reader")
        watch(both, self.psaki)
        watch(both, self.release)

        claim = self.pending(self.psaki, kind=Claim.Kind.POSITION, stance="")
        claim.approve(by=self.moderator)

        for user in (self.reader, self.editor, both):
            self.assertEqual(self.notified(user), [(Event.CLAIM_APPROVED, claim.pk, None)])
        self.assertEqual(self.notified(self.other_editor), [])

    def test_a_stopped_watch_tells_nothing(self):
        row = watch(self.reader, self.release)
        row.stopped_at = timezone.now()
        row.save()
        self.pending(self.rubio, kind=Claim.Kind.POSITION, stance="").approve(by=self.moderator)
        self.assertEqual(self.notified(self.reader), [])

    def test_it_tells_a_detainee_watcher_and_the_conflict_it_opens(self):
        ferrer = Detainee.objects.create(name="José Daniel Ferrer")
        ferrer.topics.add(self.release)
        watch(self.reader, ferrer)
        first = self.pending(
            self.psaki, detainee=ferrer, status=Claim.Status.RELEASED, summary="Ferrer freed"
        )
        first.approve(by=self.moderator)
        second = self.pending(
            self.sanchez, detainee=ferrer, status=Claim.Status.IMPRISONED, summary="Still held"
        )
        second.approve(by=self.moderator)

        conflict = Conflict.objects.get(claim_a=first, claim_b=second)
        self.assertEqual(
            self.notified(self.reader),
            [
                (Event.CLAIM_APPROVED, first.pk, None),
                (Event.CLAIM_APPROVED, second.pk, None),
                (Event.CONFLICT_OPENED, None, conflict.pk),
            ],
        )
        # The approver caused the conflict: not told of it either.
        opened = Notification.objects.get(event=Event.CONFLICT_OPENED)
        self.assertEqual(opened.actor, self.moderator)

    def test_a_conflict_watcher_hears_its_resolution_and_reopening(self):
        gap = Conflict.objects.get(claim_a=self.some_released, claim_b=self.no_information)
        watch(self.reader, gap)
        watch(self.moderator, gap)

        gap.resolve(by=self.moderator, outcome="a_right", rationale="The Jan 12 list")
        gap.reopen(by=self.admin, reason="New evidence")

        self.assertEqual(
            self.notified(self.reader),
            [(Event.CONFLICT_RESOLVED, None, gap.pk), (Event.CONFLICT_REOPENED, None, gap.pk)],
        )
        # Not told of their own resolution; told of the admin's reopening.
        self.assertEqual(self.notified(self.moderator), [(Event.CONFLICT_REOPENED, None, gap.pk)])

    def test_readers_are_never_told_of_unpublished_research(self):
        """An event naming a claim that is not public reaches only those who see research."""
        secret = Topic.objects.create(title="Ottawa talks", question="Talking?")
        watch(self.reader, secret)
        watch(self.editor, secret)
        draft = self.pending(self.rubio, topic=secret, kind=Claim.Kind.POSITION, stance="")

        events.claims_approved([draft], by=self.moderator)  # Its state is still pending.

        self.assertEqual(self.notified(self.reader), [])
        self.assertEqual(self.notified(self.editor), [(Event.CLAIM_APPROVED, draft.pk, None)])

    def test_a_rolled_back_approval_leaves_no_notification(self):
        from django.db import transaction

        watch(self.reader, self.release)
        claim = self.pending(self.rubio, kind=Claim.Kind.POSITION, stance="")
        with transaction.atomic():
            claim.approve(by=self.moderator)
            self.assertEqual(len(self.notified(self.reader)), 1)
            transaction.set_rollback(True)
        self.assertEqual(self.notified(self.reader), [])


class BulkTests(RoleCast, JanuaryCast, TestCase):
    """Bulk approvals write the notifications together: the same queries for 40 claims as for 4."""

    def pending_claims(self, n: int, topic: Topic) -> list[Claim]:
        speakers = Source.objects.bulk_create(
            Source(name=f"Speaker {topic.pk}-{i}", kind=Source.Kind.MEDIA) for i in range(n)
        )
        return [
            Claim.objects.create(
                source=s,
                topic=topic,
                kind=Claim.Kind.FACT,
                stance=Claim.Stance.AFFIRMS if i % 2 else Claim.Stance.DENIES,
                quote=f"Quote {i}",
                summary=f"Summary {i}",
                stated_on=TUE,
                state=Claim.State.PENDING,
                created_by=self.editor,
            )
            for i, s in enumerate(speakers)
        ]

    def notification_queries(self, n: int) -> tuple[int, list[str]]:
        topic = Topic.objects.create(title=f"Talks {n}", question="Will the talks go on?")
        watchers = [user_in(f"w{n}-{i}", "Reader", email=f"w{i}@example.org") for i in range(3)]
        for user in watchers:
            watch(user, topic)
        claims = self.pending_claims(n, topic)
        with CaptureQueriesContext(connection) as ctx, detection.deferred():
            for claim in claims:
                claim.approve(by=self.moderator)
        mine = [
            q["sql"][:120]
            for q in ctx.captured_queries
            if "watching_" in q["sql"] or "dbtaskresult" in q["sql"]
        ]
        count = Notification.objects.filter(user__in=watchers).count()
        return count, mine

    def test_a_bulk_approval_writes_its_notifications_in_constant_queries(self):
        few_count, few = self.notification_queries(4)
        many_count, many = self.notification_queries(40)
        # Each watcher: every claim approved, and every conflict the claims opened.
        self.assertEqual(few_count, 3 * (4 + 2 * 2))
        self.assertEqual(many_count, 3 * (40 + 20 * 20))
        # SELECT the active watches, INSERT the notifications, INSERT the e-mail task.
        self.assertEqual(len(few), len(many), "\n".join(many))
        self.assertEqual(len(many), 3, "\n".join(many))
