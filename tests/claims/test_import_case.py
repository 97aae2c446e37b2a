"""Case files: validation, all-or-nothing import, idempotence, the demo case, round trips."""

from __future__ import annotations

import copy
import io
import json
import tempfile
from pathlib import Path
from unittest import mock

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import TestCase

from claims.casefile import CaseFileError, export_case, import_case, validate_case
from claims.models import Claim, Conflict, Detainee, Document, Topic, TopicParty
from sources.models import CredibilityNote, Source

DEMO_CASE = Path(settings.BASE_DIR) / "cases" / "cuba-2015-01.json"
RELEASE = "Release of the 53 prisoners"
ARTICLE = "US: Cuba Has Released Some of 53 'Political' Prisoners"


def load_demo() -> dict:
    return json.loads(DEMO_CASE.read_text(encoding="utf-8"))


def claim(**changes) -> dict:
    data = {
        "source": "Jen Psaki",
        "topic": RELEASE,
        "detainee": None,
        "kind": "fact",
        "stance": "affirms",
        "quantity_min": 1,
        "quantity_max": 53,
        "status": None,
        "quote": "They have already released some of the prisoners",
        "summary": "Some of the 53 released",
        "stated_on": "2015-01-06",
        "as_of": None,
        "document": ARTICLE,
        "citation_url": None,
        "language": "en",
        "state": "approved",
    }
    data.update(changes)
    return data


def small_case() -> dict:
    """Return a small valid case: a gap between "some released" and "no information"."""
    return {
        "sources": [
            {
                "name": "U.S. Department of State",
                "kind": "government",
                "country": "US",
                "url": "https://www.state.gov",
            },
            {"name": "Jen Psaki", "kind": "official", "affiliation": "U.S. Department of State"},
            {"name": "Elizardo Sanchez", "kind": "monitor", "country": "CU"},
        ],
        "notes": [
            {
                "source": "U.S. Department of State",
                "body": "Party to the Dec. 17 agreement; has given no names or numbers.",
            }
        ],
        "documents": [
            {
                "title": ARTICLE,
                "publisher": "Wire report",
                "url": None,
                "published_on": "2015-01-06",
            }
        ],
        "topics": [
            {
                "title": RELEASE,
                "question": "Has Cuba released the 53 prisoners, and how many?",
                "quantity_label": "prisoners released",
                "quantity_min": 0,
                "quantity_max": 53,
                "window_days": 7,
            }
        ],
        "detainees": [{"name": "Unidentified prisoner", "aliases": [], "topics": [RELEASE]}],
        "claims": [
            claim(),
            claim(
                source="Elizardo Sanchez",
                stance="no_information",
                quantity_min=None,
                quantity_max=None,
                quote="We don't have any information up to now",
                summary="No information on any release",
            ),
        ],
    }


def row_counts() -> dict[str, int]:
    """Count the rows of every table of both apps: history and many-to-many included."""
    models = [
        model
        for app in ("sources", "claims")
        for model in apps.get_app_config(app).get_models(include_auto_created=True)
    ]
    return {model._meta.label: model.objects.count() for model in models}


def messages(data) -> list[str]:
    return [str(error) for error in validate_case(data)]


class ValidateCaseTests(TestCase):
    def test_a_valid_case_has_no_errors(self):
        self.assertEqual(validate_case(small_case()), [])

    def test_the_demo_case_is_valid(self):
        self.assertEqual(validate_case(load_demo()), [])

    def test_it_names_the_place_and_value_of_a_bad_stance(self):
        data = small_case()
        data["claims"][1]["stance"] = "maybe"
        self.assertEqual(
            messages(data),
            ["claims[1].stance: 'maybe' is not one of affirms, denies, no_information, declines"],
        )

    def test_it_reports_every_error_with_its_path(self):
        data = small_case()
        data["sources"][2]["kind"] = "ngo"
        data["topics"][0]["window_days"] = "seven"
        data["claims"][0]["stance"] = "maybe"
        data["claims"][0]["stated_on"] = "2015-02-30"
        data["claims"][1]["source"] = "Elizardo Sanches"
        data["claims"].append(claim(kind="opinion", quote="Another quote"))
        self.assertEqual(
            messages(data),
            [
                "sources[2].kind: 'ngo' is not one of "
                "government, official, monitor, legislator, media, other",
                "topics[0].window_days: 'seven' is not a whole number",
                "claims[0].stance: 'maybe' is not one of affirms, denies, no_information, declines",
                "claims[0].stated_on: '2015-02-30' is an impossible date: "
                "February 2015 has 28 days",
                "claims[1].source: 'Elizardo Sanches' is not a source in this file "
                "or in the database; did you mean 'Elizardo Sanchez'?",
                "claims[2].kind: 'opinion' is not one of fact, position",
            ],
        )

    def test_it_reports_an_unknown_source_topic_document_and_detainee(self):
        data = small_case()
        data["claims"][0].update(
            source="Nobody", topic="Nothing", document="No paper", detainee="No one"
        )
        data["notes"][0]["source"] = "Nobody either"
        data["detainees"][0]["topics"] = ["No topic"]
        data["sources"][1]["affiliation"] = "No ministry"
        self.assertEqual(
            messages(data),
            [
                "sources[1].affiliation: 'No ministry' is not a source in this file "
                "or in the database",
                "notes[0].source: 'Nobody either' is not a source in this file or in the database",
                "detainees[0].topics[0]: 'No topic' is not a topic in this file or in the database",
                "claims[0].source: 'Nobody' is not a source in this file or in the database",
                "claims[0].topic: 'Nothing' is not a topic in this file or in the database",
                "claims[0].detainee: 'No one' is not a detainee in this file or in the database",
                "claims[0].document: 'No paper' is not a document in this file or in the database",
            ],
        )

    def test_names_may_refer_to_rows_already_in_the_database(self):
        import_case(small_case())
        data = {
            "claims": [claim(quote="Some were freed", stated_on="2015-01-07", summary="Some freed")]
        }
        self.assertEqual(validate_case(data), [])

    def test_it_names_impossible_dates_as_such(self):
        data = small_case()
        data["claims"][0]["stated_on"] = "2015-13-01"
        data["claims"][1]["as_of"] = "2015-04-31"
        data["documents"][0]["published_on"] = "6 January 2015"
        self.assertEqual(
            messages(data),
            [
                "documents[0].published_on: '6 January 2015' is not a date in the form YYYY-MM-DD",
                "claims[0].stated_on: '2015-13-01' is an impossible date: there is no month 13",
                "claims[1].as_of: '2015-04-31' is an impossible date: April 2015 has 30 days",
            ],
        )

    def test_it_refuses_inverted_and_out_of_range_quantities(self):
        data = small_case()
        data["claims"][0].update(quantity_min=10, quantity_max=2)
        data["claims"].append(claim(quantity_min=1, quantity_max=60, quote="Sixty"))
        data["topics"].append(
            {
                "title": "Inverted",
                "question": "How many?",
                "quantity_label": "people",
                "quantity_min": 5,
                "quantity_max": 1,
            }
        )
        self.assertEqual(
            messages(data),
            [
                "topics[1].quantity_max: The upper bound (1) is below the lower bound (5).",
                "claims[0].quantity_max: The upper bound (2) is below the lower bound (10).",
                "claims[2].quantity_max: 60 is outside the topic's range "
                "(prisoners released: 0 to 53).",
            ],
        )

    def test_it_checks_quantities_against_a_topic_new_in_the_same_file(self):
        data = small_case()
        data["topics"][0]["quantity_max"] = 40
        self.assertEqual(
            messages(data),
            [
                "claims[0].quantity_max: 53 is outside the topic's range "
                "(prisoners released: 0 to 40)."
            ],
        )

    def test_it_refuses_a_stance_on_a_position(self):
        data = small_case()
        data["claims"][0].update(
            kind="position", stance="denies", quantity_min=None, quantity_max=None
        )
        self.assertEqual(
            messages(data),
            [
                "claims[0].stance: A position (opinion, demand, pledge) takes no stance: "
                "record a checkable statement as a fact. (value: 'denies')"
            ],
        )

    def test_it_refuses_an_empty_quote_once(self):
        data = small_case()
        data["claims"][0]["quote"] = ""
        data["claims"][1]["quote"] = "   "
        self.assertEqual(
            messages(data),
            [
                "claims[0].quote: Paste the quote verbatim: it cannot be empty. (value: '')",
                "claims[1].quote: Paste the quote verbatim: it cannot be empty. (value: '   ')",
            ],
        )

    def test_it_refuses_as_of_after_stated_on_and_a_status_without_detainee(self):
        data = small_case()
        data["claims"][1].update(as_of="2015-01-09", stance="affirms", status="released")
        self.assertEqual(
            messages(data),
            [
                "claims[1].as_of: A statement cannot be about a day after it was made "
                "(stated on Jan 6, 2015). (value: '2015-01-09')",
                "claims[1].status: A status is reported about a detainee: "
                "choose the detainee or remove the status. (value: 'released')",
            ],
        )

    def test_a_detainee_new_in_the_file_must_be_listed_under_the_claims_topic(self):
        data = small_case()
        data["topics"].append({"title": "Names of the 53 prisoners", "question": "Named?"})
        status_claim = claim(
            detainee="Unidentified prisoner",
            quantity_min=None,
            quantity_max=None,
            status="conditional_release",
            quote="He was paroled",
        )
        data["claims"].append(status_claim)
        data["claims"].append({**status_claim, "topic": "Names of the 53 prisoners"})
        self.assertEqual(
            messages(data),
            [
                "claims[3].detainee: 'Unidentified prisoner' is not listed under the topic "
                "'Names of the 53 prisoners': add the topic to the detainee's topics"
            ],
        )

    def test_a_stored_detainee_must_be_listed_under_the_claims_topic(self):
        import_case(small_case())
        Topic.objects.create(title="Names of the 53 prisoners", question="Named?")
        data = {
            "claims": [
                claim(
                    topic="Names of the 53 prisoners",
                    detainee="Unidentified prisoner",
                    quantity_min=None,
                    quantity_max=None,
                    status="released",
                )
            ]
        }
        self.assertEqual(
            messages(data),
            [
                "claims[0].detainee: Unidentified prisoner is not listed under the topic "
                "“Names of the 53 prisoners”."
            ],
        )

    def test_it_refuses_unknown_and_missing_keys(self):
        data = small_case()
        data["claims"][0]["stnace"] = "affirms"
        del data["claims"][1]["quote"]
        data["topix"] = []
        self.assertEqual(
            messages(data),
            [
                "topix: unknown key (value []); did you mean 'topics'?",
                "claims[0].stnace: unknown key (value 'affirms'); did you mean 'stance'?",
                "claims[1].quote: required, but missing",
            ],
        )

    def test_it_refuses_a_document_that_is_not_an_object(self):
        self.assertEqual(
            messages([]),
            [
                "a case file is a JSON object with sources, notes, documents, topics, "
                "parties, detainees, claims, resolutions; got a list"
            ],
        )
        self.assertEqual(messages({"claims": {}}), ["claims: {} is not a list"])
        self.assertEqual(messages({"claims": ["x"]}), ["claims[0]: 'x' is not an object"])

    def test_it_refuses_wrong_types(self):
        data = small_case()
        data["claims"][0]["quantity_min"] = "1"
        data["claims"][0]["quantity_max"] = True
        data["claims"][1]["summary"] = None
        data["detainees"][0]["aliases"] = "El Sexto"
        self.assertEqual(
            messages(data),
            [
                "detainees[0].aliases: 'El Sexto' is not a list of names",
                "claims[0].quantity_min: '1' is not a whole number",
                "claims[0].quantity_max: true is not a whole number",
                "claims[1].summary: null, but a value is required",
            ],
        )

    def test_it_refuses_duplicate_names_and_claims(self):
        data = small_case()
        data["sources"].append({"name": "Jen Psaki", "kind": "official"})
        data["claims"].append(claim(summary="Same claim again"))
        self.assertEqual(
            messages(data),
            [
                "sources[3].name: 'Jen Psaki' is already used by sources[1]",
                "claims[2]: same source, topic, detainee, stated_on, quote as claims[0]: "
                "the second would be taken for the first",
            ],
        )

    def test_it_refuses_an_affiliation_loop(self):
        data = small_case()
        data["sources"][0]["affiliation"] = "Jen Psaki"
        self.assertEqual(
            messages(data),
            [
                "sources[0].affiliation: 'Jen Psaki' would make 'U.S. Department of State' "
                "affiliated to itself",
                "sources[1].affiliation: 'U.S. Department of State' would make 'Jen Psaki' "
                "affiliated to itself",
            ],
        )

    def test_it_writes_nothing_while_validating(self):
        before = row_counts()
        validate_case(small_case())
        self.assertEqual(row_counts(), before)


class ImportCaseTests(TestCase):
    def test_it_imports_a_case_and_flags_the_gap(self):
        result = import_case(small_case())
        self.assertEqual(result.counts["claims"]["created"], 2)
        self.assertEqual(result.counts["sources"]["created"], 3)
        psaki = Source.objects.get(name="Jen Psaki")
        self.assertEqual(psaki.affiliation.name, "U.S. Department of State")
        detainee = Detainee.objects.get(name="Unidentified prisoner")
        self.assertEqual([t.title for t in detainee.topics.all()], [RELEASE])
        conflict = Conflict.objects.get()
        self.assertEqual((conflict.kind, conflict.status), ("gap", "open"))

    def test_a_file_with_one_bad_claim_writes_nothing(self):
        data = small_case()
        data["claims"].append(claim(stance="maybe", quote="Bad"))
        before = row_counts()
        with self.assertRaises(CaseFileError) as raised:
            import_case(data)
        self.assertEqual(
            [str(e) for e in raised.exception.errors],
            ["claims[2].stance: 'maybe' is not one of affirms, denies, no_information, declines"],
        )
        self.assertEqual(row_counts(), before)
        self.assertFalse(Source.objects.exists())

    def test_importing_twice_changes_nothing(self):
        import_case(small_case())
        before = row_counts()
        result = import_case(small_case())
        self.assertEqual(row_counts(), before)
        for section, counts in result.counts.items():
            self.assertEqual(counts["created"] + counts["updated"], 0, section)
        self.assertEqual(result.counts["claims"]["unchanged"], 2)
        self.assertEqual(result.counts["notes"]["unchanged"], 1)

    def test_importing_the_demo_case_twice_changes_nothing(self):
        import_case(load_demo())
        before = row_counts()
        import_case(load_demo())
        self.assertEqual(row_counts(), before)

    def test_a_changed_summary_updates_the_claim_and_keeps_the_old_one_in_history(self):
        import_case(small_case())
        stored = Claim.objects.get(source__name="Jen Psaki")
        data = small_case()
        data["claims"][0]["summary"] = "Some of the 53 have been released"
        result = import_case(data)
        self.assertEqual(result.counts["claims"]["updated"], 1)
        self.assertEqual(result.counts["claims"]["unchanged"], 1)
        stored.refresh_from_db()
        self.assertEqual(stored.summary, "Some of the 53 have been released")
        self.assertEqual(stored.version, 2)
        summaries = [h.summary for h in stored.history.order_by("history_date")]
        self.assertEqual(
            summaries, ["Some of the 53 released", "Some of the 53 have been released"]
        )
        self.assertEqual(Claim.objects.count(), 2)

    def test_left_out_optional_keys_keep_the_stored_values(self):
        import_case(small_case())
        history = Source.history.count()
        data = {"sources": [{"name": "U.S. Department of State", "kind": "government"}]}
        result = import_case(data)
        self.assertEqual(result.counts["sources"]["unchanged"], 1)
        self.assertEqual(
            Source.objects.get(name="U.S. Department of State").url, "https://www.state.gov"
        )
        self.assertEqual(Source.history.count(), history)

    def test_null_clears_an_optional_value(self):
        import_case(small_case())
        data = {
            "sources": [{"name": "U.S. Department of State", "kind": "government", "url": None}]
        }
        result = import_case(data)
        self.assertEqual(result.counts["sources"]["updated"], 1)
        self.assertEqual(Source.objects.get(name="U.S. Department of State").url, "")

    def test_a_note_with_a_new_body_is_a_new_note_and_the_old_one_stays(self):
        import_case(small_case())
        data = small_case()
        data["notes"][0]["body"] = "Party to the Dec. 17 agreement."
        result = import_case(data)
        self.assertEqual(result.counts["notes"]["created"], 1)
        bodies = sorted(CredibilityNote.objects.values_list("body", flat=True))
        self.assertEqual(
            bodies,
            [
                "Party to the Dec. 17 agreement.",
                "Party to the Dec. 17 agreement; has given no names or numbers.",
            ],
        )

    def test_a_note_is_never_edited_by_an_import(self):
        import_case(small_case())
        data = small_case()
        data["notes"][0]["aspect"] = "interest"
        result = import_case(data)
        self.assertEqual(result.counts["notes"]["unchanged"], 1)
        self.assertEqual(CredibilityNote.objects.get().aspect, "general")
        self.assertEqual(len(result.warnings), 1)
        self.assertIn(
            "notes[0]: the stored note with this body has aspect 'general'", result.warnings[0]
        )

    def test_a_claim_keeps_the_state_the_file_gives_it(self):
        data = small_case()
        data["claims"][1]["state"] = "pending"
        import_case(data)
        pending = Claim.objects.get(source__name="Elizardo Sanchez")
        self.assertEqual(pending.state, "pending")
        self.assertIsNotNone(pending.state_changed_at)
        self.assertFalse(Conflict.objects.exists())

        data["claims"][1]["state"] = "approved"
        result = import_case(data)
        self.assertEqual(result.counts["claims"]["updated"], 1)
        self.assertEqual(Conflict.objects.open().count(), 1)

    def test_a_claim_without_state_is_a_draft(self):
        data = small_case()
        del data["claims"][0]["state"]
        import_case(data)
        draft = Claim.objects.get(source__name="Jen Psaki")
        self.assertEqual(draft.state, "draft")
        self.assertIsNone(draft.state_changed_at)

    def test_a_wider_window_on_a_stored_topic_re_examines_its_claims(self):
        data = small_case()
        data["claims"][1]["stated_on"] = "2015-01-20"
        import_case(data)
        self.assertFalse(Conflict.objects.exists())
        data["topics"][0]["window_days"] = 30
        import_case(data)
        self.assertEqual(Conflict.objects.open().count(), 1)

    def test_it_records_the_importing_user(self):
        editor = get_user_model().objects.create_user("editor")
        import_case(small_case(), user=editor)
        psaki_claim = Claim.objects.get(source__name="Jen Psaki")
        self.assertEqual(psaki_claim.created_by, editor)
        self.assertEqual(psaki_claim.state_changed_by, editor)
        self.assertEqual(CredibilityNote.objects.get().created_by, editor)
        record = Source.history.filter(name="Jen Psaki").get()
        self.assertEqual(record.history_user, editor)
        self.assertEqual(record.history_change_reason, "Imported from a case file.")

    def test_a_detainee_gains_topics_but_never_loses_them(self):
        import_case(small_case())
        Topic.objects.create(title="Names of the 53 prisoners", question="Named?")
        data = {
            "detainees": [
                {"name": "Unidentified prisoner", "topics": ["Names of the 53 prisoners"]}
            ]
        }
        result = import_case(data)
        self.assertEqual(result.counts["detainees"]["updated"], 1)
        titles = sorted(Detainee.objects.get().topics.values_list("title", flat=True))
        self.assertEqual(titles, ["Names of the 53 prisoners", RELEASE])


class ImportCaseCommandTests(TestCase):
    def run_command(self, *args: str, stdin: str | None = None) -> tuple[str, str]:
        out, err = io.StringIO(), io.StringIO()
        with mock.patch("sys.stdin", io.StringIO(stdin or "")):
            call_command("import_case", *args, stdout=out, stderr=err)
        return out.getvalue(), err.getvalue()

    def write(self, data) -> str:
        text = data if isinstance(data, str) else json.dumps(data)
        with tempfile.NamedTemporaryFile(
            "w", suffix=".json", delete=False, encoding="utf-8"
        ) as handle:
            handle.write(text)
        self.addCleanup(Path(handle.name).unlink)
        return handle.name

    def test_it_prints_a_one_line_summary(self):
        out, err = self.run_command(self.write(small_case()))
        self.assertEqual(out.count("\n"), 1)
        self.assertIn("sources: 3 created, 0 updated, 0 unchanged", out)
        self.assertIn("claims: 2 created, 0 updated, 0 unchanged", out)
        self.assertEqual(err, "")

    def test_it_exits_non_zero_and_prints_every_error_on_its_own_line(self):
        data = small_case()
        data["claims"][0]["stance"] = "maybe"
        data["claims"][1]["stated_on"] = "2015-02-30"
        err = io.StringIO()
        with self.assertRaises(CommandError) as raised:
            call_command("import_case", self.write(data), stdout=io.StringIO(), stderr=err)
        self.assertEqual(str(raised.exception), "2 errors in the case file; nothing was imported.")
        self.assertEqual(
            err.getvalue().splitlines(),
            [
                "claims[0].stance: 'maybe' is not one of affirms, denies, no_information, declines",
                "claims[1].stated_on: '2015-02-30' is an impossible date: "
                "February 2015 has 28 days",
            ],
        )
        self.assertFalse(Source.objects.exists())

    def test_it_reports_invalid_json_with_line_and_column(self):
        path = self.write('{\n  "sources": [,]\n}')
        with self.assertRaisesMessage(
            CommandError, "is not valid JSON: Expecting value at line 2, column 15."
        ):
            self.run_command(path)

    def test_it_reports_a_missing_file(self):
        with self.assertRaisesMessage(CommandError, "Cannot read /no/such/case.json"):
            self.run_command("/no/such/case.json")

    def test_it_reads_standard_input(self):
        out, _ = self.run_command("-", stdin=json.dumps(small_case()))
        self.assertIn("claims: 2 created", out)
        self.assertEqual(Claim.objects.count(), 2)

    def test_a_dry_run_validates_and_writes_nothing(self):
        before = row_counts()
        out, _ = self.run_command("--dry-run", self.write(small_case()))
        self.assertIn("valid", out)
        self.assertEqual(row_counts(), before)

    def test_a_dry_run_reports_errors(self):
        data = small_case()
        data["claims"][0]["stance"] = "maybe"
        err = io.StringIO()
        with self.assertRaises(CommandError):
            call_command("import_case", "--dry-run", self.write(data), stderr=err)
        self.assertIn("claims[0].stance: 'maybe'", err.getvalue())


class DemoCaseTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        call_command("import_case", str(DEMO_CASE), stdout=io.StringIO())

    def claim(self, source: str, topic: str, stated_on: str) -> Claim:
        return Claim.objects.get(source__name=source, topic__title=topic, stated_on=stated_on)

    def test_it_yields_exactly_one_open_conflict_a_gap_between_psaki_and_sanchez(self):
        # Besides the illustrative list contradiction (tests/claims/test_list_demo.py).
        conflict = Conflict.objects.exclude(kind="list_contradiction").get()
        self.assertEqual((conflict.kind, conflict.status), ("gap", "open"))
        self.assertEqual(conflict.topic.title, RELEASE)
        self.assertIsNone(conflict.detainee)
        speakers = {c.source.name: c.summary for c in conflict.claims}
        self.assertEqual(
            speakers,
            {
                "Jen Psaki": "Some of the 53 released",
                "Elizardo Sanchez": "No information on any release",
            },
        )

    def test_mondays_statement_is_superseded_by_tuesdays(self):
        monday = self.claim("Jen Psaki", RELEASE, "2015-01-05")
        tuesday = self.claim("Jen Psaki", RELEASE, "2015-01-06")
        self.assertEqual(monday.superseded_by, tuesday)
        self.assertIsNone(tuesday.superseded_by)
        self.assertFalse(Conflict.objects.filter(claim_a=monday).exists())
        self.assertFalse(Conflict.objects.filter(claim_b=monday).exists())

    def test_rubios_demand_is_a_position_in_no_conflict(self):
        rubio = Claim.objects.get(source__name="Marco Rubio")
        self.assertEqual((rubio.kind, rubio.stance), ("position", ""))
        self.assertFalse(Conflict.objects.filter(topic=rubio.topic).exists())

    def test_two_unknowns_on_the_names_make_no_conflict(self):
        names = Topic.objects.get(title="Names of the 53 prisoners")
        self.assertEqual(names.claims.count(), 2)
        self.assertFalse(Conflict.objects.filter(topic=names).exists())

    def test_every_claim_is_approved_and_cites_the_article(self):
        self.assertEqual(Claim.objects.count(), 12)
        self.assertEqual(set(Claim.objects.values_list("state", flat=True)), {"approved"})
        # The four illustrative claims cite the illustrative document, marked as such.
        self.assertEqual(
            set(Claim.objects.values_list("document__title", flat=True)),
            {ARTICLE, "Illustrative: later reports of named releases"},
        )
        illustrative = Claim.objects.exclude(document__title=ARTICLE)
        self.assertEqual(illustrative.count(), 4)
        self.assertTrue(all(c.quote.startswith("Illustrative") for c in illustrative))

    def test_the_speakers_belong_to_their_organisations(self):
        affiliations = dict(
            Source.objects.filter(affiliation__isnull=False).values_list(
                "name", "affiliation__name"
            )
        )
        self.assertEqual(
            affiliations,
            {
                "Jen Psaki": "U.S. Department of State",
                "Josh Earnest": "The White House",
                "Elizardo Sanchez": "Cuban Commission for Human Rights and National Reconciliation",
                # One organisation: the U.S. government (issue 14).
                "The White House": "U.S. government",
                "U.S. Department of State": "U.S. government",
            },
        )


def describe_open_conflicts() -> list[tuple]:
    """Return the open conflicts by names and dates, which survive a round trip; ids do not."""
    return sorted(
        (
            c.topic.title,
            c.kind,
            tuple(sorted((x.source.name, x.stated_on.isoformat(), x.quote) for x in c.claims)),
        )
        for c in Conflict.objects.open().for_display()
    )


def empty_the_database() -> None:
    """Delete every domain row, as a newsroom's fresh install would have none."""
    Conflict.witnesses.through.objects.all().delete()
    Conflict.objects.all().delete()
    TopicParty.objects.all().delete()
    Claim.objects.update(superseded_by=None, relays=None)
    Claim.objects.all().delete()
    CredibilityNote.objects.all().delete()
    Detainee.objects.all().delete()
    Topic.objects.all().delete()
    Document.objects.all().delete()
    Source.objects.update(affiliation=None)
    Source.objects.all().delete()


class ExportCaseTests(TestCase):
    def test_the_export_of_the_demo_case_imports_into_an_empty_database_unchanged(self):
        import_case(load_demo())
        exported = export_case()
        conflicts = describe_open_conflicts()
        self.assertEqual(len(conflicts), 2, "the gap, and the illustrative list contradiction")

        empty_the_database()
        self.assertEqual(export_case(), {s: [] for s in exported})
        result = import_case(copy.deepcopy(exported))

        self.assertEqual(result.counts["claims"]["created"], 12)
        self.assertEqual(result.counts["parties"]["created"], 2)
        self.assertEqual(export_case(), exported)
        self.assertEqual(describe_open_conflicts(), conflicts)

    def test_importing_an_export_over_its_own_database_changes_nothing(self):
        import_case(load_demo())
        before = row_counts()
        result = import_case(export_case())
        self.assertEqual(row_counts(), before)
        # 11 sources, 6 notes, 2 documents, 3 topics, 2 parties, 4 detainees, 12 claims.
        self.assertEqual(sum(c["unchanged"] for c in result.counts.values()), 40)

    def test_an_export_of_one_topic_carries_what_it_refers_to(self):
        import_case(load_demo())
        release = Topic.objects.get(title=RELEASE)
        exported = export_case(topics=[release])
        self.assertEqual([t["title"] for t in exported["topics"]], [RELEASE])
        # With the wire report's relay of Psaki's Tuesday words.
        self.assertEqual(len(exported["claims"]), 8)
        self.assertEqual(
            [s["name"] for s in exported["sources"]],
            [
                "Cuban Commission for Human Rights and National Reconciliation",
                "Elizardo Sanchez",
                # A party to the topic goes with it, though it made no claim.
                "Government of Cuba",
                "Illustrative daily",
                "Jen Psaki",
                "U.S. Department of State",
                "U.S. government",
                "Wire report",
            ],
        )
        self.assertEqual(
            [(p["source"], p["topic"]) for p in exported["parties"]],
            [("Government of Cuba", RELEASE), ("U.S. government", RELEASE)],
        )
        self.assertEqual(exported["detainees"][0]["topics"], [RELEASE], "only the exported topics")

        empty_the_database()
        import_case(exported)
        self.assertEqual(export_case(topics=Topic.objects.all()), exported)
        self.assertEqual(Conflict.objects.open().count(), 2)

    def test_it_leaves_hidden_notes_out(self):
        import_case(small_case())
        note = CredibilityNote.objects.get()
        note.hide(by=None, reason="Wrong agreement date")
        self.assertEqual(export_case()["notes"], [])

    def test_it_writes_absent_values_as_null(self):
        import_case(small_case())
        exported = export_case()
        self.assertEqual(
            exported["sources"][1],
            {
                "name": "Jen Psaki",
                "kind": "official",
                "affiliation": "U.S. Department of State",
                "aliases": [],
                "country": None,
                "url": None,
                "description": None,
            },
        )
        self.assertEqual(exported["claims"][0]["stance"], "affirms")
        self.assertIsNone(exported["claims"][0]["as_of"])


class SourceAliasesInCaseFilesTests(TestCase):
    def test_a_case_file_carries_a_sources_aliases_and_a_changed_list_is_searched(self):
        from claims.search import parse_query, search_parsed

        case = small_case()
        case["sources"][0]["aliases"] = ["State Dept"]
        import_case(case)
        exported = {s["name"]: s for s in export_case()["sources"]}
        self.assertEqual(exported["U.S. Department of State"]["aliases"], ["State Dept"])

        case["sources"][0]["aliases"] = ["DoS"]
        import_case(case)

        claims = Claim.objects.all()
        self.assertFalse(search_parsed(claims, parse_query('"state dept"')).exists())
        self.assertTrue(search_parsed(claims, parse_query("dos")).exists())
