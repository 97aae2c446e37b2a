"""Import a case file (DESIGN.md "Case files"): all of it, or nothing.

`--if-empty` imports only into a database that holds no case yet (no source,
topic or claim): what `make run` uses for the demo, so that starting the app
again never reverts what a person did since (an edited summary, a retracted
claim). Importing over existing rows stays what it was, a deliberate act.
"""

from __future__ import annotations

import json
import sys

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from claims.casefile import CaseFileError, import_case, validate_case


class Command(BaseCommand):
    help = "Import a case file (JSON). Every error is listed; on any error nothing is written."

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help="Path to the case file, or - to read standard input.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Check the file and report; write nothing."
        )
        parser.add_argument(
            "--user", help="Username recorded in history as the author of the import."
        )
        parser.add_argument(
            "--if-empty",
            action="store_true",
            help="Import only if the database holds no sources, topics or claims yet.",
        )

    def handle(self, *args, **options) -> None:
        if options["if_empty"] and self.holds_a_case():
            self.stdout.write(
                f"The database already holds a case: {options['file']} was not imported, "
                "and nothing was changed."
            )
            return
        data = self.read(options["file"])
        user = None
        if options["user"]:
            try:
                user = get_user_model().objects.get_by_natural_key(options["user"])
            except get_user_model().DoesNotExist:
                raise CommandError(f"No user named {options['user']!r}.") from None

        if options["dry_run"]:
            errors = validate_case(data)
            if errors:
                self.fail(CaseFileError(errors))
            self.stdout.write("The case file is valid; nothing was written (dry run).")
            return

        try:
            result = import_case(data, user=user)
        except CaseFileError as exc:
            self.fail(exc)
        for warning in result.warnings:
            self.stderr.write(f"warning: {warning}")
        self.stdout.write(f"Imported {options['file']}: {result.summary()}")

    def holds_a_case(self) -> bool:
        from claims.models import Claim, Topic
        from sources.models import Source

        return any(model.objects.exists() for model in (Source, Topic, Claim))

    def read(self, path: str):
        name = "standard input" if path == "-" else path
        try:
            if path == "-":
                text = sys.stdin.read()
            else:
                with open(path, encoding="utf-8") as f:
                    text = f.read()
        except OSError as exc:
            raise CommandError(f"Cannot read {name}: {exc.strerror}.") from None
        except UnicodeDecodeError:
            raise CommandError(f"{name} is not UTF-8 text.") from None
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise CommandError(
                f"{name} is not valid JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}."
            ) from None

    def fail(self, exc: CaseFileError) -> None:
        for error in exc.errors:
            self.stderr.write(str(error))
        raise CommandError(str(exc))
