"""
Issue 14's remaining gaps, on the demo case (cases/cuba-2015-01.json): the track
record as party and as independent, the board's confirmers, the internal-
inconsistency label wherever conflicts show, the derived count in a bounded
number of queries, the import dated at the case's own dates, and the past
topic page and board.
"""

from __future__ import annotations

from datetime import date
from io import StringIO

from django.contrib.auth.models import User
from django.core.management import call_command
from django.db import connection
from django.test import TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from claims.casefile import import_case
from claims.models import Claim, Conflict, Detainee, Topic, TopicParty
from claims.views.topics import named_count
from sources.models import Source
from tests.claims.test_import_case import DEMO_CASE
from tests.roles import RoleCast

RELEASE = "Release of the 53 prisoners"


def approve(source: str, topic: Topic, stance: str, summary: str, **fields) -> Claim:
    claim = Claim(
        source=Source.objects.get(name=source),
        topic=topic,
        kind=Claim.Kind.FACT,
        stance=stance,
        quote=summary + ".",
        summary=summary,
        stated_on=fields.pop("stated_on", date(2015, 1, 6)),
        state=Claim.State.PENDING,
        **fields,
    )
    claim.full_clean()
    claim.save()
    claim.approve(by=None)
    return claim


def add_releases(topic: Topic, n: int, start: int) -> None:
    """Elizardo Sanchez reports n more named persons released (as of Jan. 8)."""
    for i in range(start, start + n):
        person = Detainee.objects.create(name=f"Named person {i}")
        person.topics.add(topic)
        approve(
            "Elizardo Sanchez",
            topic,
            Claim.Stance.AFFIRMS,
            f"Person {i} released",
            detainee=person,
            status=Claim.Status.RELEASED,
            as_of=date(2015, 1, 8),
            stated_on=date(2015, 1, 9),
        )


class DemoCase(RoleCast, TestCase):
    @classmethod
    def setUpTestData(cls):
        super().setUpTestData()
        call_command("import_case", str(DEMO_CASE), stdout=StringIO())
        cls.release = Topic.objects.get(title=RELEASE)

    def earnest_denies(self) -> Conflict:
        """Josh Earnest (the White House) says none were released: Psaki said some."""
        claim = approve("Josh Earnest", self.release, Claim.Stance.DENIES, "None released yet")
        psaki = Source.objects.get(name="Jen Psaki")
        return Conflict.objects.get(
            claim_b=claim, claim_a__source=psaki, kind=Conflict.Kind.CONTRADICTION
        )


class PartyRecordTests(DemoCase):
    """The track record keeps claims as a party apart from claims as an independent voice."""

    def test_a_partys_voice_counts_its_claims_on_the_deal_as_party(self):
        psaki = Source.objects.with_record().with_party_record().get(name="Jen Psaki")
        # Two aggregate claims and one named release on the deal, where the U.S. government
        # is a party; the precondition topic records no party.
        self.assertEqual((psaki.claim_count, psaki.party_claim_count), (4, 3))
        self.assertEqual(psaki.independent_record.claims, 1)
        self.assertEqual(psaki.party_record.reliability, 0.5)

    def test_an_independent_monitor_has_nothing_as_party(self):
        sanchez = Source.objects.with_record().with_party_record().get(name="Elizardo Sanchez")
        self.assertEqual(sanchez.party_claim_count, 0)
        self.assertEqual(sanchez.independent_record.claims, sanchez.claim_count)

    def test_a_withdrawn_party_counts_no_more(self):
        party = TopicParty.objects.get(topic=self.release, source__name="U.S. government")
        party.withdrawn, party.withdrawn_reason = True, "Test: recorded by mistake"
        party.save()
        psaki = Source.objects.with_party_record().get(name="Jen Psaki")
        self.assertEqual(psaki.party_claim_count, 0)

    def test_verdicts_fall_on_the_side_the_claim_was_made_on(self):
        psaki = Claim.objects.get(
            source__name="Jen Psaki", topic=self.release, stance="affirms", detainee=None
        )
        Claim.objects.filter(pk=psaki.pk).update(verdict=Claim.Verdict.CONFIRMED)
        record = Source.objects.with_record().with_party_record().get(name="Jen Psaki")
        self.assertEqual(
            (record.party_record.confirmed, record.independent_record.confirmed), (1, 0)
        )
        self.assertAlmostEqual(record.party_record.reliability, 2 / 3)

    def test_a_claim_counts_once_when_two_of_its_speakers_chain_are_parties(self):
        state = Source.objects.get(name="U.S. Department of State")
        TopicParty.objects.create(topic=self.release, source=state, reason="Test: it negotiated")
        psaki = Source.objects.with_record().with_party_record().get(name="Jen Psaki")
        self.assertEqual((psaki.claim_count, psaki.party_claim_count), (4, 3))

    def test_leaving_the_party_moves_the_claims_to_the_independent_side(self):
        psaki = Source.objects.get(name="Jen Psaki")
        Source.objects.filter(pk=psaki.pk).update(affiliation=None)
        psaki = Source.objects.with_record().with_party_record().get(pk=psaki.pk)
        self.assertEqual((psaki.party_claim_count, psaki.independent_record.claims), (0, 4))

    def test_every_source_loaded_has_its_record_counted_from_scratch(self):
        """A list, a stream of small chunks and one source at a time say the same as a count."""
        parties = {(p.topic_id, p.source_id) for p in TopicParty.objects.current()}
        up = dict(Source.objects.values_list("pk", "affiliation"))
        expected = {pk: [0, 0, 0] for pk in up}
        for claim in Claim.objects.approved():
            chain = {claim.source_id, up[claim.source_id], up.get(up[claim.source_id])}
            if any((claim.topic_id, s) in parties for s in chain):
                counts = expected[claim.source_id]
                counts[0] += 1
                counts[1] += claim.verdict == Claim.Verdict.CONFIRMED
                counts[2] += claim.verdict == Claim.Verdict.REFUTED
        self.assertTrue(any(counts[0] for counts in expected.values()))
        record = lambda s: [s.party_claim_count, s.party_confirmed_count, s.party_refuted_count]  # noqa: E731
        listed = Source.objects.with_party_record()
        self.assertEqual({s.pk: record(s) for s in listed}, expected)
        streamed = listed.iterator(chunk_size=2)
        self.assertEqual({s.pk: record(s) for s in streamed}, expected)
        for pk, counts in expected.items():
            self.assertEqual(record(listed.get(pk=pk)), counts)

    def test_the_source_page_shows_both_sides(self):
        psaki = Source.objects.get(name="Jen Psaki")
        response = self.client.get(psaki.get_absolute_url())
        self.assertContains(
            response,
            '<tr class="record-as-party"><th scope="row">As a party</th><td class="num">3</td>',
        )
        self.assertContains(
            response,
            '<tr class="record-as-independent"><th scope="row">As independent</th>'
            '<td class="num">1</td>',
        )

    def test_the_source_list_counts_as_party_in_constant_queries(self):
        url = reverse("sources:list")
        with CaptureQueriesContext(connection) as before:
            response = self.client.get(url)
        self.assertContains(response, 'data-label="As a party">3</td>')
        for i in range(5):  # More parties and sources change nothing in the count of queries.
            source = Source.objects.create(name=f"Party {i}", kind=Source.Kind.GOVERNMENT)
            TopicParty.objects.create(topic=self.release, source=source, reason="Test")
        with CaptureQueriesContext(connection) as after:
            self.client.get(url)
        self.assertEqual(len(after), len(before))

    def test_the_api_gives_each_side_its_counts_and_reliability(self):
        psaki = Source.objects.get(name="Jen Psaki")
        body = self.client.get(reverse("api:source-detail", args=[psaki.pk])).json()
        self.assertEqual(
            body["as_party"], {"claims": 3, "confirmed": 0, "refuted": 0, "reliability": 0.5}
        )
        self.assertEqual(body["as_independent"]["claims"], 1)
        listed = self.client.get(reverse("api:source-list")).json()["results"]
        self.assertTrue(all("as_party" in s and "as_independent" in s for s in listed))

    def test_the_schema_documents_both_sides(self):
        schema = self.client.get(reverse("api:schema"), {"format": "json"}).json()
        source = schema["components"]["schemas"]["Source"]["properties"]
        self.assertIn("as_party", source)
        self.assertIn("as_independent", source)
        self.assertIn("internal_to", schema["components"]["schemas"]["Conflict"]["properties"])


class BoardConfirmersTests(DemoCase):
    """The status board says, per person, which organisations confirm which status."""

    def board(self, **params):
        return self.client.get(
            reverse("claims:status_board"), {"topic": self.release.slug, **params}
        )

    def rows(self, response) -> dict:
        return {row.detainee.name: row for row in response.context["rows"]}

    def test_each_person_names_who_confirms_the_status(self):
        rows = self.rows(self.board())
        confirmed = {
            name: [(c.value, c.organisations) for c in row.confirmers] for name, row in rows.items()
        }
        self.assertEqual(confirmed["Illustrative prisoner 1"], [("Released", ("CCDHRN",))])
        self.assertEqual(
            confirmed["Illustrative prisoner 2"],
            [("Released: conditionally (parole)", ("CCDHRN",))],
        )
        self.assertEqual(confirmed["Illustrative prisoner 3"], [("Released", ("U.S. government",))])

    def test_two_voices_of_one_organisation_confirm_once(self):
        prisoner = Detainee.objects.get(name="Illustrative prisoner 3")
        approve(
            "Josh Earnest",
            self.release,
            Claim.Stance.AFFIRMS,
            "Prisoner 3 was released",
            detainee=prisoner,
            status=Claim.Status.RELEASED,
            stated_on=date(2015, 1, 10),
        )
        approve(
            "Elizardo Sanchez",
            self.release,
            Claim.Stance.AFFIRMS,
            "Prisoner 3 is out",
            detainee=prisoner,
            status=Claim.Status.RELEASED,
            stated_on=date(2015, 1, 10),
        )
        (confirmation,) = self.rows(self.board())["Illustrative prisoner 3"].confirmers
        self.assertEqual(confirmation.value, "Released")
        self.assertEqual(confirmation.organisations, ("CCDHRN", "U.S. government"))

    def test_the_row_shows_the_confirmers(self):
        response = self.board()
        self.assertContains(
            response,
            '<li><span class="confirmed-value">Released</span>, confirmed by U.S. government</li>',
        )


class InternalLabelTests(DemoCase):
    """Two voices of one organisation: labelled on the list, the conflict page and the API."""

    def setUp(self):
        self.conflict = self.earnest_denies()

    def test_the_conflicts_list_labels_it(self):
        for params in ({}, {"topic": self.release.slug}):
            with self.subTest(params):
                response = self.client.get(reverse("claims:conflicts"), params)
                self.assertContains(
                    response, "Internal inconsistency: two voices of U.S. government", count=1
                )

    def test_the_conflict_page_labels_it_and_not_the_others(self):
        response = self.client.get(self.conflict.get_absolute_url())
        self.assertContains(response, "Two voices of U.S. government, not two sources disagreeing")
        other = Conflict.objects.exclude(pk=self.conflict.pk).first()
        self.assertNotContains(self.client.get(other.get_absolute_url()), "Internal inconsistency")

    def test_the_api_carries_the_organisation_or_null(self):
        one = self.client.get(reverse("api:conflict-detail", args=[self.conflict.pk])).json()
        self.assertEqual(one["internal_to"], "U.S. government")
        listed = self.client.get(reverse("api:conflict-list")).json()["results"]
        labels = {c["id"]: c["internal_to"] for c in listed}
        self.assertEqual(labels.pop(self.conflict.pk), "U.S. government")
        self.assertEqual(set(labels.values()), {None})

    def test_the_api_list_labels_in_constant_queries(self):
        url = reverse("api:conflict-list")
        with CaptureQueriesContext(connection) as before:
            self.client.get(url)
        approve("The White House", self.release, Claim.Stance.DENIES, "None released, says the WH")
        with CaptureQueriesContext(connection) as after:
            listed = self.client.get(url).json()["results"]
        self.assertGreater(len(listed), 3)
        # One query per level of affiliation above those joined, at most: never one per row.
        self.assertLessEqual(len(after), len(before))


class NamedCountQueriesTests(DemoCase):
    """The derived count reads a few rows, whatever the number of named persons."""

    def test_queries_stay_the_same_as_named_persons_grow(self):
        with CaptureQueriesContext(connection) as three:
            count = named_count(self.release)
        self.assertEqual(count.total, 3)
        add_releases(self.release, 10, 0)
        with CaptureQueriesContext(connection) as thirteen:
            count = named_count(self.release)
        self.assertEqual(count.total, 13)
        self.assertEqual(
            [(o.name, n) for o, n in count.by_organisation],
            [
                ("Cuban Commission for Human Rights and National Reconciliation", 12),
                ("U.S. government", 1),
            ],
        )
        self.assertEqual(len(thirteen), len(three))

    def test_a_superseded_report_counts_no_more(self):
        prisoner = Detainee.objects.get(name="Illustrative prisoner 3")
        approve(
            "Jen Psaki",
            self.release,
            Claim.Stance.AFFIRMS,
            "Prisoner 3 is back in prison",
            detainee=prisoner,
            status=Claim.Status.IMPRISONED,
            stated_on=date(2015, 1, 12),
        )
        self.assertEqual(named_count(self.release).total, 2)


class ImportDatesTests(DemoCase):
    """A fresh demo's history is dated at the case's own dates, and says it was imported."""

    def page(self, day: str):
        return self.client.get(self.release.get_absolute_url(), {"as_known_on": day})

    def test_jan_6_shows_the_claims_stated_by_then(self):
        response = self.page("2015-01-06")
        summaries = {c.summary for c in response.context["claims"]}
        self.assertIn("Some of the 53 released", summaries)
        self.assertIn("No information on any release", summaries)
        stated = {c.stated_on for c in response.context["claims"]}
        self.assertLessEqual(max(stated), date(2015, 1, 6))
        self.assertEqual(len(response.context["claims"]), 4)  # Jan 5 and Jan 6 on the deal

    def test_jan_5_knew_only_psakis_first_word(self):
        (claim,) = self.page("2015-01-05").context["claims"]
        self.assertEqual(claim.stated_on, date(2015, 1, 5))

    def test_the_gap_opens_on_the_later_claims_day(self):
        self.assertEqual(self.page("2015-01-05").context["open_conflicts"], [])
        opened = self.page("2015-01-06").context["open_conflicts"]
        self.assertEqual([c.kind for c in opened], ["gap"])
        kinds = sorted(c.kind for c in self.page("2015-01-14").context["open_conflicts"])
        self.assertIn("list_contradiction", kinds)

    def test_the_rows_say_they_were_imported_and_keep_their_user(self):
        claim = Claim.objects.get(
            source__name="Jen Psaki", topic=self.release, stance="affirms", detainee=None
        )
        (row,) = claim.history.all()
        self.assertEqual(row.history_date.date(), date(2015, 1, 6))
        self.assertTrue(row.history_change_reason.startswith("Imported from a case file."))
        self.assertIn("dated at the claim's statement, 2015-01-06", row.history_change_reason)
        self.assertIsNone(row.history_user)

    def test_the_importing_user_stays_on_the_dated_rows(self):
        importer = User.objects.create(username="importer")
        claim = {
            "source": "Josh Earnest",
            "topic": RELEASE,
            "kind": "fact",
            "stance": "affirms",
            "quote": "Some were released on Wednesday.",
            "summary": "Some released",
            "stated_on": "2015-01-07",
            "state": "approved",
        }
        import_case({"claims": [claim]}, user=importer)
        (row,) = Claim.history.filter(summary="Some released", source__name="Josh Earnest")
        self.assertEqual(row.history_user, importer)
        self.assertEqual(row.history_date.date(), date(2015, 1, 7))
        self.assertEqual(row.state, Claim.State.APPROVED)

    def test_a_stored_claim_updated_keeps_the_import_day(self):
        claim = Claim.objects.get(
            source__name="Jen Psaki", topic=self.release, stance="affirms", detainee=None
        )
        Claim.objects.filter(pk=claim.pk).update(summary="Edited since")
        call_command("import_case", str(DEMO_CASE), stdout=StringIO())
        newest = claim.history.order_by("-history_date").first()
        self.assertEqual(newest.summary, "Some of the 53 released")
        self.assertEqual(newest.history_date.date(), timezone.localdate())


class PastTopicAndBoardTests(DemoCase):
    """The past topic page has the derived count and the party grouping; the board has a past."""

    def test_the_past_topic_page_groups_the_claims_by_parties(self):
        response = self.client.get(self.release.get_absolute_url(), {"as_known_on": "2015-01-06"})
        parties = {c.source.name for c in response.context["party_claims"]}
        independent = {c.source.name for c in response.context["independent_claims"]}
        self.assertEqual(parties, {"Jen Psaki"})
        self.assertEqual(independent, {"Elizardo Sanchez", "Wire report"})
        self.assertContains(response, "Claims by parties")

    def test_the_past_derived_count_counts_what_was_known_then(self):
        on_6th = self.client.get(self.release.get_absolute_url(), {"as_known_on": "2015-01-06"})
        self.assertEqual(on_6th.context["named_count"].total, 0)
        on_9th = self.client.get(self.release.get_absolute_url(), {"as_known_on": "2015-01-09"})
        self.assertEqual(on_9th.context["named_count"].total, 3)
        self.assertContains(on_9th, "Named releases reported: 3 of 53</strong>, by CCDHRN 2")

    def test_the_past_board_shows_only_what_was_known_then(self):
        url = reverse("claims:status_board")
        before = self.client.get(url, {"topic": self.release.slug, "as_known_on": "2015-01-08"})
        self.assertContains(before, "A view of the past.")
        self.assertEqual(before.context["sources"], [])
        self.assertTrue(all(row.reports == 0 for row in before.context["rows"]))
        after = self.client.get(url, {"topic": self.release.slug, "as_known_on": "2015-01-09"})
        rows = {row.detainee.name: row for row in after.context["rows"]}
        self.assertEqual(
            rows["Illustrative prisoner 3"].confirmers[0].organisations, ("U.S. government",)
        )
        self.assertContains(after, f"?topic={self.release.slug}&amp;as_known_on=2015-01-09")

    def test_the_past_board_shows_a_status_as_it_read_then(self):
        prisoner = Detainee.objects.get(name="Illustrative prisoner 3")
        approve(
            "Jen Psaki",
            self.release,
            Claim.Stance.AFFIRMS,
            "Prisoner 3 is back in prison",
            detainee=prisoner,
            status=Claim.Status.IMPRISONED,
            stated_on=date(2015, 1, 12),
        )
        url = reverse("claims:status_board")
        then = self.client.get(url, {"topic": self.release.slug, "as_known_on": "2015-01-09"})
        rows = {row.detainee.name: row for row in then.context["rows"]}
        self.assertEqual(rows["Illustrative prisoner 3"].confirmers[0].value, "Released")
        now = self.client.get(url, {"topic": self.release.slug})
        rows = {row.detainee.name: row for row in now.context["rows"]}
        self.assertEqual(
            rows["Illustrative prisoner 3"].confirmers[0].value, "Detained: imprisoned"
        )

    def test_a_bad_date_on_the_board_answers_400(self):
        response = self.client.get(
            reverse("claims:status_board"), {"topic": self.release.slug, "as_known_on": "Monday"}
        )
        self.assertEqual(response.status_code, 400)

    def test_the_past_board_runs_a_constant_number_of_queries(self):
        url = reverse("claims:status_board")
        params = {"topic": self.release.slug, "as_known_on": "2015-01-09"}
        with CaptureQueriesContext(connection) as before:
            self.client.get(url, params)
        add_releases(self.release, 5, 0)
        with CaptureQueriesContext(connection) as after:
            self.client.get(url, params)
        self.assertEqual(len(after), len(before))
