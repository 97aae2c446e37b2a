"""
Write a case file (DESIGN.md "Case files"): everything, or some topics.

    python manage.py export_case                       # everything, to standard output
    python manage.py export_case --topic release-of-the-53 --output case.json

The file is what `import_case` reads: importing it into an empty database
gives back the same sources, notes, documents, topics, detainees and
claims, and so the same open conflicts (detection finds them again). It
carries claims in every state, drafts included: it is a backup, for whoever
may run commands on the server. A reader's download of one topic
(`/topics/<slug>/case.json`) leaves drafts, pending and rejected claims out.

    python manage.py export_case --with-resolutions --output case.json

What the format does not carry: ids, history, who created or moderated a
row, hidden notes, and the reasons given for a state. What moderators
decided on conflicts (resolutions with their outcomes, rationales, evidence
and values found true; dismissals with their reasons; who and when) and the
verdicts they gave claims are carried with `--with-resolutions` (the
"resolutions" section, docs/case-files.md): `import_case` records them
again, so a newsroom that moves keeps its track record. Without it, every
conflict is found again by detection after an import, open.
"""

from __future__ import annotations

import json

from django.core.management.base import BaseCommand, CommandError

from claims.casefile import export_case
from claims.models import Topic


class Command(BaseCommand):
    help = "Write a case file (JSON) of every topic, or of the topics named by --topic."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--topic",
            action="append",
            default=[],
            metavar="SLUG",
            help="A topic's slug (as in /topics/<slug>/); repeat for several. Default: all.",
        )
        parser.add_argument(
            "--output", metavar="FILE", help="Write to FILE instead of standard output."
        )
        parser.add_argument(
            "--with-resolutions",
            action="store_true",
            help="Also carry the decisions on conflicts (resolutions, dismissals, values "
            "found true, who and when) and the claims' verdicts.",
        )

    def handle(self, *args, **options) -> None:
        topics = None
        if options["topic"]:
            slugs = list(dict.fromkeys(options["topic"]))
            found = {t.slug: t for t in Topic.objects.filter(slug__in=slugs)}
            missing = [slug for slug in slugs if slug not in found]
            if missing:
                raise CommandError(
                    "No topic with the slug "
                    + ", ".join(repr(slug) for slug in missing)
                    + "; the slug is the last part of a topic page's address."
                )
            topics = [found[slug] for slug in slugs]
        document = export_case(topics, with_resolutions=options["with_resolutions"])
        text = json.dumps(document, ensure_ascii=False, indent=2) + "\n"
        if not options["output"]:
            self.stdout.write(text, ending="")
            return
        try:
            with open(options["output"], "w", encoding="utf-8") as f:
                f.write(text)
        except OSError as exc:
            raise CommandError(f"Cannot write {options['output']}: {exc.strerror}.") from None
        counts = ", ".join(f"{len(rows)} {section}" for section, rows in document.items())
        self.stdout.write(f"Wrote {options['output']}: {counts}.")
