"""export_conflicts: DESIGN.md's JSON shape then issue 14's keys, the --status filter, CSV,
two queries."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Q
from django.test import TestCase

from claims.casefile import import_case
from claims.models import Claim, Conflict

DEMO_CASE = Path(settings.BASE_DIR) / "cases" / "cuba-2015-01.json"
RELEASE = "Release of the 53 prisoners"

CLAIM_KEYS = [
    "id",
    "source",
    "kind",
    "stance",
    "quantity_min",
    "quantity_max",
    "status",
    "summary",
    "stated_on",
    "as_of",
    "relays_source",
]


def export(*args: str) -> str:
    out = io.StringIO()
    call_command("export_conflicts", *args, stdout=out)
    return out.getvalue()


def import_demo() -> None:
    """Import the demo's Jan. 6 case: without its illustrative later claims (issue 14),
    whose list contradiction tests/claims/test_list_detection.py and the pages' tests cover."""
    case = json.loads(DEMO_CASE.read_text(encoding="utf-8"))
    case["claims"] = [c for c in case["claims"] if not c["quote"].startswith("Illustrative")]
    import_case(case)


def detainee_claim(source: str, status: str, **changes) -> dict:
    data = {
        "source": source,
        "topic": RELEASE,
        "detainee": "Unidentified prisoner",
        "kind": "fact",
        "stance": "affirms",
        "status": status,
        "quote": f"He is {status.replace('_', ' ')}",
        "summary": f"The prisoner is {status.replace('_', ' ')}",
        "stated_on": "2015-01-08",
        "state": "approved",
    }
    data.update(changes)
    return data


class DemoExportTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        import_demo()

    def test_it_prints_the_demo_gap_field_by_field(self):
        psaki = Claim.objects.get(source__name="Jen Psaki", topic__title=RELEASE, stance="affirms")
        sanchez = Claim.objects.get(source__name="Elizardo Sanchez", topic__title=RELEASE)
        conflict = Conflict.objects.get()
        self.assertEqual(
            json.loads(export()),
            [
                {
                    "id": conflict.pk,
                    "topic": RELEASE,
                    "detainee": None,
                    "kind": "gap",
                    "status": "open",
                    "claims": [
                        {
                            "id": psaki.pk,
                            "source": "Jen Psaki",
                            "kind": "fact",
                            "stance": "affirms",
                            "quantity_min": 1,
                            "quantity_max": 53,
                            "status": None,
                            "summary": "Some of the 53 released",
                            "stated_on": "2015-01-06",
                            "as_of": None,
                            "relays_source": None,
                        },
                        {
                            "id": sanchez.pk,
                            "source": "Elizardo Sanchez",
                            "kind": "fact",
                            "stance": "no_information",
                            "quantity_min": None,
                            "quantity_max": None,
                            "status": None,
                            "summary": "No information on any release",
                            "stated_on": "2015-01-06",
                            "as_of": None,
                            "relays_source": None,
                        },
                    ],
                    "witnesses": [],
                    "internal_to": None,
                }
            ],
        )

    def test_its_keys_come_in_the_designs_order(self):
        (conflict,) = json.loads(export())
        self.assertEqual(
            list(conflict),
            ["id", "topic", "detainee", "kind", "status", "claims", "witnesses", "internal_to"],
        )
        for claim in conflict["claims"]:
            self.assertEqual(list(claim), CLAIM_KEYS)

    def test_it_prints_an_empty_array_when_nothing_matches(self):
        self.assertEqual(json.loads(export("--status", "resolved")), [])


class ExportConflictsTests(TestCase):
    @classmethod
    def setUpTestData(cls):
        import_demo()
        cls.gap = Conflict.objects.get()
        cls.gap.status, cls.gap.status_reason = Conflict.Status.DISMISSED, "Test: not a conflict"
        cls.gap.save()
        import_case(
            {
                "claims": [
                    detainee_claim("Jen Psaki", "conditional_release", as_of="2015-01-07"),
                    detainee_claim("Elizardo Sanchez", "imprisoned"),
                ]
            }
        )
        cls.contradiction = Conflict.objects.get(kind=Conflict.Kind.CONTRADICTION)

    def test_it_lists_every_conflict_in_id_order(self):
        rows = json.loads(export())
        self.assertEqual([r["id"] for r in rows], [self.gap.pk, self.contradiction.pk])
        self.assertEqual([r["status"] for r in rows], ["dismissed", "open"])

    def test_status_open_keeps_only_the_open_ones(self):
        rows = json.loads(export("--status", "open"))
        self.assertEqual([r["id"] for r in rows], [self.contradiction.pk])

    def test_it_accepts_any_conflict_status(self):
        rows = json.loads(export("--status", "dismissed"))
        self.assertEqual([r["id"] for r in rows], [self.gap.pk])

    def test_it_refuses_an_unknown_status(self):
        with self.assertRaisesMessage(CommandError, "invalid choice: 'closed'"):
            export("--status", "closed")

    def test_it_names_the_detainee_and_writes_status_and_as_of(self):
        (row,) = json.loads(export("--status", "open"))
        self.assertEqual(row["detainee"], "Unidentified prisoner")
        self.assertEqual(row["kind"], "contradiction")
        a, b = row["claims"]
        self.assertEqual(
            (a["source"], a["status"], a["as_of"]),
            ("Jen Psaki", "conditional_release", "2015-01-07"),
        )
        self.assertEqual(
            (b["source"], b["status"], b["as_of"]), ("Elizardo Sanchez", "imprisoned", None)
        )
        self.assertEqual((a["quantity_min"], a["quantity_max"]), (None, None))

    def test_csv_has_one_flat_row_per_conflict(self):
        rows = list(csv.reader(io.StringIO(export("--format", "csv", "--status", "open"))))
        header = [
            "id",
            "topic",
            "detainee",
            "kind",
            "status",
            *(f"a_{key}" for key in CLAIM_KEYS),
            *(f"b_{key}" for key in CLAIM_KEYS),
            "witnesses",
            "internal_to",
        ]
        self.assertEqual(rows[0], header)
        self.assertEqual(len(rows), 2)
        row = dict(zip(header, rows[1], strict=True))
        a = Claim.objects.get(source__name="Jen Psaki", detainee__isnull=False)
        b = Claim.objects.get(source__name="Elizardo Sanchez", detainee__isnull=False)
        self.assertEqual(
            row,
            {
                "id": str(self.contradiction.pk),
                "topic": RELEASE,
                "detainee": "Unidentified prisoner",
                "kind": "contradiction",
                "status": "open",
                "a_id": str(a.pk),
                "a_source": "Jen Psaki",
                "a_kind": "fact",
                "a_stance": "affirms",
                "a_quantity_min": "",
                "a_quantity_max": "",
                "a_status": "conditional_release",
                "a_summary": "The prisoner is conditional release",
                "a_stated_on": "2015-01-08",
                "a_as_of": "2015-01-07",
                "a_relays_source": "",
                "b_id": str(b.pk),
                "b_source": "Elizardo Sanchez",
                "b_kind": "fact",
                "b_stance": "affirms",
                "b_quantity_min": "",
                "b_quantity_max": "",
                "b_status": "imprisoned",
                "b_summary": "The prisoner is imprisoned",
                "b_stated_on": "2015-01-08",
                "b_as_of": "",
                "b_relays_source": "",
                "witnesses": "",
                "internal_to": "",
            },
        )

    def test_it_reads_the_sources_then_the_conflicts_in_two_queries(self):
        # SELECT source (every organisation, once); SELECT conflict JOIN topic, detainee,
        # claim_a JOIN source, claim_b JOIN source, with the witnesses' subquery.
        for fmt in ("json", "csv"):
            with self.subTest(fmt), self.assertNumQueries(2):
                export("--format", fmt)


class IssueFourteenKeysTests(TestCase):
    """The whole demo (its illustrative named releases and tally), and two voices of one
    government disagreeing."""

    @classmethod
    def setUpTestData(cls):
        import_case(json.loads(DEMO_CASE.read_text(encoding="utf-8")))
        import_case(
            {
                "claims": [
                    {
                        "source": "Josh Earnest",
                        "topic": RELEASE,
                        "kind": "fact",
                        "stance": "denies",
                        "quote": "None have been released yet.",
                        "summary": "None released yet",
                        "stated_on": "2015-01-06",
                        "state": "approved",
                    }
                ]
            }
        )
        cls.listed = Conflict.objects.get(kind=Conflict.Kind.LIST_CONTRADICTION)
        psaki = Q(claim_a__source__name="Jen Psaki") | Q(claim_b__source__name="Jen Psaki")
        earnest = Q(claim_a__source__name="Josh Earnest") | Q(claim_b__source__name="Josh Earnest")
        cls.internal = Conflict.objects.get(psaki & earnest)

    def rows(self, *args) -> dict:
        return {row["id"]: row for row in json.loads(export(*args))}

    def test_a_list_conflict_carries_its_witnesses(self):
        row = self.rows()[self.listed.pk]
        self.assertEqual(row["kind"], "list_contradiction")
        self.assertEqual(row["witnesses"], sorted(c.pk for c in self.listed.witnesses.all()))
        self.assertEqual(len(row["witnesses"]), 3)

    def test_two_voices_of_one_government_are_labelled_internal(self):
        rows = self.rows()
        self.assertEqual(rows[self.internal.pk]["internal_to"], "U.S. government")
        others = [r["internal_to"] for pk, r in rows.items() if pk != self.internal.pk]
        self.assertEqual(set(others), {None}, "Psaki against the CCDHRN is no internal matter")

    def test_csv_ends_with_the_witnesses_and_the_organisation(self):
        rows = list(csv.DictReader(io.StringIO(export("--format", "csv"))))
        by_id = {int(r["id"]): r for r in rows}
        witnesses = sorted(c.pk for c in self.listed.witnesses.all())
        self.assertEqual(by_id[self.listed.pk]["witnesses"], "; ".join(map(str, witnesses)))
        self.assertEqual(by_id[self.internal.pk]["internal_to"], "U.S. government")
        self.assertEqual(list(rows[0])[-2:], ["witnesses", "internal_to"])

    def test_queries_stay_two_whatever_the_conflicts(self):
        with self.assertNumQueries(2):
            export()
