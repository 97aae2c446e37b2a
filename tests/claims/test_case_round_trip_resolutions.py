"""
The track record survives a move: export with resolutions, import into an empty database.

`manage.py export_case --with-resolutions` writes the case file with the
decisions people took on conflicts (outcome, rationale, evidence, the value
found true, who and when) and the claims' verdicts; the database is emptied
(users stay: they are matched by username); `manage.py import_case` reads
it back. The same decisions and the same verdicts come back, recorded as
taken by the same people at the same time. docs/case-files.md is the format.
"""

from __future__ import annotations

import io
import json
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import TestCase
from django.urls import reverse

from claims.casefile import CaseFileError, import_case
from claims.models import Claim, Conflict, Topic
from sources.models import Source
from tests.cast import JanuaryCast
from tests.claims.test_import_case import empty_the_database
from tests.roles import RoleCast

EVIDENCE = "https://www.state.gov/list-2015-01-12"


def decisions() -> list[tuple]:
    """Every decision people took, told by sources and quotes (ids change in a move)."""
    rows = []
    for c in Conflict.objects.filter(status__in=Conflict.HUMAN_CLOSED).select_related(
        "claim_a__source", "claim_b__source", "status_changed_by"
    ):
        sides = {"a_right": c.claim_a, "b_right": c.claim_b}
        right = sides.get(c.outcome)
        rows.append(
            (
                frozenset((x.source.name, x.quote) for x in c.claims),
                c.status,
                (right.source.name, right.quote) if right else c.outcome,
                c.status_reason,
                c.evidence_url,
                c.true_quantity,
                c.true_status,
                c.true_as_of,
                c.status_changed_by.username if c.status_changed_by else None,
                c.status_changed_at,
            )
        )
    # By the sides' sorted names and quotes: a frozenset's repr lists them in an
    # order that can differ between two equal sets (CI saw it after a move).
    return sorted(rows, key=lambda row: (sorted(row[0]), repr(row[1:])))


def unsided(resolution: dict) -> dict:
    """Return a resolution of a case file with its two claims as a set, the right one named."""
    rest = {k: v for k, v in resolution.items() if k not in ("claim_a", "claim_b", "outcome")}
    sides = {"a_right": "claim_a", "b_right": "claim_b"}
    outcome = resolution["outcome"]
    right = resolution[sides[outcome]] if outcome in sides else outcome
    claims = {json.dumps(resolution[k], sort_keys=True) for k in ("claim_a", "claim_b")}
    return {**rest, "claims": claims, "right": right}


def verdicts() -> dict[tuple, str]:
    return {(c.source.name, c.quote): c.verdict for c in Claim.objects.select_related("source")}


class ResolutionsRoundTripTests(RoleCast, JanuaryCast, TestCase):
    @classmethod
    def setUpTestData(cls) -> None:
        super().setUpTestData()
        cls.release.tolerance_percent = 2  # And an absolute tolerance of 0.
        cls.release.save()
        cnn = Source.objects.create(name="CNN", kind=Source.Kind.MEDIA)
        granma = Source.objects.create(name="Granma", kind=Source.Kind.MEDIA)
        cls.none_released = cls.claim(
            cnn, stance="denies", quote="None has been freed", summary="None freed"
        )
        cls.all_53 = cls.claim(
            granma,
            stance="affirms",
            quantity_min=53,
            quantity_max=53,
            quote="All 53 are free",
            summary="All 53 freed",
        )
        # A true value: Psaki right, CNN and Granma refuted, Sanchez unverified.
        contradiction = Conflict.objects.get(claim_a=cls.some_released, claim_b=cls.none_released)
        contradiction.resolve(
            by=cls.moderator,
            outcome="",
            rationale="The Jan 12 list names 36.",
            evidence_url=EVIDENCE,
            true_quantity=36,
        )
        gap = Conflict.objects.get(claim_a=cls.no_information, claim_b=cls.all_53)
        gap.dismiss(by=cls.admin, reason="Sanchez spoke of names, not numbers.")

    def setUp(self) -> None:
        self.tmp = tempfile.TemporaryDirectory()
        self.addCleanup(self.tmp.cleanup)

    def export(self, *args: str) -> dict:
        path = Path(self.tmp.name) / "case.json"
        call_command("export_case", *args, "--output", str(path), stdout=io.StringIO())
        return json.loads(path.read_text(encoding="utf-8"))

    def import_(self, document: dict) -> str:
        path = Path(self.tmp.name) / "in.json"
        path.write_text(json.dumps(document), encoding="utf-8")
        out, err = io.StringIO(), io.StringIO()
        call_command("import_case", str(path), stdout=out, stderr=err)
        return out.getvalue() + err.getvalue()

    def test_a_move_keeps_outcomes_rationales_true_values_verdicts_who_and_when(self):
        before_decisions, before_verdicts = decisions(), verdicts()
        self.assertEqual(len(before_decisions), 2)
        self.assertIn("refuted", before_verdicts.values())
        exported = self.export("--with-resolutions")

        empty_the_database()
        # Claims arrive in another order: ids, and so which claim is "A", change.
        exported["claims"].reverse()
        said = self.import_(exported)

        self.assertIn("resolutions: 2 created", said)
        self.assertEqual(decisions(), before_decisions)
        self.assertEqual(verdicts(), before_verdicts)
        topic = Topic.objects.get(title=self.release.title)
        self.assertEqual((topic.tolerance, topic.tolerance_percent), (0, 2))
        # The record says who decided, and when (the history row itself is the import's).
        resolved = Conflict.objects.get(status="resolved")
        record = resolved.history.latest()
        self.assertEqual(record.history_user, self.moderator)
        self.assertIn(
            f"Imported from a case file. Resolved by mona on {resolved.status_changed_at:%Y-%m-%d}",
            record.history_change_reason,
        )
        granma = Claim.objects.get(source__name="Granma")
        self.assertEqual(granma.history.latest().history_user, self.moderator)
        # And a second export carries the same decisions (A and B may have swapped).
        again = self.export("--with-resolutions")
        self.assertEqual(
            [unsided(r) for r in again["resolutions"]],
            [unsided(r) for r in exported["resolutions"]],
        )

    def test_importing_the_same_file_twice_changes_nothing(self):
        exported = self.export("--with-resolutions")

        said = self.import_(exported)

        self.assertIn("resolutions: 0 created, 0 updated, 2 unchanged", said)

    def test_a_decider_unknown_here_is_named_in_the_history_and_the_importer_records_it(self):
        exported = self.export("--with-resolutions")
        for resolution in exported["resolutions"]:
            resolution["decided_by"] = "jdoe"
        empty_the_database()
        path = Path(self.tmp.name) / "in.json"
        path.write_text(json.dumps(exported), encoding="utf-8")
        err = io.StringIO()

        call_command("import_case", str(path), "--user", "ed", stdout=io.StringIO(), stderr=err)

        self.assertIn("no user 'jdoe' here", err.getvalue())
        resolved = Conflict.objects.get(status="resolved")
        self.assertEqual(resolved.status_changed_by, self.editor)
        self.assertIn(
            "by jdoe (no such user here)", resolved.history.latest().history_change_reason
        )

    def test_without_the_option_the_file_carries_no_decisions(self):
        exported = self.export()

        self.assertNotIn("resolutions", exported)
        self.assertNotIn("verdict", exported["claims"][0])
        self.assertEqual(exported["topics"][0]["tolerance_percent"], 2.0)

    def test_a_resolution_of_claims_that_do_not_conflict_here_imports_nothing(self):
        exported = self.export("--with-resolutions")
        empty_the_database()
        # Psaki's "some released" no longer denies CNN's: the pair agrees.
        for claim in exported["claims"]:
            if claim["quote"] == "None has been freed":
                claim["stance"] = "affirms"

        with self.assertRaises(CaseFileError) as caught:
            import_case(exported)

        self.assertIn("do not conflict here", str(caught.exception.errors[0]))
        self.assertFalse(Claim.objects.exists())

    def test_the_import_refuses_a_resolution_naming_a_claim_it_does_not_know(self):
        exported = self.export("--with-resolutions")
        exported["resolutions"][0]["claim_a"]["quote"] = "Never said"
        path = Path(self.tmp.name) / "in.json"
        path.write_text(json.dumps(exported), encoding="utf-8")
        err = io.StringIO()

        with self.assertRaises(CommandError):
            call_command("import_case", str(path), stdout=io.StringIO(), stderr=err)

        self.assertIn("resolutions[0].claim_a: no claim of", err.getvalue())

    def test_the_topic_download_carries_decisions_for_moderators_only(self):
        url = reverse("claims:topic_case", args=[self.release.slug]) + "?resolutions=1"
        self.client.force_login(self.reader)
        self.assertEqual(self.client.get(url).status_code, 403)

        self.client.force_login(self.moderator)
        document = json.loads(self.client.get(url).content)

        self.assertEqual(len(document["resolutions"]), 2)
        decided_at = datetime.fromisoformat(document["resolutions"][0]["decided_at"])
        self.assertEqual(decided_at.tzinfo, UTC)
        self.assertEqual(
            {c["verdict"] for c in document["claims"]}, {None, "confirmed", "refuted", "unverified"}
        )
