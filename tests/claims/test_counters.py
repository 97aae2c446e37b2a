"""
Counters kept on write (claims/counters.py): no page counts at read time.

Specified here: after every kind of write (approve, reject, retract,
restore, supersede, edit, a claim moved to another topic, detainee or
source, resolve, dismiss, reopen, import, recompute, generate_volume) each
topic's, source's and detainee's counters equal a COUNT(*) of what they
count; a stale instance's save() never writes an old count back;
`recompute_conflicts` repairs a counter that drifted and says which, and
`--check-counters` fails on one; the triggers are there after the
migrations (SQLite drops them when it rebuilds a table); the home page
reads the counters in a constant number of queries whatever the number of
topics.
"""

from __future__ import annotations

import io
import tempfile
from collections import Counter
from pathlib import Path

from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.test import TestCase, override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from hypothesis import given
from hypothesis import strategies as st

from claims import counters, detection
from claims.models import Claim, Conflict, Detainee, Topic
from sources.models import Source
from tests.cast import JanuaryCast, publish_everything
from tests.claims import test_conflict_properties as properties
from tests.claims.test_import_case import DEMO_CASE
from tests.claims.test_spreadsheet_import import csv_file, row
from tests.roles import RoleCast
from tests.test_cache import ON, PageCacheCase


def counted() -> dict[tuple[str, int, str], int]:
    """Every counter's truth, counted with the ORM (a COUNT per row and counter)."""
    approved = Claim.objects.approved()
    open_ = Conflict.objects.open()
    truth = {}
    for topic in Topic.objects.all():
        truth["topic", topic.pk, "claim_count"] = approved.filter(topic=topic).count()
        truth["topic", topic.pk, "open_conflict_count"] = open_.filter(topic=topic).count()
    for detainee in Detainee.objects.all():
        truth["detainee", detainee.pk, "claim_count"] = approved.filter(detainee=detainee).count()
        truth["detainee", detainee.pk, "open_conflict_count"] = open_.filter(
            detainee=detainee
        ).count()
    for source in Source.objects.all():
        mine = approved.filter(source=source)
        truth["source", source.pk, "claim_count"] = mine.count()
        truth["source", source.pk, "confirmed_count"] = mine.filter(verdict="confirmed").count()
        truth["source", source.pk, "refuted_count"] = mine.filter(verdict="refuted").count()
        truth["source", source.pk, "open_conflict_count"] = (
            open_.filter(claim_a__source=source).count()
            + open_.filter(claim_b__source=source).count()
        )
    return truth


def stored() -> dict[tuple[str, int, str], int]:
    """What the counters hold, read fresh from the database."""
    held = {}
    for name, model in (("topic", Topic), ("detainee", Detainee), ("source", Source)):
        for values in model.objects.values("pk", *model.COUNTERS):
            pk = values.pop("pk")
            held.update(((name, pk, column), n) for column, n in values.items())
    return held


class CountersTestMixin:
    maxDiff = None

    def assertCountersRight(self, msg: str = "") -> None:
        held, truth = stored(), counted()
        wrong = {
            k: (held.get(k), truth.get(k))
            for k in truth.keys() | held.keys()
            if held.get(k) != truth.get(k)
        }
        self.assertEqual(wrong, {}, f"(stored, counted) {msg}")


class CounterPropertyTests(CountersTestMixin, properties.DetectionPropertyTests):
    """Random histories through the real write paths, the counters checked after each step."""

    # Only the histories of this file: the detection properties run in their own.
    test_it_keeps_the_open_conflicts_a_function_of_the_approved_claims = None
    test_it_never_reopens_a_conflict_a_person_closed = None
    test_it_reaches_the_same_conflicts_when_detection_is_deferred = None
    test_it_reopens_a_closed_conflict_only_into_the_state_the_rules_give = None
    test_the_bounded_preview_says_what_the_whole_variable_says = None
    test_approval_opens_the_conflicts_the_preview_announced = None

    # Besides the detection properties' actions: a claim filed under another
    # source ("speaker"), a retracted claim restored. Any write giving a claim
    # another source (an edit or move drawing new values, or "speaker") while
    # it is the second side of an open conflict once left the old source's
    # open-conflict count too high on SQLite: CounterWriteTests' "second side".
    EXTRA = ("speaker", "restore")

    def act(self, data, turn, ids, closed) -> None:
        extra = data.draw(st.sampled_from((None, None, None, *self.EXTRA)), label="extra")
        if extra == "speaker" and ids:
            # A claim filed under the wrong source: its conflicts follow it.
            claim = Claim.objects.get(pk=properties.in_turn(data.draw, tuple(ids), turn))
            others = tuple(s for s in self.sources if s.pk != claim.source_id)
            self.write(claim, {"source": properties.in_turn(data.draw, others, turn)})
        elif extra == "restore":
            retracted = tuple(
                Claim.objects.filter(pk__in=ids, state=Claim.State.RETRACTED).values_list(
                    "pk", flat=True
                )
            )
            if retracted:
                pk = properties.in_turn(data.draw, retracted, turn)
                Claim.objects.get(pk=pk).restore(by=None)
        else:
            super().act(data, turn, ids, closed)
        self.assertCountersRight("after a step of the history")

    @properties.examples(40)
    @given(st.data())
    def test_the_counters_equal_the_counts_after_every_write(self, data):
        ids: list[int] = []
        closed: dict[int, str] = {}
        self.run_history(data, ids, closed)
        for pk in sorted(Conflict.objects.open().values_list("pk", flat=True)):
            if data.draw(st.booleans(), label="close"):
                self.close(data, pk, closed)
                self.assertCountersRight("after a resolution")
        self.run_history(data, ids, closed)
        for pk in sorted(closed):
            self.reopen(pk, closed)
            self.assertCountersRight("after a reopening")
        detection.recompute_all()
        self.assertCountersRight("after a recompute")

    @properties.examples(20)
    @given(st.data())
    def test_the_counters_equal_the_counts_when_detection_is_deferred(self, data):
        with detection.deferred():
            self.run_history(data, [], {})
        self.assertCountersRight()


class CounterWriteTests(CountersTestMixin, RoleCast, JanuaryCast, TestCase):
    def test_the_cast_is_counted(self):
        self.assertCountersRight()
        self.assertEqual(Topic.objects.get(pk=self.release.pk).claim_count, 4)
        self.assertEqual(Topic.objects.get(pk=self.release.pk).open_conflict_count, 1)

    def test_a_stale_instance_never_writes_an_old_count_back(self):
        topic = Topic.objects.get(pk=self.release.pk)
        source = Source.objects.get(pk=self.psaki.pk)
        self.claim(
            self.psaki, topic=self.release, stance=Claim.Stance.DENIES, quote="No", summary="No"
        )
        self.assertNotEqual(Topic.objects.get(pk=topic.pk).claim_count, topic.claim_count)

        topic.question = "How many prisoners were released, and when?"
        topic.save()
        source.description = "The State Department's spokeswoman."
        source.save()

        self.assertCountersRight()
        self.assertEqual(Topic.objects.get(pk=topic.pk).question, topic.question)

    @override_settings(REQUIRE_SECOND_PAIR_OF_EYES=False)  # A one-person newsroom approves.
    def test_an_approved_import_is_counted(self):
        with tempfile.TemporaryDirectory() as folder:
            path = Path(folder) / "claims.csv"
            path.write_bytes(
                csv_file(row(), row(Quote="They are free", Summary="Free", Stance="affirms"))
            )
            call_command(
                "import_claims",
                str(path),
                "--user",
                self.moderator.username,
                "--approve",
                stdout=io.StringIO(),
            )
        self.assertGreater(Claim.objects.approved().count(), 4)
        self.assertCountersRight()

    def test_a_claim_moved_to_another_source_takes_its_open_conflicts_along(self):
        conflict = Conflict.objects.open().get()
        claim = Claim.objects.get(pk=conflict.claim_a_id)
        claim.source = next(
            s for s in (self.rubio, self.psaki, self.sanchez) if s.pk != claim.source_id
        )
        claim.full_clean()
        claim.save()
        self.assertCountersRight()

    def test_a_claim_moved_to_another_source_takes_along_the_conflicts_it_is_the_second_side_of(
        self,
    ):
        # SQLite's trigger once took from the old source the conflicts the claim
        # is the first side of and gave it those it is the second side of:
        # `n - (a) + (b)` for `n - ((a) + (b))`.
        conflict = Conflict.objects.open().get()
        claim = Claim.objects.get(pk=conflict.claim_b_id)
        sides = (claim.source_id, conflict.claim_a.source_id)
        claim.source = next(s for s in (self.rubio, self.psaki, self.sanchez) if s.pk not in sides)
        claim.full_clean()
        claim.save()
        self.assertCountersRight()

    def test_recompute_repairs_a_drifted_counter_and_says_which(self):
        Topic.objects.filter(pk=self.release.pk).update(claim_count=99)
        Source.objects.filter(pk=self.psaki.pk).update(open_conflict_count=7)

        check = io.StringIO()
        with self.assertRaises(CommandError):
            call_command("recompute_conflicts", "--check-counters", stdout=check)
        self.assertIn(f"Counter {Topic._meta.db_table}.claim_count: 1 row wrong.", check.getvalue())

        out = io.StringIO()
        call_command("recompute_conflicts", stdout=out)
        repaired = out.getvalue()
        self.assertIn(f"Counter {Topic._meta.db_table}.claim_count: 1 row repaired.", repaired)
        self.assertIn(
            f"Counter {Source._meta.db_table}.open_conflict_count: 1 row repaired.", out.getvalue()
        )
        self.assertCountersRight()

        again = io.StringIO()
        call_command("recompute_conflicts", "--check-counters", stdout=again)
        self.assertEqual(again.getvalue(), "Counters: all right.\n")
        call_command("recompute_conflicts", "--counters", stdout=again)
        self.assertEqual(again.getvalue(), "Counters: all right.\n")

    def test_the_triggers_are_in_place_after_the_migrations(self):
        names = {*counters.CLAIM_TRIGGERS, *counters.CONFLICT_TRIGGERS}
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                cursor.execute("SELECT tgname FROM pg_trigger WHERE NOT tgisinternal")
            else:
                cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
            present = {name for (name,) in cursor.fetchall()}
        self.assertLessEqual(names, present)

    def test_the_source_list_and_page_show_the_counters(self):
        publish_everything()
        source = Source.objects.get(pk=self.sanchez.pk)
        self.assertGreater(source.claim_count, 0)
        response = self.client.get(reverse("sources:list"))
        row_ = next(s for s in response.context["page"] if s.pk == source.pk)
        self.assertEqual(
            (row_.claim_count, row_.open_conflict_count),
            (source.claim_count, source.open_conflict_count),
        )
        page = self.client.get(source.get_absolute_url())
        self.assertEqual(page.context["open_conflict_count"], source.open_conflict_count)


class ImportedAndGeneratedCounterTests(CountersTestMixin, TestCase):
    def test_the_demo_case_import_is_counted(self):
        call_command("import_case", str(DEMO_CASE), stdout=io.StringIO())
        self.assertTrue(Conflict.objects.open().exists())
        self.assertCountersRight()

    def test_generate_volume_is_counted(self):
        call_command("generate_volume", claims=400, seed=7, stdout=io.StringIO())
        self.assertTrue(Conflict.objects.open().exists())
        self.assertCountersRight()
        self.assertEqual(detection.recompute_all().changes, Counter())
        self.assertCountersRight()


class HomeQueryTests(RoleCast, JanuaryCast, TestCase):
    def get_home(self):
        with CaptureQueriesContext(connection) as queries:
            response = self.client.get(reverse("claims:home"))
        self.assertEqual(response.status_code, 200)
        return response, len(queries)

    def test_the_home_page_runs_the_same_queries_whatever_the_number_of_topics(self):
        # Logged in, as the newsroom always is: never the page cache.
        self.client.force_login(self.moderator)
        self.get_home()  # What is read once per session.
        few, before = self.get_home()
        shown_before = len(few.context["topics"])
        Topic.objects.bulk_create(
            Topic(title=f"Quiet question {n:03}", slug=f"quiet-{n:03}", question="Is it?")
            for n in range(120)
        )
        for n in range(3):
            topic = Topic.objects.create(title=f"Hot question {n}", question="Is it?")
            for source, stance in ((self.psaki, "affirms"), (self.sanchez, "denies")):
                self.claim(source, topic=topic, stance=stance, quote=stance, summary=stance)

        many, after = self.get_home()

        self.assertEqual(after, before)
        self.assertLess(shown_before, 50)
        listed = list(many.context["topics"])
        self.assertEqual(len(listed), 50)
        # The hottest first: open conflicts, then title.
        order = [(-t.open_conflict_count, t.title, t.pk) for t in listed]
        self.assertEqual(order, sorted(order))
        self.assertEqual(
            listed[0].open_conflict_count,
            max(Conflict.objects.open().filter(topic=t).count() for t in Topic.objects.all()),
        )


@ON
class CachedCounterTests(PageCacheCase):
    """The triggers write in the transactions of writes that already start a new generation."""

    def home_counts(self, response) -> tuple[int, int]:
        topic = next(t for t in response.context["topics"] if t.pk == self.release.pk)
        return topic.claim_count, topic.open_conflict_count

    def test_the_home_page_shows_new_counts_on_the_next_anonymous_read(self):
        publish_everything()
        home = reverse("claims:home")
        claims, conflicts = self.home_counts(self.read(home))
        self.assertServedFromCache(home)

        with self.write():
            self.claim(
                self.rubio,
                stance=Claim.Stance.AFFIRMS,
                quantity_min=53,
                quantity_max=53,
                quote="All fifty-three walked free",
                summary="All 53 released",
                stated_on="2015-01-12",
            )

        after = self.home_counts(self.assertRendered(home))
        self.assertEqual(after[0], claims + 1)
        self.assertServedFromCache(home)  # Stored again, with the new counts.
        stored = Topic.objects.get(pk=self.release.pk)
        self.assertEqual(after, (stored.claim_count, stored.open_conflict_count))
        self.assertGreaterEqual(after[1], conflicts)
