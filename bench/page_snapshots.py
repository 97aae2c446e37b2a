"""
Snapshots of the claim, conflict and detainee pages, to show a change leaves them as they were.

Saves each page's HTML (CSRF tokens blanked) as a moderator and anonymously
into a directory; run it before a change and after, then `diff -r` the two.
The pages are chosen from the data: the claims bench/inprocess_pages.py
measures, and a sample of every kind a claim page draws differently (relays of
a claim and of a source, retracted, with a verdict, superseded, superseding,
about a detainee, positions, in many conflicts), conflicts of every status,
and the detainees with most claims.

    .venv/bin/python bench/page_snapshots.py --database-url $DB /tmp/before
    (change the code; DB=postgres://postgres@127.0.0.1:5432/crosscheck_NAME_1m)
    .venv/bin/python bench/page_snapshots.py --database-url $DB /tmp/after
    diff -r /tmp/before /tmp/after && echo same

Run it on a copy of the volume database (it creates `bench-moderator`).
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from common import DEFAULT_DATABASE_URL, print_header, setup_django

TOKEN = re.compile(r'(name="(?:csrfmiddlewaretoken|submission_token)" value=")[^"]*(")')


def targets(sample: int) -> list[str]:
    from django.db import connection
    from django.db.models import Count, Q

    from claims.models import Claim, Conflict, Detainee

    linkable = Claim.objects.linkable().order_by("pk")
    step = max(1, linkable.count() // sample)
    wanted: list[int] = []
    for queryset in (
        linkable.filter(relays__isnull=False),
        linkable.filter(relays_source__isnull=False),
        linkable.filter(state=Claim.State.RETRACTED),
        linkable.exclude(verdict=""),
        linkable.filter(superseded_by__isnull=False),
        linkable.filter(supersedes__isnull=False),
        linkable.filter(detainee__isnull=False),
        linkable.filter(kind=Claim.Kind.POSITION),
        linkable.filter(in_open_conflict=True),
        linkable.filter(relayed_by__isnull=False),
    ):
        wanted += list(queryset.values_list("pk", flat=True).distinct()[:8])
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c FROM (SELECT claim_a_id c FROM claims_conflict UNION ALL "
            "SELECT claim_b_id FROM claims_conflict) x GROUP BY c ORDER BY count(*) DESC LIMIT 5"
        )
        wanted += [row[0] for row in cursor.fetchall()]
        cursor.execute(
            f"SELECT id FROM claims_claim WHERE id % {step} = 0 ORDER BY id LIMIT {sample}"
        )
        wanted += [row[0] for row in cursor.fetchall()]
    wanted += list(Conflict.objects.open().order_by("pk").values_list("claim_a", flat=True)[:3])
    paths = [f"/claims/{pk}/" for pk in dict.fromkeys(wanted)]
    conflicts: list[int] = []
    for status in Conflict.Status.values:
        conflicts += list(
            Conflict.objects.filter(status=status).order_by("pk").values_list("pk", flat=True)[:6]
        )
    conflicts += list(
        Conflict.objects.filter(~Q(true_status="") | Q(true_quantity__isnull=False))
        .order_by("pk")
        .values_list("pk", flat=True)[:4]
    )
    paths += [f"/conflicts/{pk}/" for pk in dict.fromkeys(conflicts)]
    detainees = list(
        Detainee.objects.annotate(n=Count("claims"))
        .order_by("-n", "pk")
        .values_list("pk", flat=True)[:4]
    )
    detainees += list(Detainee.objects.order_by("pk").values_list("pk", flat=True)[:4])
    paths += [f"/detainees/{pk}/" for pk in dict.fromkeys(detainees)]
    return paths


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("directory")
    parser.add_argument("--database-url", default=DEFAULT_DATABASE_URL)
    parser.add_argument("--sample", type=int, default=60, help="Claims taken evenly by id.")
    args = parser.parse_args()
    print_header("Page snapshots (Django test client)")
    setup_django(args.database_url)
    from django.conf import settings
    from django.test import Client
    from django.test.utils import setup_test_environment
    from inprocess_pages import moderator

    setup_test_environment()
    settings.ALLOWED_HOSTS = ["*"]
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    staff = Client()
    staff.force_login(moderator())
    out = Path(args.directory)
    paths = targets(args.sample)
    for who, client in (("moderator", staff), ("anonymous", Client())):
        for path in paths:
            # Twice: the second is drawn from the kept cards, and must be the same page.
            for turn in ("first", "again"):
                response = client.get(path, secure=True)
                html = TOKEN.sub(r"\1-\2", response.content.decode())
                name = path.strip("/").replace("/", "-")
                target = out / who / turn / f"{name}.html"
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_text(f"{response.status_code}\n{html}")
    print(f"{len(paths)} pages, twice each as a moderator and anonymously, in {out}")


if __name__ == "__main__":
    main()
