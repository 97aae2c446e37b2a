"""Buffers of the sources list's query with and without the party side of the record.

Run in `manage.py shell` on a database of yours (docs/benchmarks.md, "Track
record as party"); it records one party per topic (the topic's most
talkative source) when the database has none. Buffers, not time, are the
figure: the machine is shared.
"""

import time

from django.db import connection
from django.db.models import Count

from claims.models import Claim, Topic, TopicParty
from sources.models import Source

if not TopicParty.objects.exists():
    for topic in Topic.objects.all():
        top = (
            Claim.objects.filter(topic=topic)
            .values("source")
            .annotate(n=Count("*"))
            .order_by("-n")
            .first()
        )
        if top:
            TopicParty.objects.create(topic=topic, source_id=top["source"], reason="Measure")
print(
    "parties",
    TopicParty.objects.count(),
    "sources",
    Source.objects.count(),
    "claims",
    Claim.objects.count(),
)


def explain(qs):
    sql, params = qs.query.sql_with_params()
    with connection.cursor() as c:
        c.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + sql, params)
        plan = c.fetchone()[0][0]
    return plan["Plan"]["Shared Hit Blocks"] + plan["Plan"].get("Shared Read Blocks", 0), plan[
        "Execution Time"
    ]


base = Source.objects.with_record().order_by("name", "pk")[:50]
split = Source.objects.with_record().with_party_record().order_by("name", "pk")[:50]
for name, qs in (("with_record", base), ("with_record+with_party_record", split)):
    explain(qs)
    t = time.process_time()
    rows = list(qs)
    cpu = time.process_time() - t
    print(name, "buffers, ms:", explain(qs), "rows", len(rows))
