"""
Spreadsheet import of claims: a CSV or XLSX file, one row per claim.

`check_file` reads the file, validates every row and returns a report with
every row's outcome and every error, each naming its row (as the spreadsheet
shows it: the header is row 1) and its column; it writes nothing. `import_file`
re-runs the same check and, when nothing is wrong, writes every claim in one
transaction; on any error it raises `SpreadsheetError` and writes nothing.
Both stream the file, a chunk of rows at a time, and never hold it whole
(SheetCheck: two passes to check, a third to write; docs/imports.md).
The web page (claims.views.imports) and `manage.py import_claims` both use
these two functions.

Validity is the model's: each row becomes an unsaved Claim, checked by its
own `full_clean()` (so the messages are the claim form's), plus what the
claim form adds (names matched to stored rows, the required citation).

Choices made here (the issue leaves them open):

- Columns are found by header, ignoring case, spaces, hyphens and
  underscores ("Stated on" = "stated_on"); "document" is taken for
  "document title". Required: source, topic, kind, quote, summary, stated on.
  An unknown, repeated or missing required header is one file-level error that
  lists them and the expected columns. Blank trailing headers are ignored,
  and so are the columns only a Crosscheck claims download has (id,
  permalink, state, …: EXPORT_ONLY_COLUMNS), so that a download imports as
  it is.
- Cells are stripped of surrounding whitespace. A row whose cells are all
  empty is skipped (spreadsheets leave them at the end); its number still
  counts, so row numbers are the spreadsheet's.
- CSV: UTF-8, with or without the BOM Excel writes; the delimiter is the one
  of `,` `;` or tab the header line uses most (Excel in many locales writes
  `;`). XLSX: the first sheet, read with openpyxl in read-only mode; dates
  in date cells are taken as dates, whole numbers as numbers. An old .xls
  file is refused with a message saying how to save it.
- Choices (source kind, kind, stance, status) are taken by value or label,
  ignoring case ("No information", "no_information").
- Dates are YYYY-MM-DD (or date cells in XLSX): "1/6/2015" means January 6
  in one country and June 1 in another, so it is refused with a message.
- Formula injection: a text cell starting with `=` or `@`, or with `+` or
  `-` unless the whole cell is a number, is refused: a spreadsheet program
  would run it as a formula when the claims are exported and opened. Text
  that must start so is entered with an apostrophe first (`'=`, `'-`): the
  apostrophe is dropped and the rest kept as text. In XLSX a real formula
  cell reads as its formula text, so it is refused the same way.
- Sources are matched by name (exactly, else ignoring case when that finds
  one), as the claim form does. A missing source is created with the row's
  source kind (required then) and affiliation (an existing source, or
  another source the file creates). The same new source given two kinds or
  two affiliations is an error; so is a kind or affiliation that differs
  from a stored source's (an import never edits a stored source).
- Topics are matched by title, slug, or title ignoring case: topics carry
  the rules. A moderator's or an administrator's import creates a missing
  one from the row's Topic columns (claims.import_topics, where the rules
  are written); an editor's row naming one is an error. Detainees must
  exist (by name, or one of their aliases): a typo must not create a
  second person. Documents are matched by title and
  created when missing, with the row's document URL; a URL that differs from
  a stored or earlier row's document is an error. A citation is required, as
  on the claim form: a document title, a citation URL, or both.
- A row with the same source, topic, detainee, stated on and quote as a claim
  already stored is skipped ("already imported as claim #N"), so importing a
  file twice adds nothing; the same in two rows of one file is an error.
- State: claims land as pending, created by and state-changed by the
  importing user. A moderator (claims.moderate_claim) may import them as
  approved: detection then runs once per touched variable at the end, in the
  same transaction, through the full recompute's batched path
  (claims.detection._recompute_batch: bulk reads, conflicts opened in
  bulk), not once per claim.
- Speed: names are resolved once per distinct name (a few queries), claims
  are validated with `full_clean` minus the foreign-key existence checks (the
  rows were just read) and minus the CHECK-constraint queries (clean()
  states the same rules with better messages); `search_text` is built in
  Python; topics, sources, documents, claims and their history rows go in
  by claims.bulk.insert_with_history (COPY on PostgreSQL, `bulk_create` on
  SQLite), each history row with the user, the time and the reason
  "Imported from a spreadsheet" (a topic's: "Created by a spreadsheet
  import"); detection's new conflicts go in the same way. The import's
  claims are written a chunk at a time as the file streams a third time,
  after the new topics, sources and documents, all in one transaction.
- Memory: a report keeps each row as a few bytes (RowOutcomes: number,
  outcome, shared actions, the claim it repeats or added); errors are kept
  word for word for the first KEPT_ERROR_ROWS (1,000) rows with errors and
  counted past them (`error_count`, `SpreadsheetError.count`). A row's
  unsaved Claim lives while its chunk is checked or written, not longer;
  what lives across chunks is bounded by the distinct names: the resolved
  names, the new topics (claims.import_topics.NewTopics: a topic defined in
  an early chunk is the one later chunks' rows use), sources and documents,
  and one digest per row for the repeats within the file.
- Size: files over settings.CLAIMS_IMPORT_MAX_BYTES (20 MB by default) are
  refused before they are read; every other limit (rows, columns, cell
  size, cells, an XLSX's unpacked size and declared dimension, seconds) is
  checked as the file streams in: see "Reading the file" below.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
import time
import zipfile
from array import array
from bisect import bisect_left
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import lru_cache
from itertools import chain, count
from typing import IO, Any

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import connection, transaction
from django.db.models import F
from django.db.models.fields.tuple_lookups import Tuple, TupleIn
from django.db.models.functions import Lower
from django.utils import timezone
from openpyxl.utils import get_column_letter

from claims import detection, locks
from claims.bulk import insert_with_history
from claims.casefile import GENERIC_CODES, parse_date
from claims.import_topics import TOPIC_HEADER_ALIASES, NewTopics, save_topics
from claims.management.commands.generate_volume import fast_fold
from claims.models import Claim, Conflict, Detainee, Document, Topic, new_claims_refusal
from crosscheck.text import normalise, text_problem
from sources.models import Source, http_url
from watching import events

IMPORT_REASON = "Imported from a spreadsheet."
BATCH = 2000
DEFAULT_MAX_BYTES = 20 * 1024 * 1024
# Rows shown in full on the dry-run page; rows with errors are always shown.
Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class Column:
    key: str
    label: str
    required: bool
    help: str


COLUMNS = (
    Column("source", "Source", True, "Who said it, by name; created if missing (give its kind)."),
    Column("source_kind", "Source kind", False, "For a new source: " + ", ".join(Source.Kind)),
    Column("affiliation", "Affiliation", False, "For a new source: the source it speaks for."),
    Column(
        "topic",
        "Topic",
        True,
        "A topic, by title; a moderator's import creates a missing one (give its question).",
    ),
    Column("detainee", "Detainee", False, "An existing detainee, by name or alias."),
    Column("kind", "Kind", True, "fact or position."),
    Column(
        "stance", "Stance", False, "For a fact: affirms, denies, no information or declines to say."
    ),
    Column("quantity_min", "Quantity min", False, "A whole number within the topic's range."),
    Column("quantity_max", "Quantity max", False, "A whole number within the topic's range."),
    Column("status", "Status", False, "For a claim about a detainee, e.g. released."),
    Column("quote", "Quote", True, "Verbatim."),
    Column("quote_kind", "Quote kind", False, "direct or reported (a paraphrase); default direct."),
    Column("summary", "Summary", True, "One line, at most 300 characters."),
    Column("stated_on", "Stated on", True, "YYYY-MM-DD."),
    Column("as_of", "As of", False, "YYYY-MM-DD, if not the day it was said."),
    Column("document_title", "Document title", False, "Matched by title; created if missing."),
    Column("document_url", "Document URL", False, "For a new document."),
    Column("citation_url", "Citation URL", False, "http or https."),
    Column("language", "Language", False, "e.g. en, es; default en."),
    # A new topic's definition (claims.import_topics): moderators and administrators only.
    Column("topic_question", "Topic question", False, "For a new topic: its question."),
    Column(
        "topic_quantity_label",
        "Topic quantity label",
        False,
        "For a new topic that counts: what is counted, e.g. inhabitants.",
    ),
    Column("topic_quantity_min", "Topic quantity min", False, "Its lower bound; default 0."),
    Column("topic_quantity_max", "Topic quantity max", False, "Its upper bound; empty: none."),
    Column(
        "topic_window_days",
        "Topic window days",
        False,
        "Claims at most this many days apart are compared; default 7.",
    ),
    Column(
        "topic_tolerance", "Topic tolerance", False, "Two counts this far apart agree; default 0."
    ),
    Column(
        "topic_tolerance_percent",
        "Topic tolerance percent",
        False,
        "Or: at most this percentage of the larger apart, e.g. 1.",
    ),
)
COLUMN = {c.key: c for c in COLUMNS}
REQUIRED = tuple(c.key for c in COLUMNS if c.required)
HEADER_ALIASES = {"document": "document_title", **TOPIC_HEADER_ALIASES}
# Columns a Crosscheck claims download (crosscheck.exports) writes that an
# import does not take: they describe a stored claim, and the import makes new
# ones (pending, or approved by a moderator's choice, never by a cell). They
# are ignored, and the report says so, so that a download imports as it is.
EXPORT_ONLY_COLUMNS = frozenset(
    {
        "id",
        "permalink",
        "state",
        "verdict",
        "current",
        "superseded_by",
        "open_conflicts",
        # A relay's link names a stored claim or source: an editor sets it on
        # the claim's page once the original is known (claims.conflicts, "Relays").
        "relays_claim",
        "relays_source",
    }
)
# Where a model's messages about a field go.
CLAIM_FIELD_COLUMN = {
    "source": "source",
    "document": "document_title",
    NON_FIELD_ERRORS: "",
    **{c.key: c.key for c in COLUMNS},
}
SOURCE_FIELD_COLUMN = {"name": "source", "kind": "source_kind", "affiliation": "affiliation"}
DOCUMENT_FIELD_COLUMN = {"title": "document_title", "url": "document_url"}
# Checked by this module itself, or not the row's to give.
# The claim fields whose values come from cells as text, checked by the model's
# field validators. The others are parsed here (choices, dates, numbers),
# resolved here (names), or set by the import (state, user): re-checking
# them, and asking the database whether each foreign key exists, would
# only cost time.
CLAIM_CHECKED = {"quote", "summary", "citation_url", "language", "quantity_min", "quantity_max"}
CLAIM_EXCLUDE = [f.name for f in Claim._meta.fields if f.name not in CLAIM_CHECKED]
# A new source's fields the row gives (its affiliation is checked by this
# module): the others hold their defaults, valid by construction, and
# checking them was most of the cost of checking a source.
SOURCE_EXCLUDE = [f.name for f in Source._meta.fields if f.name not in ("name", "kind")]
CITATION_MAX_LENGTH = Claim._meta.get_field("citation_url").max_length
# Valid citation URLs remembered per import (a set of strings: ~1 MB at most).
URL_CACHE = 10_000
DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
NUMBER = re.compile(r"[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?")
FORMULA_STARTS = ("=", "@", "+", "-")
XLSX_MAGIC = b"PK\x03\x04"
XLS_MAGIC = b"\xd0\xcf\x11\xe0"


def max_bytes() -> int:
    return getattr(settings, "CLAIMS_IMPORT_MAX_BYTES", DEFAULT_MAX_BYTES)


def header_key(text: str) -> str:
    """Return the column a header names: "Stated on" and "stated_on" are both stated_on."""
    key = re.sub(r"[\s_\-]+", "_", text.strip().lower()).strip("_")
    return HEADER_ALIASES.get(key, key)


def size_message(size: int, limit: int) -> str:
    return (
        f"The file is {size / 1024 / 1024:.1f} MB; the limit is {limit / 1024 / 1024:.0f} MB. "
        "Split it into smaller files, or import it with `python manage.py import_claims`."
    )


@dataclass(frozen=True)
class CellError:
    """One thing wrong, at one row and column (row None: the file as a whole)."""

    row: int | None
    column: str
    message: str

    def __str__(self) -> str:
        place = [f"Row {self.row}" if self.row else "", self.column]
        where = ", ".join(p for p in place if p)
        return f"{where}: {self.message}" if where else self.message


class SpreadsheetError(Exception):
    """The file has errors; nothing was written.

    `errors` are the errors kept in detail (every one, up to KEPT_ERROR_ROWS
    rows of them); `count` is how many there are in all.
    """

    def __init__(self, errors: list[CellError], report: ImportReport | None = None) -> None:
        self.errors, self.report = errors, report
        self.count = count = max(len(errors), report.error_count if report is not None else 0)
        super().__init__(
            f"{count:,} error{'s' if count != 1 else ''} in the file; nothing was imported."
        )


@dataclass
class RowReport:
    """What one row does, or what is wrong with it."""

    number: int
    actions: list[str] = field(default_factory=list)
    errors: list[CellError] = field(default_factory=list)
    claim: Claim | None = None  # While its chunk is checked or written (RowOutcomes).
    skipped_as: int | None = None  # The stored claim this row repeats.
    refused: set[str] = field(default_factory=set)  # Columns whose cell was refused.
    claim_id: int | None = None  # After the import: the claim this row added.
    # The row has errors not kept in detail (past KEPT_ERROR_ROWS rows with errors).
    hidden_errors: bool = False

    @property
    def outcome(self) -> str:
        if self.errors or self.hidden_errors:
            return "error"
        return "skip" if self.skipped_as else "add"


# Rows with an error whose errors are kept word for word; past them only the
# counts grow (the job page lists 1,000, the command prints 50).
KEPT_ERROR_ROWS = 1000


class RowOutcomes(Sequence):
    """Every row's outcome, in a few bytes a row: what a report keeps of a checked file.

    A checked row is reduced to its number, its outcome, its actions (a tuple
    shared by every row with the same ones: "will add a claim by X"), the
    stored claim it repeats, and after the import the claim it added. Its
    errors are kept word for word for the first KEPT_ERROR_ROWS rows with
    errors, and counted for the rest. Indexing or iterating gives a RowReport
    rebuilt from these (without its unsaved Claim: see `claim_id`).
    """

    ADD, SKIP, ERROR = 0, 1, 2

    def __init__(self) -> None:
        self.numbers = array("I")
        self.outcomes = bytearray()
        self.actions: list[tuple[str, ...]] = []
        self.skipped_as = array("q")
        self.claim_ids = array("q")
        self.kept_errors: dict[int, list[CellError]] = {}
        self.error_count = 0
        self._shared: dict[tuple[str, ...], tuple[str, ...]] = {}

    def __len__(self) -> int:
        return len(self.numbers)

    def __getitem__(self, index):  # type: ignore[override]
        if isinstance(index, slice):
            return [self[i] for i in range(*index.indices(len(self)))]
        if index < 0:
            index += len(self)
        number = self.numbers[index]  # IndexError ends an iteration.
        outcome, skipped = self.outcomes[index], self.skipped_as[index]
        actions = list(self.actions[index])
        if skipped:
            actions = [f"already imported as claim #{skipped}: skipped"]
        errors = list(self.kept_errors.get(index, ()))
        return RowReport(
            number,
            actions=actions,
            errors=errors,
            skipped_as=skipped or None,
            claim_id=self.claim_ids[index] or None,
            hidden_errors=outcome == self.ERROR and not errors,
        )

    def __eq__(self, other) -> bool:
        if isinstance(other, RowOutcomes | list | tuple):
            return len(self) == len(other) and list(self) == list(other)
        return NotImplemented

    __hash__ = None  # type: ignore[assignment]

    def count_of(self, outcome: int) -> int:
        return self.outcomes.count(outcome)

    def add(self, row: RowReport) -> None:
        """Keep what the report needs of a checked row (its claim is let go by the caller)."""
        index = len(self.numbers)
        self.numbers.append(row.number)
        self.skipped_as.append(row.skipped_as or 0)
        self.claim_ids.append(0)
        actions = () if row.skipped_as else tuple(row.actions)
        self.actions.append(self._shared.setdefault(actions, actions))
        if row.errors:
            self.outcomes.append(self.ERROR)
            self._keep(index, row.errors)
        else:
            self.outcomes.append(self.SKIP if row.skipped_as else self.ADD)

    def add_error(self, number: int, error: CellError) -> None:
        """Add an error found later (an affiliation loop) to an already kept row."""
        index = bisect_left(self.numbers, number)
        if index == len(self.numbers) or self.numbers[index] != number:
            raise KeyError(number)
        self.outcomes[index] = self.ERROR
        self._keep(index, [error])

    def _keep(self, index: int, errors: list[CellError]) -> None:
        self.error_count += len(errors)
        if index in self.kept_errors:
            self.kept_errors[index].extend(errors)
        elif len(self.kept_errors) < KEPT_ERROR_ROWS:
            self.kept_errors[index] = list(errors)

    def errors(self) -> list[CellError]:
        return [e for index in sorted(self.kept_errors) for e in self.kept_errors[index]]


@dataclass
class ImportReport:
    """Every row's outcome and every error, and, after a real import, what was written."""

    filename: str = ""
    state: str = Claim.State.PENDING
    rows: RowOutcomes = field(default_factory=RowOutcomes)
    file_errors: list[CellError] = field(default_factory=list)
    new_sources: list[str] = field(default_factory=list)
    new_documents: list[str] = field(default_factory=list)
    new_topics: list[str] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    written: bool = False
    claims_added: int = 0
    seconds: float = 0.0
    conflicts_opened: int = 0

    @property
    def errors(self) -> list[CellError]:
        """The errors kept in detail: the file's, then the rows' (see `error_count`)."""
        return self.file_errors + self.rows.errors()

    @property
    def error_count(self) -> int:
        """How many errors there are in all, kept in detail or not."""
        return len(self.file_errors) + self.rows.error_count

    @property
    def ok(self) -> bool:
        return not self.file_errors and not self.error_rows

    @property
    def to_add(self) -> int:
        return self.rows.count_of(RowOutcomes.ADD)

    @property
    def skipped(self) -> int:
        return self.rows.count_of(RowOutcomes.SKIP)

    @property
    def error_rows(self) -> int:
        return self.rows.count_of(RowOutcomes.ERROR)

    def summary(self) -> str:
        verb = "added" if self.written else "to add"
        added = self.claims_added if self.written else self.to_add
        parts = [
            f"{len(self.rows):,} rows",
            f"{added:,} claims {verb} ({self.state})",
            f"{len(self.new_sources):,} new sources",
            f"{len(self.new_documents):,} new documents",
        ]
        if self.new_topics:
            topics = len(self.new_topics)
            s = "s" if topics != 1 else ""
            parts.append(
                f"{topics:,} topic{s} created"
                if self.written
                else f"{topics:,} topic{s} would be created"
            )
        if self.skipped:
            parts.append(f"{self.skipped:,} already imported, skipped")
        if self.error_rows:
            parts.append(f"{self.error_rows:,} rows with errors")
        return ", ".join(parts)


# Reading the file ------------------------------------------------------------
#
# Every file is streamed: a CSV line by line, an XLSX sheet row by row
# (openpyxl's read-only mode), so that memory follows the limits below and
# not the file. Each limit is checked before the work it guards: the size
# before a byte is read, an XLSX's unpacked size before it is opened, its
# declared dimension before a row is parsed (a 2 KB file declaring
# A1:XFD1048576 would otherwise be padded to 17 billion cells), and rows,
# columns, cells and cell sizes as each row arrives. A file past a limit gets
# one error naming the limit, its setting and the value found.


@dataclass(frozen=True)
class Limits:
    """The hard limits of one check or import (settings.CLAIMS_IMPORT_*)."""

    max_bytes: int = DEFAULT_MAX_BYTES
    max_rows: int = 200_000
    max_columns: int = 40
    max_cell_chars: int = 32_767
    max_cells: int = 4_000_000
    max_unzipped_bytes: int = 200 * 1024 * 1024
    seconds: float = 600.0

    @classmethod
    def from_settings(cls, **overrides: Any) -> Limits:
        default = cls()
        values = {
            "max_bytes": max_bytes(),
            "max_rows": getattr(settings, "CLAIMS_IMPORT_MAX_ROWS", default.max_rows),
            "max_columns": getattr(settings, "CLAIMS_IMPORT_MAX_COLUMNS", default.max_columns),
            "max_cell_chars": getattr(
                settings, "CLAIMS_IMPORT_MAX_CELL_CHARS", default.max_cell_chars
            ),
            "max_cells": getattr(settings, "CLAIMS_IMPORT_MAX_CELLS", default.max_cells),
            "max_unzipped_bytes": getattr(
                settings, "CLAIMS_IMPORT_MAX_UNZIPPED_BYTES", default.max_unzipped_bytes
            ),
            "seconds": getattr(settings, "CLAIMS_IMPORT_TIME_LIMIT", default.seconds),
        }
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)


def limit_error(what: str, limit: str, setting: str) -> SpreadsheetError:
    """Return the one error for a file past a limit: what was found, the limit, its setting."""
    return SpreadsheetError(
        [
            CellError(
                None,
                "",
                f"{what}; the limit is {limit} ({setting}). Nothing was checked further: "
                "split the file, or ask an administrator to raise the limit.",
            )
        ]
    )


class Budget:
    """The time one check or import may take, checked every few hundred rows."""

    def __init__(self, seconds: float) -> None:
        self.seconds, self.started = seconds, time.monotonic()

    def check(self) -> None:
        spent = time.monotonic() - self.started
        if self.seconds and spent > self.seconds:
            raise limit_error(
                f"The work took more than {self.seconds:,.0f} s ({spent:,.0f} s so far)",
                f"{self.seconds:,.0f} s",
                "CLAIMS_IMPORT_TIME_LIMIT",
            )


@dataclass
class Table:
    headers: list[str]
    rows: list[tuple[int, list[str]]]  # (spreadsheet row number, cells)


FileSource = bytes | str | os.PathLike


@contextmanager
def opened(source: FileSource) -> Iterator[tuple[IO[bytes], int]]:
    """Yield a binary stream over the file and its size, without reading it."""
    if isinstance(source, bytes | bytearray):
        yield io.BytesIO(source), len(source)
        return
    with open(source, "rb") as stream:
        yield stream, os.fstat(stream.fileno()).st_size


def read_table(
    source: FileSource,
    filename: str = "",
    *,
    limit: int | None = None,
    limits: Limits | None = None,
    budget: Budget | None = None,
    progress: Progress | None = None,
) -> Table:
    """Return the header and the non-empty rows of a CSV or XLSX file; raise on a bad file.

    The whole table, in memory: the check and the import do not use it, they
    stream the file through stream_rows() (twice, or three times).
    """
    limits = limits or Limits.from_settings(max_bytes=limit)
    rows = stream_rows(source, filename, limits=limits, budget=budget, progress=progress)
    header = next(rows)[1]
    return Table(header, list(rows))


def stream_rows(
    source: FileSource,
    filename: str = "",
    *,
    limits: Limits,
    budget: Budget | None = None,
    progress: Progress | None = None,
) -> Iterator[tuple[int, list[str]]]:
    """Yield the header row, then each non-empty row, of a CSV or XLSX file; raise on a bad file.

    `source` is the file's bytes or its path; either way it is streamed, one
    row at a time, under every limit, and can be streamed again (the check
    reads a file twice, the import three times: see SheetCheck).
    """
    budget = budget or Budget(limits.seconds)
    with opened(source) as (stream, size):
        if size > limits.max_bytes:
            raise SpreadsheetError([CellError(None, "", size_message(size, limits.max_bytes))])
        if is_blank(stream):
            raise SpreadsheetError([CellError(None, "", "The file is empty.")])
        start = stream.read(8)
        stream.seek(0)
        if start.startswith(XLS_MAGIC):
            raise SpreadsheetError(
                [
                    CellError(
                        None,
                        "",
                        "This is an old Excel .xls file, which is not read: save it as "
                        "Excel Workbook (.xlsx) or as CSV UTF-8, and upload that.",
                    )
                ]
            )
        if start.startswith(XLSX_MAGIC) or filename.lower().endswith(".xlsx"):
            records = read_xlsx(stream, limits)
        else:
            records = read_csv(stream, limits)
        yield from limited(records, limits, budget, progress)


def is_blank(stream: IO[bytes]) -> bool:
    """Return whether the stream holds only whitespace, reading no further than its first text."""
    try:
        while chunk := stream.read(1 << 16):
            if chunk.strip():
                return False
        return True
    finally:
        stream.seek(0)


def limited(
    records, limits: Limits, budget: Budget, progress: Progress | None
) -> Iterator[tuple[int, list[str]]]:
    """Yield the header and the non-empty rows, refusing a file past a limit as they come."""
    header: list[str] | None = None
    any_rows = False
    cells_seen = 0
    for number, cells in records:
        if number % 500 == 0:
            budget.check()
            if progress:
                progress("reading", number, 0)
        if number > limits.max_rows + 1:
            raise limit_error(
                f"The file has more than {limits.max_rows:,} rows below the header "
                f"(row {number:,} is one too many)",
                f"{limits.max_rows:,} rows",
                "CLAIMS_IMPORT_MAX_ROWS",
            )
        if len(cells) > limits.max_columns:
            if any(cells[limits.max_columns :]):
                raise limit_error(
                    f"Row {number:,} has a value in column {len(cells):,}"
                    if len(cells) == limits.max_columns + 1
                    else f"Row {number:,} has {len(cells):,} cells",
                    f"{limits.max_columns:,} columns",
                    "CLAIMS_IMPORT_MAX_COLUMNS",
                )
            cells = cells[: limits.max_columns]
        for index, cell in enumerate(cells):
            if len(cell) > limits.max_cell_chars:
                raise limit_error(
                    f"Row {number:,}, column {index + 1} holds {len(cell):,} characters",
                    f"{limits.max_cell_chars:,} characters in a cell",
                    "CLAIMS_IMPORT_MAX_CELL_CHARS",
                )
        cells_seen += len(cells)
        if cells_seen > limits.max_cells:
            raise limit_error(
                f"The file has more than {limits.max_cells:,} cells (reached at row {number:,})",
                f"{limits.max_cells:,} cells",
                "CLAIMS_IMPORT_MAX_CELLS",
            )
        if header is None:
            if not any(cells):
                continue  # Blank lines above the header.
            header = cells
            while header and not header[-1]:
                header.pop()
            yield number, header
            continue
        if any(cells):
            any_rows = True
            yield number, cells
    if header is None:
        raise SpreadsheetError([CellError(None, "", "The file is empty: it has no header row.")])
    if not any_rows:
        raise SpreadsheetError(
            [
                CellError(
                    None,
                    "",
                    "The file has a header row but no claims: add one row per claim below it.",
                )
            ]
        )


def read_csv(stream: IO[bytes], limits: Limits) -> Iterator[tuple[int, list[str]]]:
    lines = utf8_lines(stream, limits)
    first_line = next(lines, "")
    delimiter = max((",", ";", "\t"), key=first_line.count)
    # The csv module's own cap, past which it raises: one character more
    # than the cell limit, so that limited() names the limit.
    csv.field_size_limit(max(limits.max_cell_chars + 1, 1))
    reader = csv.reader(chain([first_line], lines), delimiter=delimiter, strict=True)
    try:
        for number, cells in enumerate(reader, start=1):
            yield number, [cell.strip() for cell in cells]
    except csv.Error as exc:
        if "field larger than field limit" in str(exc):
            raise limit_error(
                f"Row {reader.line_num:,} holds a cell of more than "
                f"{limits.max_cell_chars:,} characters",
                f"{limits.max_cell_chars:,} characters in a cell",
                "CLAIMS_IMPORT_MAX_CELL_CHARS",
            ) from None
        raise SpreadsheetError(
            [CellError(reader.line_num, "", f"The file is not valid CSV here: {exc}.")]
        ) from None


def utf8_lines(stream: IO[bytes], limits: Limits) -> Iterator[str]:
    """Yield the file's lines, decoded from UTF-8 (a BOM dropped), each read to a bounded length.

    A line longer than a full row of full cells could hold is refused
    before it is decoded: a file with no line breaks is not read whole.
    """
    cap = limits.max_columns * (limits.max_cell_chars * 4 + 3) + 2
    offset = 0
    for line_number in count(1):
        raw = stream.readline(cap + 1)
        if not raw:
            return
        if len(raw) > cap:
            raise limit_error(
                f"Line {line_number:,} is longer than {cap:,} bytes",
                f"{limits.max_columns:,} columns of {limits.max_cell_chars:,} characters",
                "CLAIMS_IMPORT_MAX_COLUMNS, CLAIMS_IMPORT_MAX_CELL_CHARS",
            )
        try:
            yield raw.decode("utf-8-sig" if line_number == 1 else "utf-8")
        except UnicodeDecodeError as exc:
            position = offset + exc.start
            byte = raw[exc.start : exc.start + 1].hex().upper()
            raise SpreadsheetError(
                [
                    CellError(
                        None,
                        "",
                        f"The file is not UTF-8 text: byte {position + 1:,} (line "
                        f"{line_number}) is 0x{byte}, which UTF-8 does not allow there. In "
                        "Excel, save it as “CSV UTF-8 (Comma delimited)”; in LibreOffice, "
                        "choose the character set “Unicode (UTF-8)”.",
                    )
                ]
            ) from None
        offset += len(raw)


def unreadable_workbook(exc: Exception) -> SpreadsheetError:
    return SpreadsheetError(
        [
            CellError(
                None,
                "",
                f"The file cannot be read as an Excel workbook (.xlsx): {exc}. Save it "
                "again from the spreadsheet program, as .xlsx or as CSV UTF-8.",
            )
        ]
    )


def read_xlsx(stream: IO[bytes], limits: Limits) -> Iterator[tuple[int, list[str]]]:
    from openpyxl import load_workbook

    check_unzipped_size(stream, limits)
    try:
        book = load_workbook(stream, read_only=True, data_only=False)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file.
        raise unreadable_workbook(exc) from None
    try:
        if not book.worksheets:
            return
        sheet = book.worksheets[0]
        check_dimension(sheet, limits)
        # Asking for one row and one column past the limits bounds what
        # openpyxl builds (it pads each row to max_col and fills gaps up to
        # max_row), and still shows limited() a file that goes past them.
        rows = sheet.iter_rows(
            max_row=limits.max_rows + 2, max_col=limits.max_columns + 1, values_only=True
        )
        try:
            for number, values in enumerate(rows, start=1):
                cells = [xlsx_text(value) for value in values]
                while cells and not cells[-1]:
                    cells.pop()
                yield number, cells
        except SpreadsheetError:
            raise
        except Exception as exc:  # A damaged sheet fails while it is parsed.
            raise unreadable_workbook(exc) from None
    finally:
        book.close()


def check_unzipped_size(stream: IO[bytes], limits: Limits) -> None:
    """Refuse a workbook whose members unpack past the limit (a zip bomb), before opening it.

    The sizes are the archive's own declarations; zipfile stops reading a
    member at its declared size, so a member that lies cannot unpack more.
    """
    try:
        with zipfile.ZipFile(stream) as archive:
            unzipped = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise unreadable_workbook(exc) from None
    finally:
        stream.seek(0)
    if unzipped > limits.max_unzipped_bytes:
        raise limit_error(
            f"The workbook unpacks to {unzipped / 1024 / 1024:,.1f} MB",
            f"{limits.max_unzipped_bytes / 1024 / 1024:,.0f} MB unpacked",
            "CLAIMS_IMPORT_MAX_UNZIPPED_MB",
        )


def check_dimension(sheet, limits: Limits) -> None:
    """Refuse a sheet whose declared range (its <dimension ref>) is past the limits."""
    rows, columns = sheet.max_row, sheet.max_column
    if rows is None or columns is None:
        return  # Undeclared: limited() counts the real rows and columns.
    declared = f"{get_column_letter(sheet.min_column)}{sheet.min_row}:" + (
        f"{get_column_letter(columns)}{rows}"
    )
    if rows > limits.max_rows + 1:
        raise limit_error(
            f"The sheet declares {rows:,} rows (range {declared})",
            f"{limits.max_rows:,} rows below the header",
            "CLAIMS_IMPORT_MAX_ROWS",
        )
    if columns > limits.max_columns:
        raise limit_error(
            f"The sheet declares {columns:,} columns (range {declared})",
            f"{limits.max_columns:,} columns",
            "CLAIMS_IMPORT_MAX_COLUMNS",
        )
    if rows * columns > limits.max_cells:
        raise limit_error(
            f"The sheet declares {rows * columns:,} cells (range {declared})",
            f"{limits.max_cells:,} cells",
            "CLAIMS_IMPORT_MAX_CELLS",
        )


def xlsx_text(value: Any) -> str:
    """Return an XLSX cell's value as the text a CSV cell would hold."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, datetime):
        return value.date().isoformat() if value.time() == datetime.min.time() else str(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


# Checking every row ----------------------------------------------------------


def formula_problem(text: str) -> str:
    """Return why a cell would run as a formula in a spreadsheet program, or ""."""
    if not text or text[0] not in FORMULA_STARTS:
        return ""
    if text[0] in "+-" and (len(text) == 1 or NUMBER.fullmatch(text)):
        return ""
    shown = text if len(text) <= 40 else text[:37] + "…"
    return (
        f"“{shown}” starts with “{text[0]}”, so a spreadsheet program would run it as a "
        "formula when the claims are exported and opened; formulas are not imported. If it "
        f"is text, start the cell with an apostrophe: '{shown} (in Excel, type two "
        "apostrophes, since Excel keeps the first to itself)."
    )


def choice_key(text: str) -> str:
    return re.sub(r"[\s_\-]+", "_", text.strip().lower())


def choice_map(choices) -> dict[str, str]:
    """Return {value or label, folded as choice_key folds a cell: stored value}."""
    found = {}
    for stored, label in choices:
        found[choice_key(str(label))] = stored
        found[choice_key(stored)] = stored
    return found


CHOICES = {
    "kind": (Claim.Kind.choices, choice_map(Claim.Kind.choices)),
    "stance": (Claim.Stance.choices, choice_map(Claim.Stance.choices)),
    "status": (Claim.Status.choices, choice_map(Claim.Status.choices)),
    "quote_kind": (Claim.QuoteKind.choices, choice_map(Claim.QuoteKind.choices)),
    "source_kind": (Source.Kind.choices, choice_map(Source.Kind.choices)),
}


def choice(key: str, text: str) -> str | None:
    """Return the choice a cell names, by value or label, ignoring case; or None."""
    return CHOICES[key][1].get(text) or CHOICES[key][1].get(choice_key(text))


def choice_error(key: str, text: str) -> str:
    allowed = ", ".join(str(label) for _, label in CHOICES[key][0])
    return f"“{text}” is not one of: {allowed}."


# Rows checked (or written) together: a chunk's rows, values and unsaved
# claims are held at once, never the file's.
CHUNK_ROWS = 2000
# An import of a file of up to this many rows keeps the claims its check built
# (validated, a few kilobytes each) and writes them, instead of streaming the
# file a third time to build them again (SheetCheck.claims_to_write): a third
# of the check's work, for the file sizes most imports have. A longer file is
# streamed, so that memory does not follow its rows.
KEEP_CLAIMS_ROWS = 5000
# The columns whose names are resolved against the database (SheetCheck.survey).
NAME_COLUMNS = ("source", "affiliation", "topic", "detainee", "document_title")

RowsFactory = Callable[[], Iterator[tuple[int, list[str]]]]


class SheetCheck:
    """Validate a file of claims, streaming it; after run(), `report` has every row's outcome.

    The file is never held whole (docs/imports.md, "Memory"):

    1. survey(): a first pass over the file takes the header, the limits and
       the names the rows give (sources, topics, detainees, documents), and
       counts the rows; resolve_names() then looks the names up, a few
       queries for all of them.
    2. check_rows(): a second pass checks the rows CHUNK_ROWS at a time
       (read_rows, build_claims, check_repeats, each on a chunk), and keeps
       of each row only its compact outcome (RowOutcomes); the chunk's
       unsaved claims are let go.
    3. For an import, claims_to_write() streams the file a third time and
       builds the checked rows' claims again, a chunk at a time, for write().

    What a row is checked against across the file stays in memory, bounded
    by the distinct names, not the rows: the names and what they resolved
    to, the new sources and documents, and one 128-bit digest per row for
    the repeats within the file.
    """

    def __init__(
        self,
        table: Table | RowsFactory,
        *,
        user,
        approve: bool,
        progress: Progress | None,
    ) -> None:
        if isinstance(table, Table):
            rows, header = table.rows, table.headers
            table = lambda: iter([(0, header), *rows])  # noqa: E731
        self.rows_of, self.user, self.approve, self.progress = table, user, approve, progress
        self.report = ImportReport(state=Claim.State.APPROVED if approve else Claim.State.PENDING)
        self.headers: list[str] = []
        self.total = 0
        self.columns: dict[str, int] = {}
        self.shown: dict[str, str] = {}  # column key → the header as the file writes it
        self.sources: dict[str, Source | None] = {}
        self.new_sources: dict[str, tuple[RowReport, Source]] = {}
        self.topics: dict[str, Topic | None] = {}
        self.detainees: dict[str, Detainee | str | None] = {}
        self.documents: dict[str, Document | None] = {}
        self.new_documents: dict[str, tuple[RowReport, Document]] = {}
        self.file_sources: set[str] = set()  # Casefolded names in the source column.
        self.new_topics: NewTopics | None = None  # Made once the headers are known.
        self.seen: dict[int, int] = {}  # A row's repeat key's digest → the first row with it.
        # The stored topics of the rows to add (locked to write; new ones are not contended).
        self.topic_ids: set[int] = set()
        self.used_documents: dict[int, Document] = {}  # New documents the rows to add cite.
        self.used_topics: dict[int, Topic] = {}  # New topics the rows to add use.
        # Set by import_file: keep the checked claims of a file this long or shorter.
        self.keep_claims_rows = 0
        self.kept_claims: list[Claim] | None = None
        # Citation URLs already found valid (bounded: URL_CACHE entries at most).
        self.valid_urls: set[str] = set()

    def col(self, key: str) -> str:
        return self.shown.get(key, COLUMN[key].label)

    def error(self, row: RowReport, key: str, message: str) -> None:
        if key in row.refused:
            return
        row.errors.append(CellError(row.number, self.col(key) if key else "", message))

    def late_error(self, row: RowReport, key: str, message: str) -> None:
        """Add an error to a row already checked and kept (RowOutcomes)."""
        self.report.rows.add_error(
            row.number, CellError(row.number, self.col(key) if key else "", message)
        )

    def run(self) -> ImportReport:
        names = self.survey()
        if self.report.file_errors:
            return self.report
        self.resolve_names(names)
        self.check_rows()
        self.check_affiliation_loops()
        for _, source in self.new_sources.values():
            parent = source._parent_name  # type: ignore[attr-defined]
            source._parent = (  # type: ignore[attr-defined]
                (self.sources.get(parent) or self.new_sources.get(parent.casefold(), (0, None))[1])
                if parent
                else None
            )
        self.report.new_sources = [source.name for _, source in self.new_sources.values()]
        self.report.new_documents = [doc.title for _, doc in self.new_documents.values()]
        return self.report

    def data_rows(self) -> Iterator[tuple[int, list[str]]]:
        """Stream the file again: its rows below the header."""
        rows = self.rows_of()
        next(rows)
        return rows

    def survey(self) -> dict[str, set[str]]:
        """First pass: the header, every limit, and the names to look up; count the rows."""
        names: dict[str, set[str]] = {k: set() for k in ("source", "topic", "detainee", "doc")}
        rows = self.rows_of()
        _, self.headers = next(rows)
        self.map_headers()
        if self.report.file_errors:
            for _ in rows:  # Every limit is still checked, as the whole file is read.
                pass
            return names
        wanted = [(key, self.columns[key]) for key in NAME_COLUMNS if key in self.columns]
        scratch = RowReport(0)
        for _, cells in rows:
            self.total += 1
            values = {key: self.cell(scratch, key, cells, index) for key, index in wanted}
            scratch.errors.clear()
            scratch.refused.clear()
            names["source"].add(values["source"])
            self.file_sources.add(values["source"].casefold())
            if values.get("affiliation"):
                names["source"].add(values["affiliation"])
            names["topic"].add(values["topic"])
            if values.get("detainee"):
                names["detainee"].add(values["detainee"])
            if values.get("document_title"):
                names["doc"].add(values["document_title"])
        for key in names:
            names[key].discard("")
        return names

    def check_rows(self) -> None:
        """Second pass: check the rows a chunk at a time, keeping only each row's outcome."""
        done = 0
        if self.total <= self.keep_claims_rows:
            self.kept_claims = []
        for chunk in batched(self.data_rows(), CHUNK_ROWS):
            if self.progress:
                self.progress("checking", done, self.total)
            rows = self.read_rows(chunk)
            self.build_claims(rows)
            self.check_repeats([row for row, _ in rows])
            for row, _ in rows:
                if row.claim is not None:
                    topic = row.claim.topic
                    if topic.pk is None:  # Created by the import: written before the claims.
                        self.used_topics.setdefault(id(topic), topic)
                    else:
                        self.topic_ids.add(topic.pk)
                    document = row.claim.document
                    if document is not None and document.pk is None:
                        self.used_documents.setdefault(id(document), document)
                self.report.rows.add(row)
                if row.claim is not None and self.kept_claims is not None:
                    row.claim._row_index = len(self.report.rows) - 1  # type: ignore[attr-defined]
                    self.kept_claims.append(row.claim)
                row.claim = None  # Let go: claims_to_write() builds it again (or kept_claims).
            done += len(rows)
        if self.progress:
            self.progress("checking", done, self.total)

    def map_headers(self) -> None:
        unknown, repeated = [], []
        for index, text in enumerate(self.headers):
            key = header_key(text)
            if key in EXPORT_ONLY_COLUMNS:
                self.report.ignored_columns.append(text)
            elif key not in COLUMN:
                unknown.append(text or f"(blank header, column {index + 1})")
            elif key in self.columns:
                repeated.append(text)
            else:
                self.columns[key], self.shown[key] = index, text
        missing = [COLUMN[k].label for k in REQUIRED if k not in self.columns]
        if not (unknown or repeated or missing):
            return
        problems = []
        if missing:
            problems.append(f"missing required column{'s' * (len(missing) > 1)}: "
                            + ", ".join(missing))  # fmt: skip
        if unknown:
            problems.append(f"unknown column{'s' * (len(unknown) > 1)}: " + ", ".join(unknown))
        if repeated:
            problems.append("column given twice: " + ", ".join(repeated))
        expected = ", ".join(c.label + ("" if c.required else " (optional)") for c in COLUMNS)
        self.report.file_errors.append(
            CellError(
                1,
                "",
                f"The header row does not match: {'; '.join(problems)}. The expected columns, "
                f"in any order, are: {expected}.",
            )
        )

    def cell(self, row: RowReport, key: str, cells: list[str], index: int) -> str:
        """Return a cell's value as the checks take it, or "" with an error for a refused cell."""
        text = cells[index] if index < len(cells) else ""
        if text[:1] == "'" and text[1:2] in FORMULA_STARTS:
            text = text[1:]  # Entered as text, the way spreadsheets mark it.
        elif problem := formula_problem(text):
            self.error(row, key, problem)
            row.refused.add(key)  # One message for the cell is enough.
            text = ""
        # The app's text policy (crosscheck.text), cell by cell, so that the
        # dry run refuses what the confirmation would (a NUL, a control character).
        if problem := text_problem(text, "The cell"):
            self.error(row, key, problem)
            row.refused.add(key)
            text = ""
        return normalise(text)

    def read_rows(
        self, chunk: Iterable[tuple[int, list[str]]]
    ) -> list[tuple[RowReport, dict[str, str]]]:
        """Return each row of a chunk with its values, by column key."""
        width = len(self.headers)
        columns = self.columns.items()
        rows = []
        for number, cells in chunk:
            row = RowReport(number)
            if len(cells) > width and any(cells[width:]):
                self.error(
                    row,
                    "",
                    f"The row has {len(cells)} cells and the header {width}: a value is "
                    "outside any column (a stray delimiter?).",
                )
            rows.append((row, {key: self.cell(row, key, cells, index) for key, index in columns}))
        return rows

    # Names -------------------------------------------------------------------

    def resolve_names(self, names: dict[str, set[str]]) -> None:
        self.sources = self.lookup(
            Source.objects.select_related("affiliation"), "name", names["source"]
        )
        topics = Topic.objects.all()
        self.topics = self.lookup(topics, "title", names["topic"])
        unmatched = {n for n, t in self.topics.items() if t is None}
        for topic in topics.filter(slug__in=unmatched):
            self.topics[topic.slug] = topic
        self.documents = self.lookup(Document.objects.all(), "title", names["doc"])
        self.detainees = self.lookup(
            Detainee.objects.prefetch_related("topics"), "name", names["detainee"]
        )
        self.match_aliases()

    def lookup(self, queryset, attribute: str, names: set[str]) -> dict:
        """Return {name: row or None}: matched exactly, else ignoring case when one row matches.

        As the claim form's find_named does, but a few queries for all the
        names instead of two per name.
        """
        found: dict[str, Any] = dict.fromkeys(names)
        for chunk in chunks(sorted(names), 1000):
            for row in queryset.filter(**{f"{attribute}__in": chunk}):
                found[getattr(row, attribute)] = row
        unmatched = {name.lower(): name for name, row in found.items() if row is None}
        candidates: dict[str, list] = {}
        folded = queryset.annotate(_folded=Lower(attribute))
        for chunk in chunks(sorted(unmatched), 1000):
            for row in folded.filter(_folded__in=chunk):
                candidates.setdefault(getattr(row, attribute).lower(), []).append(row)
        for key, name in unmatched.items():
            rows = candidates.get(key, [])
            if len(rows) == 1:
                found[name] = rows[0]
        return found

    def match_aliases(self) -> None:
        missing = {n for n, d in self.detainees.items() if d is None}
        if not missing:
            return
        folded = {n.casefold(): n for n in missing}
        owners: dict[str, list[int]] = {}
        for pk, aliases in Detainee.objects.values_list("pk", "aliases").iterator():
            for alias in aliases or []:
                name = folded.get(str(alias).strip().casefold())
                if name is not None and pk not in owners.setdefault(name, []):
                    owners[name].append(pk)
        rows = Detainee.objects.prefetch_related("topics").in_bulk(
            [pk for pks in owners.values() for pk in pks]
        )
        for name, pks in owners.items():
            if len(pks) == 1:
                self.detainees[name] = rows[pks[0]]
            else:
                listed = ", ".join(sorted(f"“{rows[pk].name}”" for pk in pks))
                self.detainees[name] = f"“{name}” is an alias of {listed}: give the full name."

    # Claims ------------------------------------------------------------------

    def build_claims(self, rows: list[tuple[RowReport, dict[str, str]]]) -> None:
        """Build and validate each row's unsaved claim (row.claim, when the row has no error)."""
        now = timezone.now()
        for row, values in rows:
            claim = self.build_claim(row, values, now)
            if claim is not None and not row.errors:
                row.claim = claim
                row.actions.append(f"will add a claim by {claim.source.name} ({claim.state})")

    def build_claim(
        self, row: RowReport, values: dict[str, str], now, *, validate: bool = True
    ) -> Claim | None:
        """Return the row's unsaved claim (None when its topic or detainee is not found).

        validate=False skips the model's full_clean, for rows already checked
        (claims_to_write).
        """
        user_id = self.user.pk if self.user is not None else None
        attrs = {
            "state": self.report.state,
            "state_changed_at": now,
            "state_changed_by_id": user_id,
            "state_reason": IMPORT_REASON,
            "created_by_id": user_id,
        }
        skip = self.fill(row, values, attrs)
        source = self.source_for(row, values)
        topic = self.topic_for(row, values)
        detainee = None
        if values.get("detainee"):
            detainee = self.named(row, values, "detainee", self.detainees,
                                  "No detainee is named", (
                "add the person on the New detainee page first, or correct the name "
                "(an alias works too)"
            ))  # fmt: skip
        document = self.document_for(row, values)
        if topic is None or (values.get("detainee") and detainee is None):
            return None  # Which rules apply depends on them.
        claim = new_claim(attrs, source, topic, detainee, document)
        if not values.get("document_title") and not claim.citation_url:
            self.error(
                row,
                "citation_url",
                "Give a citation: a document title, or the link (http or https) to "
                "where it was said.",
            )
        if validate:
            self.clean(row, claim, skip)
        return claim

    def claims_to_write(self, now) -> Iterator[list[Claim]]:
        """Third pass, for the import: stream the file again and yield the checked rows' claims.

        A chunk at a time, built as the check built them (from the names it
        resolved and the new sources and documents it made, saved by then),
        without validating them again. Each claim carries its row's index in
        the report (`_row_index`), so that write() records the claim it adds.
        A row that no longer builds as it was checked means the file changed
        under the import: it raises, and the transaction writes nothing.
        """
        outcomes = self.report.rows
        if self.kept_claims is not None:
            yield from self.kept_claims_to_write(now)
            return
        index = 0
        for chunk in batched(self.data_rows(), CHUNK_ROWS):
            claims = []
            for row, values in self.read_rows(chunk):
                if index >= len(outcomes) or outcomes.numbers[index] != row.number:
                    raise file_changed(row.number)
                if outcomes.outcomes[index] == RowOutcomes.ADD:
                    claim = self.build_claim(row, values, now, validate=False)
                    if claim is None or row.errors:
                        raise file_changed(row.number)
                    claim._row_index = index  # type: ignore[attr-defined]
                    claims.append(claim)
                index += 1
            yield claims
        if index != len(outcomes):
            raise file_changed(None)

    def kept_claims_to_write(self, now) -> Iterator[list[Claim]]:
        """Yield the claims the check built and kept (a short file), as claims_to_write would.

        The same claims the third pass would build, already validated; only
        the time of their state change is the write's, as a rebuilt claim's is.
        """
        claims, self.kept_claims = self.kept_claims or [], None
        outcomes = self.report.rows
        for claim in claims:
            if outcomes.outcomes[claim._row_index] != RowOutcomes.ADD:  # type: ignore[attr-defined]
                raise file_changed(outcomes.numbers[claim._row_index])  # type: ignore[attr-defined]
            claim.state_changed_at = now
        for start in range(0, len(claims), CHUNK_ROWS):
            yield claims[start : start + CHUNK_ROWS]

    def fill(self, row: RowReport, values: dict[str, str], attrs: dict) -> set[str]:
        """Put the row's plain values in attrs; return the columns found wrong."""
        wrong = set()
        for key in ("kind", "quote", "summary", "stated_on"):
            if not values.get(key):
                wrong.add(key)
                self.error(row, key, "This column is required; the cell is empty.")
        for key in ("kind", "stance", "status", "quote_kind"):
            text = values.get(key, "")
            if not text:
                attrs[key] = Claim.QuoteKind.DIRECT if key == "quote_kind" else ""
                continue
            found = choice(key, text)
            if found is None:
                wrong.add(key)
                self.error(row, key, choice_error(key, text))
            attrs[key] = found or ""
        for key in ("quantity_min", "quantity_max"):
            text = values.get(key, "")
            attrs[key] = None
            if not text:
                continue
            try:
                attrs[key] = int(text)
            except ValueError:
                wrong.add(key)
                self.error(row, key, f"“{text}” is not a whole number.")
        for key in ("stated_on", "as_of"):
            text = values.get(key, "")
            attrs[key] = None
            if not text:
                continue
            value, problem = read_date(text)
            if problem:
                wrong.add(key)
                self.error(row, key, problem)
            attrs[key] = value
        for key in ("quote", "summary", "citation_url"):
            attrs[key] = values.get(key, "")
        attrs["language"] = values.get("language") or "en"
        return wrong

    def named(self, row, values, key, found: dict, missing: str, hint: str):
        name = values.get(key, "")
        if not name:
            self.error(row, key, "This column is required; the cell is empty.")
            return None
        match = found.get(name)
        if isinstance(match, str):
            self.error(row, key, match)
            return None
        if match is None:
            self.error(row, key, f"{missing} “{name}”: {hint}.")
        return match

    def topic_for(self, row: RowReport, values: dict[str, str]) -> Topic | None:
        """Return the row's topic, stored or created by the import (claims.import_topics)."""
        if not values.get("topic"):
            self.error(row, "topic", "This column is required; the cell is empty.")
            return None
        if self.new_topics is None:
            self.new_topics = NewTopics(self)
        return self.new_topics.topic_for(row, values, self.topics.get(values["topic"]))

    def source_for(self, row: RowReport, values: dict[str, str]) -> Source | None:
        name = values.get("source", "")
        kind_text, parent_name = values.get("source_kind", ""), values.get("affiliation", "")
        if not name:
            self.error(row, "source", "This column is required; the cell is empty.")
            return None
        kind = choice("source_kind", kind_text) if kind_text else ""
        if kind is None:
            self.error(row, "source_kind", choice_error("source_kind", kind_text))
            return None
        stored = self.sources.get(name)
        if stored is not None:
            if kind and kind != stored.kind:
                self.error(row, "source_kind", (
                    f"{stored.name} is already a source of kind {stored.get_kind_display()}; "
                    "an import does not change a stored source: correct the cell or leave it "
                    "empty."
                ))  # fmt: skip
            current = stored.affiliation.name if stored.affiliation_id else ""
            if parent_name and parent_name.casefold() != current.casefold():
                self.error(row, "affiliation", (
                    f"{stored.name} is stored as speaking for {current or 'no one'}; an import "
                    "does not change a stored source: correct the cell or leave it empty."
                ))  # fmt: skip
            return stored
        key = name.casefold()
        if key in self.new_sources:
            first, source = self.new_sources[key]
            first_parent = source._parent_name  # type: ignore[attr-defined]
            if kind and kind != source.kind:
                self.error(row, "source_kind", (
                    f"Row {first.number} gives {source.name} the kind "
                    f"{source.get_kind_display()}: one source has one kind."
                ))  # fmt: skip
            if parent_name and parent_name.casefold() != first_parent.casefold():
                self.error(row, "affiliation", (
                    f"Row {first.number} gives {source.name} the affiliation "
                    f"“{first_parent or 'none'}”: one source has one affiliation."
                ))  # fmt: skip
            return source
        if not kind:
            self.error(row, "source_kind", (
                f"No source is named “{name}”: give its source kind to create it ("
                + ", ".join(Source.Kind.values) + "), or correct the name."
            ))  # fmt: skip
            return None
        source = Source(name=name, kind=kind)
        source._parent_name = parent_name  # type: ignore[attr-defined]
        try:
            source.full_clean(
                exclude=SOURCE_EXCLUDE, validate_unique=False, validate_constraints=False
            )
        except ValidationError as exc:
            self.report_errors(row, exc, SOURCE_FIELD_COLUMN, "source")
            return None
        known = self.sources.get(parent_name) or parent_name.casefold() in self.file_sources
        if parent_name and not known:
            self.error(row, "affiliation", (
                f"No source is named “{parent_name}”: add it first, or give it a row of "
                "its own in this file."
            ))  # fmt: skip
            return None
        self.new_sources[key] = (row, source)
        row.actions.append(f"will add source “{name}” ({source.get_kind_display()})")
        return source

    def document_for(self, row: RowReport, values: dict[str, str]) -> Document | None:
        title, url = values.get("document_title", ""), values.get("document_url", "")
        if not title:
            if url:
                self.error(row, "document_url", "Give the document title too, or move the "
                           "link to the citation URL column.")  # fmt: skip
            return None
        stored = self.documents.get(title)
        if stored is not None:
            if url and url != stored.url:
                self.error(row, "document_url", (
                    f"The document “{stored.title}” is stored with the URL "
                    f"“{stored.url or 'none'}”; an import does not change a stored document."
                ))  # fmt: skip
            return stored
        key = title.casefold()
        if key in self.new_documents:
            first, document = self.new_documents[key]
            if url and url != document.url:
                self.error(row, "document_url", (
                    f"Row {first.number} gives “{document.title}” the URL "
                    f"“{document.url or 'none'}”: one document has one URL."
                ))  # fmt: skip
            return document
        document = Document(title=title, url=url)
        try:
            document.full_clean(validate_unique=False)
        except ValidationError as exc:
            self.report_errors(row, exc, DOCUMENT_FIELD_COLUMN, "document_title")
            return None
        self.new_documents[key] = (row, document)
        row.actions.append(f"will add document “{title}”")
        return document

    def clean(self, row: RowReport, claim: Claim, skip: set[str]) -> None:
        exclude = [*CLAIM_EXCLUDE, *skip] if skip else CLAIM_EXCLUDE
        if "citation_url" not in skip and self.citation_is_valid(claim.citation_url):
            exclude = [*exclude, "citation_url"]
        try:
            claim.full_clean(exclude=exclude, validate_unique=False, validate_constraints=False)
        except ValidationError as exc:
            self.report_errors(row, exc, CLAIM_FIELD_COLUMN, "", skip=skip)

    def citation_is_valid(self, url) -> bool:
        """Whether full_clean would find nothing to say or change about this citation URL.

        The model's field runs its length check and two URL validators, Django's
        own and http_url, each a large regex. http_url (http and https only)
        accepting a URL means Django's (the same regex, more schemes) does too;
        a URL without forbidden characters already in NFC is left as it is by
        the text policy (crosscheck.text). A URL found valid once is not
        checked again for the rest of the file. Anything else returns False:
        full_clean checks it, and says what is wrong in its usual words.
        """
        if not url or not isinstance(url, str):
            return False
        if url in self.valid_urls:
            return True
        if len(url) > CITATION_MAX_LENGTH or text_problem(url, "") or normalise(url) != url:
            return False
        try:
            http_url(url)
        except ValidationError:
            return False
        if len(self.valid_urls) < URL_CACHE:
            self.valid_urls.add(url)
        return True

    def report_errors(self, row, exc: ValidationError, columns: dict, default: str, skip=()):
        for name, errors in exc.error_dict.items():
            if name in skip:
                continue
            own_words = any(e.code not in GENERIC_CODES for e in errors)
            kept = [e for e in errors if not (own_words and e.code in GENERIC_CODES)]
            key = columns.get(name, default)
            for message in ValidationError(kept).messages:
                self.error(row, key, message)

    def check_affiliation_loops(self) -> None:
        """Report a new source that would end up affiliated to itself through new sources."""
        for key, (row, source) in self.new_sources.items():
            seen, current = {key}, source._parent_name.casefold()  # type: ignore[attr-defined]
            while current and current in self.new_sources and current not in seen:
                seen.add(current)
                current = self.new_sources[current][1]._parent_name.casefold()  # type: ignore[attr-defined]
            if current == key:
                self.late_error(row, "affiliation", (
                    f"“{source._parent_name}” would make {source.name} affiliated "  # type: ignore[attr-defined]
                    "to itself."
                ))  # fmt: skip

    def check_repeats(self, rows: list[RowReport]) -> None:
        """Skip a chunk's rows already stored; report rows that repeat an earlier row of the file.

        Stored claims are looked up for the chunk's (source, topic, stated on)
        triples only; the file's earlier rows are remembered by a 128-bit
        digest of their key (self.seen), not by their values. A topic the
        file creates has no key until it is written: its rows are keyed by
        its slug (unique among the file's new topics and the stored ones,
        claims.import_topics), the same in every chunk, and have no stored
        claims to look up.
        """
        rows = [row for row in rows if row.claim is not None]
        if not rows:
            return
        key = lambda c: (  # noqa: E731
            c.source.name.casefold(),
            c.topic_id if c.topic_id is not None else ("new topic", c.topic.slug),
            c.detainee_id,
            c.stated_on,
            c.quote,
        )
        stored = {}
        # Only a stored source and a stored topic have stored claims.
        triples = sorted(
            {
                (r.claim.source_id, r.claim.topic_id, r.claim.stated_on)
                for r in rows
                if r.claim.source_id is not None and r.claim.topic_id is not None
            }
        )
        columns = Tuple(F("source_id"), F("topic_id"), F("stated_on"))
        for part in chunks(triples, 300):
            candidates = Claim.objects.filter(TupleIn(columns, part)).values_list(
                "pk", "source__name", "topic_id", "detainee_id", "stated_on", "quote"
            )
            for pk, name, *rest, quote in candidates.order_by("pk"):
                # A quote stored before line ends were normalised (CRLF) is the same
                # quote as the file's (LF, as a spreadsheet program saves it).
                stored.setdefault((name.casefold(), *rest, normalise(quote)), pk)
        for row in rows:
            k = key(row.claim)
            if k in stored:
                row.skipped_as, row.claim = stored[k], None
                row.actions = [f"already imported as claim #{stored[k]}: skipped"]
                continue
            digest = int.from_bytes(hashlib.blake2b(repr(k).encode(), digest_size=16).digest())
            first = self.seen.setdefault(digest, row.number)
            if first != row.number:
                row.claim = None
                self.error(row, "", (
                    f"Same source, topic, detainee, stated on and quote as row {first}: "
                    "one of them is a duplicate."
                ))  # fmt: skip


def file_changed(number: int | None) -> SpreadsheetError:
    where = f" (row {number:,})" if number else ""
    return SpreadsheetError(
        [
            CellError(
                number,
                "",
                f"The file changed while it was imported{where}: nothing was imported. "
                "Upload it again to check it once more.",
            )
        ]
    )


def batched(items: Iterable, size: int) -> Iterator[list]:
    """Yield lists of up to `size` items, reading `items` only as far as each list."""
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


@lru_cache(maxsize=20_000)
def read_date(text: str) -> tuple[date | None, str]:
    """Return (the date a cell gives, "") or (None, why it is not one)."""
    value, problem = parse_date(text)
    if problem and not DATE.fullmatch(text):
        problem = (
            f"“{text}” is not a date in the form YYYY-MM-DD (e.g. 2015-01-06): "
            "a date like 1/6/2015 means January in one country and June in another"
        )
    return value, problem + "." if problem else ""


# Claim's fields in the order Model.__init__ takes them positionally: far
# cheaper than keyword arguments, for a hundred thousand rows.
CLAIM_ATTNAMES = [f.attname for f in Claim._meta.concrete_fields]
CLAIM_DEFAULTS = {
    f.attname: f.get_default() if f.has_default() else (None if f.null else f.get_default())
    for f in Claim._meta.concrete_fields
}


def new_claim(attrs: dict, source, topic, detainee, document) -> Claim:
    """Return an unsaved Claim with these values and related rows, built cheaply."""
    values = {**CLAIM_DEFAULTS, **attrs}
    values.update(
        source_id=source.pk if source is not None else None,
        topic_id=topic.pk,
        detainee_id=detainee.pk if detainee is not None else None,
        document_id=document.pk if document is not None else None,
    )
    claim = Claim(*[values[name] for name in CLAIM_ATTNAMES])
    # What the model's clean() reads, cached as assigning them would.
    cache = claim._state.fields_cache
    cache["source"], cache["topic"] = source, topic
    cache["detainee"], cache["document"] = detainee, document
    return claim


def chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def can_approve(user) -> bool:
    return user is not None and user.has_perm("claims.moderate_claim")


def refuse_approval(user, approve: bool) -> None:
    """Raise unless the user may import claims as approved (when asked to)."""
    if approve and not can_approve(user):
        raise SpreadsheetError(
            [CellError(None, "", "Only a moderator may import claims as approved.")]
        )
    if approve and (refusal := new_claims_refusal(user)):
        raise SpreadsheetError([CellError(None, "", refusal)])


def check_table(table: Table, *, user, approve: bool = False, progress=None) -> ImportReport:
    refuse_approval(user, approve)
    return SheetCheck(table, user=user, approve=approve, progress=progress).run()


def file_check(
    source: FileSource,
    filename: str,
    *,
    user,
    approve: bool,
    progress: Progress | None,
    limits: Limits,
    budget: Budget,
) -> SheetCheck:
    """Return the check of a file that streams it from `source` on each of its passes.

    The first pass reports its rows as "reading"; each pass checks every
    limit again (the same file gives the same answers) and spends from one
    time budget.
    """
    refuse_approval(user, approve)
    passes = count()

    def rows_of() -> Iterator[tuple[int, list[str]]]:
        first = next(passes) == 0
        return stream_rows(
            source, filename, limits=limits, budget=budget, progress=progress if first else None
        )

    return SheetCheck(rows_of, user=user, approve=approve, progress=timed(budget, progress))


def timed(budget: Budget, progress: Progress | None) -> Progress:
    """Return a progress callback that also stops the work once its time budget is spent."""

    def report(phase: str, done: int, total: int) -> None:
        budget.check()
        if progress:
            progress(phase, done, total)

    return report


def check_file(
    source: FileSource,
    filename: str = "",
    *,
    user=None,
    approve: bool = False,
    progress: Progress | None = None,
    limit: int | None = None,
    limits: Limits | None = None,
) -> ImportReport:
    """Validate a file (its bytes or its path) and return every outcome and error; write nothing."""
    started = time.monotonic()
    limits = limits or Limits.from_settings(max_bytes=limit)
    budget = Budget(limits.seconds)
    try:
        check = file_check(
            source, filename, user=user, approve=approve, progress=progress,
            limits=limits, budget=budget,
        )  # fmt: skip
        report = check.run()
    except SpreadsheetError as exc:
        report = ImportReport(file_errors=exc.errors)
    report.filename = filename
    report.seconds = time.monotonic() - started
    return report


def import_file(
    source: FileSource,
    filename: str = "",
    *,
    user,
    approve: bool = False,
    progress: Progress | None = None,
    limit: int | None = None,
    limits: Limits | None = None,
) -> ImportReport:
    """Check the file again and write its claims in one transaction; or raise, writing nothing.

    Inside the one transaction: the check (two passes over the file), then
    every topic the rows touch is locked, in the one order of claims/locks.py
    (ascending, one statement) and before any claim row is written, then the
    claims are written as a third pass streams them (SheetCheck.claims_to_write).
    """
    started = time.monotonic()
    limits = limits or Limits.from_settings(max_bytes=limit)
    budget = Budget(limits.seconds)
    with transaction.atomic():
        check = file_check(
            source, filename, user=user, approve=approve, progress=progress,
            limits=limits, budget=budget,
        )  # fmt: skip
        check.keep_claims_rows = KEEP_CLAIMS_ROWS
        report = check.run()
        report.filename = filename
        if not report.ok:
            raise SpreadsheetError(report.errors, report)
        # The stored topics only: a topic the import creates gets its key from
        # write(), inside this transaction, and no other transaction can see
        # it (nor lock or write its claims) before the COMMIT, so it cannot be
        # contended. (Its slug is unique: a concurrent import creating the same
        # topic fails on the constraint, and writes nothing.)
        locks.lock_topics(check.topic_ids)
        touched: set = set()
        now = timezone.now()
        # What the import creates, nobody watches yet: its events look up the watchers
        # of the rest only (watching.events.creating; write() and detection name them).
        with events.creating():
            first_pk = write(
                report,
                user=user,
                progress=check.progress,
                touched=touched,
                sources=[source for _, source in check.new_sources.values()],
                documents=list(check.used_documents.values()),
                topics=list(check.used_topics.values()),
                batches=check.claims_to_write(now),
                now=now,
            )
            if touched:
                with events.acting(user):  # The conflicts it opens are the importer's doing.
                    detect(touched)
                # The pair is stored ordered, and the new claims have the highest keys.
                report.conflicts_opened = Conflict.objects.filter(
                    claim_b_id__gte=first_pk, status=Conflict.Status.OPEN
                ).count()
    report.seconds = time.monotonic() - started
    return report


def detect(variables: set) -> None:
    """Re-examine the variables an approved import touched, with the engine's batched path.

    detection.recompute_all's batches (whole topics' claims read per query,
    new conflicts and their history rows inserted in bulk) give what
    refresh_variable on each variable gives (tests/claims/test_generate_volume.py);
    here only the touched variables are examined, a topic's together, up to
    200 variables a batch.
    """
    ordered = sorted(variables, key=lambda v: (v[0], v[1] or 0))
    total: Counter = Counter()
    batch: list = []
    for index, variable in enumerate(ordered):
        batch.append(variable)
        next_topic = ordered[index + 1][0] if index + 1 < len(ordered) else None
        if next_topic == variable[0]:
            continue
        if len(batch) >= 200 or next_topic is None:
            detection._recompute_batch(batch, total, by=None)
            batch = []


# Writing --------------------------------------------------------------------


def write(
    report: ImportReport,
    *,
    user,
    progress,
    touched: set,
    sources: list[Source],
    documents: list[Document],
    batches: Iterable[list[Claim]],
    topics: list[Topic],
    now=None,
) -> int | None:
    """Save new topics, sources and documents, then the claims and their history rows, in bulk.

    All by claims.bulk.insert_with_history (COPY on PostgreSQL). The new
    topics, sources and documents go first, so that they have keys before
    any claim names them. `batches` yields the claims a chunk at a time
    (SheetCheck.claims_to_write builds them as the file streams, once the
    topics, sources and documents they name are saved here); each batch is
    written and let go. Return the lowest key of the claims written.
    """
    now = now or timezone.now()
    approved = report.state == Claim.State.APPROVED
    if approved:
        # Every new topic, source and document is shown by an approved claim of the
        # file (a new source only named as an affiliation is refused: it needs a row
        # of its own): published as they are written, not by an UPDATE of each row
        # just written (publish_what_they_use still publishes the stored ones).
        for obj in (*topics, *sources, *documents):
            obj.published_at = now
    save_topics(topics, user, now)
    save_sources(sources, user, now)
    events.created(topics=topics, sources=sources)
    insert_with_history(Document, documents, user=user, reason=IMPORT_REASON, now=now)
    report.new_sources = [s.name for s in sources]
    report.new_documents = [d.title for d in documents]
    report.new_topics = [t.title for t in topics]
    folded: dict[int, str] = {}
    total = report.to_add
    step = BATCH * 5 if connection.vendor == "postgresql" else BATCH
    written, first_pk = 0, None
    for claims in batches:
        for batch in chunks(claims, step):
            if progress:
                progress("writing", written, total)
            if written + len(batch) > total:
                raise file_changed(None)
            for claim in batch:
                # Again, now that the topics, sources and documents they refer to are saved.
                claim.source, claim.document = claim.source, claim.document
                claim.topic = claim.topic
                claim.search_text = search_text(claim, folded)
            copy_claims(batch, user, now)
            pks = [claim.pk for claim in batch]
            for claim in batch:
                report.rows.claim_ids[claim._row_index] = claim.pk  # type: ignore[attr-defined]
            low, high = min(pks), max(pks)
            if approved:
                touched.update(claim.variable for claim in batch)
                # Written without Claim.save: what they show is published (docs/publication.md).
                # By key range, not a list of thousands of keys: publishing what any approved
                # claim in the range uses is what its own approval did or will do.
                Claim.objects.filter(pk__range=(low, high)).publish_what_they_use()
                # And their watchers told, in bulk (watching.events).
                events.claims_approved(batch, by=user)
            first_pk = low if first_pk is None else min(first_pk, low)
            written += len(batch)
    if written != total:
        raise file_changed(None)
    if progress:
        progress("writing", written, total)
    report.claims_added = written
    report.written = True
    return first_pk


def copy_claims(claims: list[Claim], user, now) -> None:
    """Write claims and their history rows: COPY on PostgreSQL (claims.bulk), else bulk_create."""
    insert_with_history(Claim, claims, user=user, reason=IMPORT_REASON, now=now)


def save_sources(sources: list[Source], user, now) -> None:
    """Save new sources in bulk, with their history rows, each after its new affiliation."""
    pending = list(sources)
    while pending:
        ready = [s for s in pending if s._parent is None or s._parent.pk is not None]  # type: ignore[attr-defined]
        if not ready:  # The check refuses affiliation loops; this is a bug.
            raise RuntimeError("Affiliation loop among new sources.")
        for source in ready:
            source.affiliation = source._parent  # type: ignore[attr-defined]
        insert_with_history(Source, ready, user=user, reason=IMPORT_REASON, now=now)
        pending = [s for s in pending if s.pk is None]


def search_text(claim: Claim, folded: dict[int, str]) -> str:
    """Return what Claim.build_search_text returns, folding each speaker and detainee once."""
    names = folded.get(id(claim.source))
    if names is None:
        speakers = [claim.source.name, *claim.source.aliases]
        if claim.source.affiliation_id:
            speakers += [claim.source.affiliation.name, *claim.source.affiliation.aliases]
        names = "\n".join(fast_fold(name) for name in speakers if name)
        folded[id(claim.source)] = names
    parts = [fast_fold(claim.quote), fast_fold(claim.summary), names]
    if claim.detainee_id:
        person = folded.get(id(claim.detainee))
        if person is None:
            person = "\n".join(
                fast_fold(p) for p in (claim.detainee.name, *claim.detainee.aliases) if p
            )
            folded[id(claim.detainee)] = person
        parts.append(person)
    return "\n".join(p for p in parts if p)
