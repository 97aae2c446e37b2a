"""
Downloads of the reading lists as CSV and JSON, streamed row by row.

A list export is the list page's own FilterSet and visibility rule, with its
query string, run without pagination: every matching row, in the page's
order. The rows are read inside one transaction, in chunks of CHUNK_SIZE,
and written out as they arrive, so that a million rows never sit in memory:

- On PostgreSQL `QuerySet.iterator()` reads through a server-side cursor.
  Outside a transaction Django declares it `WITH HOLD`, and PostgreSQL then
  runs the whole query and stores its result before the first row comes
  back: one long statement, cut by the web servers' statement timeout. Inside
  a transaction the cursor is plain, each FETCH is a short statement of its
  own, and the export reads one consistent snapshot even while moderators
  work. The transaction opens when the first byte is asked for, commits
  (it has written nothing) when the last is sent, and rolls back if the
  client goes away first. It is also safe behind PgBouncer in transaction pooling.
- On SQLite the same iterator fetches CHUNK_SIZE rows at a time.
- Related rows are joined in the same query, so a chunk costs no query of
  its own; a many-to-many (a detainee's topics) is prefetched once a chunk.
  Claims and conflicts are read as `values()` rows rather than model
  instances: building five instances a claim took a third of the time.
- Measured (bench/memory.py, docs/benchmarks.md): 0.5 MiB more peak memory
  for 92,087 claims than for 17,417, about 11,000 rows a second.

Keyset pagination (WHERE key > last ORDER BY key LIMIT n) was the other
way: it does not hold a transaction, but it has to be written for every sort
a list offers (by name, by reliability, by best match), and each batch sees
a different moment of the database.

CSV choices:

- UTF-8 with a byte order mark. Excel reads a CSV file without one in the
  computer's legacy code page, which turns "Sánchez" into "SÃ¡nchez"; with
  the mark it reads UTF-8. LibreOffice, Google Sheets, pandas
  (`encoding="utf-8-sig"`) and Python's csv module (the same) all accept it.
- A header row of readable names ("quantity min", "document URL").
- Formula injection (OWASP, "CSV Injection"): a text cell starting with
  `=`, `+`, `-`, `@`, a tab or a carriage return is prefixed with `'`, so
  that a spreadsheet shows it as text instead of running it. A quote such as
  `=HYPERLINK("http://evil","x")` comes out as `'=HYPERLINK(...)`. Numbers
  (int, float) are written as they are, negative ones included; dates are
  written as ISO strings (2015-01-06), which start with a digit.
- JSON is not neutralised: it is data for programs, and a changed value
  would be a wrong value there.

JSON is one array, one object per row, written "[", rows joined by ",",
"]", with ISO dates, and null for an absent value.

The file name says what and when: crosscheck-claims-2015-01-06.csv (the
server's date, in TIME_ZONE).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpResponse, StreamingHttpResponse
from django.urls import reverse
from django.utils import timezone

from crosscheck.text import printable

# Rows read from the database at a time. Larger chunks save round trips;
# a chunk of claims is about 6 MiB in memory (the empty export against one
# of 17,000 rows, measured).
CHUNK_SIZE = 2000
# Bytes gathered before they are handed to the server: one write per row
# would cost more in system calls than the rows cost to format.
FLUSH_BYTES = 64 * 1024
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"
FORMATS = {"csv": "text/csv; charset=utf-8", "json": "application/json"}


def neutralise(value: Any) -> Any:
    """Return a CSV cell a spreadsheet will not run as a formula: `'` before =, +, -, @, tab, CR.

    Only text is changed; numbers (int, float), None and booleans are returned as they are.
    """
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


@dataclass(frozen=True)
class Column:
    """One column of an export: its CSV header, its JSON key, and how to read it from a row."""

    header: str
    key: str
    value: Callable[[Any], Any]


def csv_cell(value: Any) -> Any:
    """Return a value as a CSV cell: "" for None, ISO dates, "; "-joined lists, neutralised text."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, (list, tuple)):
        value = "; ".join(str(v) for v in value)
    # Text stored before the text policy may hold a NUL or a control character.
    return neutralise(printable(value))


def csv_chunks(rows: Iterable[Any], columns: list[Column]) -> Iterator[str]:
    """Yield a CSV document (BOM, header, one line a row) in pieces of about FLUSH_BYTES."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write(BOM)
    writer.writerow([column.header for column in columns])
    for row in rows:
        writer.writerow([csv_cell(column.value(row)) for column in columns])
        if buffer.tell() >= FLUSH_BYTES:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def json_chunks(rows: Iterable[Any], columns: list[Column]) -> Iterator[str]:
    """Yield a JSON array, one object a row on a line of its own, in pieces of about FLUSH_BYTES."""
    encoder = DjangoJSONEncoder(ensure_ascii=False)
    parts, size, separator = ["["], 1, "\n"
    for row in rows:
        item = encoder.encode({column.key: column.value(row) for column in columns})
        parts += (separator, item)
        size += len(item) + 2
        separator = ",\n"
        if size >= FLUSH_BYTES:
            yield "".join(parts)
            parts, size = [], 0
    parts.append("\n]\n")
    yield "".join(parts)


def in_one_transaction(queryset: QuerySet, chunk_size: int = CHUNK_SIZE) -> Iterator[Any]:
    """Yield the queryset's rows in chunks, read in one read-only transaction (see above)."""
    with transaction.atomic(using=queryset.db):
        yield from queryset.iterator(chunk_size=chunk_size)


def filename(what: str, fmt: str) -> str:
    return f"crosscheck-{what}-{timezone.localdate().isoformat()}.{fmt}"


def permalink(name: str) -> Callable[[int], str]:
    """Return a function giving the absolute URL of the object of that URL name with that pk.

    On the canonical site address (settings.SITE_URL), as the feeds and the
    ClaimReview give it, not the request's Host header: a download made
    through a proxy, an IP address or a second name carries the same
    permalinks. `reverse()` per row would cost about as much as formatting
    the row.
    """
    marker = 987654321
    template = settings.SITE_URL + reverse(name, args=[marker])
    head, tail = template.split(str(marker))
    return lambda pk: f"{head}{pk}{tail}"


def download(
    queryset: QuerySet,
    columns: list[Column],
    *,
    what: str,
    fmt: str,
    json_columns: list[Column] | None = None,
) -> StreamingHttpResponse:
    """Return a streamed CSV or JSON attachment of the queryset's rows, named after `what`.

    `json_columns`, when given, shape the JSON objects (nested values) where
    the CSV needs flat ones.
    """
    rows = in_one_transaction(queryset)
    if fmt == "csv":
        chunks = csv_chunks(rows, columns)
    else:
        chunks = json_chunks(rows, json_columns or columns)
    response = StreamingHttpResponse(
        (chunk.encode() for chunk in chunks), content_type=FORMATS[fmt]
    )
    response["Content-Disposition"] = f'attachment; filename="{filename(what, fmt)}"'
    # Filters change what a URL returns; an export is never worth caching.
    response["Cache-Control"] = "no-store"
    return response


def json_download(document: Any, *, name: str) -> HttpResponse:
    """Return a whole JSON document (a case file, built in memory) as an attachment."""
    text = json.dumps(document, ensure_ascii=False, indent=2, cls=DjangoJSONEncoder) + "\n"
    response = HttpResponse(text, content_type=FORMATS["json"])
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "no-store"
    return response
