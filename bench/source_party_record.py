# ruff: noqa: E402, E501, E731, E741
"""
The party record (issue 14 point 2) at scale: main's three correlated
subqueries per row against this branch's two queries for the rows loaded
(sources.models.attach_party_records), under EXPLAIN (ANALYZE, BUFFERS), for
the median source (#159), the largest (#1814), and a 50-row sources list page
by name and by reliability. It asserts that both give the same figures.

The volume database records no TopicParty: `--add-parties` first makes every
organisation (the top of an affiliation chain) a party to the 10 topics its
chain made the most approved claims on (13,500 rows at a million claims).

    .venv/bin/python bench/source_party_record.py --database-url postgres://postgres@127.0.0.1:5432/crosscheck_source_1m --add-parties

Writes to the database with --add-parties: run it on a copy, never on crosscheck_volume.
"""

import argparse
import os
import re
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from common import DEFAULT_DATABASE_URL, print_header, setup_django

parser = argparse.ArgumentParser()
parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
parser.add_argument("--add-parties", action="store_true")
args = parser.parse_args()
print_header("The party record: correlated subqueries (main) against attach_party_records")
setup_django(args.database_url)
from django.db import connection
from django.db.models import OuterRef, Q

from claims.models import Claim, TopicParty
from crosscheck.counts import count_per_row
from sources.models import Source, attach_party_records


def old(qs):
    outer = lambda name: OuterRef(OuterRef(name))
    party_topics = TopicParty.objects.current().filter(
        Q(source=outer("pk"))
        | Q(source=outer("affiliation"))
        | Q(source=outer("affiliation__affiliation"))
    )
    as_party = Claim.objects.approved().filter(topic__in=party_topics.values("topic"))
    return qs.annotate(
        party_claim_count=count_per_row(as_party, "source"),
        party_confirmed_count=count_per_row(
            as_party.filter(verdict=Claim.Verdict.CONFIRMED), "source"
        ),
        party_refuted_count=count_per_row(as_party.filter(verdict=Claim.Verdict.REFUTED), "source"),
    )


def explain(sql, params):
    with connection.cursor() as c:
        c.execute(sql, params)  # warm
        c.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
        plan = [r[0] for r in c.fetchall()]
    top = next(l for l in plan if "Buffers:" in l)
    return float(re.search(r"Execution Time: ([\d.]+)", plan[-1]).group(1)), sum(
        int(n) for n in re.findall(r"(?:hit|read)=(\d+)", top)
    )


if args.add_parties:
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO claims_topicparty (reason, withdrawn, withdrawn_reason, created_at, "
            "source_id, topic_id) SELECT 'Bench: a party', false, '', now(), org, topic_id FROM ("
            "SELECT org, topic_id, row_number() OVER (PARTITION BY org ORDER BY n DESC, topic_id) "
            "AS rn FROM (SELECT COALESCE(a.affiliation_id, s.affiliation_id, s.id) AS org, "
            "c.topic_id, count(*) AS n FROM claims_claim c JOIN sources_source s ON s.id = "
            "c.source_id LEFT JOIN sources_source a ON a.id = s.affiliation_id "
            "WHERE c.state = 'approved' GROUP BY 1, 2) x) y WHERE rn <= 10 "
            "ON CONFLICT DO NOTHING"
        )
        cursor.execute("ANALYZE claims_topicparty")
print("current parties:", TopicParty.objects.current().count())
for label, qs in (
    ("source page #159", Source.objects.with_record().filter(pk=159)),
    ("source page #1814", Source.objects.with_record().filter(pk=1814)),
    (
        "sources list, first page (50 by name)",
        Source.objects.with_record().order_by("name", "pk")[:50],
    ),
    (
        "sources list, most reliable first",
        Source.objects.with_record().order_by("-reliability", "-confirmed_count", "name", "pk")[
            :50
        ],
    ),
):
    ms, buf = explain(*old(qs).query.sql_with_params())
    rows = list(qs)
    ids = [s.pk for s in rows]
    # the new: the rows' own query (no subqueries) + the one party query, captured
    from django.test.utils import CaptureQueriesContext

    ms1, buf1 = explain(*qs.query.sql_with_params())
    with CaptureQueriesContext(connection) as q:
        attach_party_records(rows)
    parts = [explain(x["sql"], None) for x in q.captured_queries]
    ms2, buf2 = sum(p[0] for p in parts), sum(p[1] for p in parts)
    oldvals = {
        s.pk: (s.party_claim_count, s.party_confirmed_count, s.party_refuted_count) for s in old(qs)
    }
    newvals = {
        s.pk: (s.party_claim_count, s.party_confirmed_count, s.party_refuted_count) for s in rows
    }
    assert oldvals == newvals, (label, oldvals, newvals)
    print(
        f"{label}: main {ms:.2f} ms {buf:,} buffers | branch rows {ms1:.2f} ms {buf1:,} buffers + {len(parts)} party queries {ms2:.2f} ms {buf2:,} buffers | same figures, {sum(v[0] for v in newvals.values()):,} party claims"
    )
