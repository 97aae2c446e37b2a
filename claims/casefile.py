"""
Case files: a whole case as one JSON document (DESIGN.md "Case files").

`validate_case` reads the whole document and returns every error, each with
its place and value (`claims[3].stance: 'maybe' is not one of affirms,
denies, no_information`). It checks the shape of the file itself (keys,
types, choices, dates, names that refer to other entries), then builds the
model instances the file describes, unsaved, and runs the models' own
`full_clean()` on them, so that a case file and a form accept the same
claims. `import_case` writes a valid file in one transaction, or nothing.
`export_case` writes the same format back.

Every error is reported at once: an entry with a wrong key is still judged
by the model rules with that key left out. Only what cannot be judged waits
for the next run: a claim whose topic, detainee or kind is wrong, or any
entry that refers to an entry the model rules refused.

Choices DESIGN.md leaves open, made here:

- Rows are matched by natural key: a source or detainee by name, a document
  or topic by title, a note by (source, body), a claim by (source, topic,
  detainee, stated_on, quote). Names refer to entries in the file or to rows
  already in the database.
- A matched row whose values differ is updated through `save()`, so the
  change is in its history, attributed to the importing user. An optional
  key left out of the file leaves the stored value alone; `null` (or "")
  clears it. A row whose values are equal is not saved at all, so importing
  the same file twice writes nothing, not even history.
- The natural key itself never changes: a claim with a corrected quote is a
  new claim (retract the old one).
- Notes are never edited (see CredibilityNote): a note with a new body is a
  new note; a note with the same source and body is the stored note, and any
  other difference (aspect, signature, date) is reported as a warning, not
  written.
- A detainee's topics are only ever added to, never removed: claims on a
  topic may depend on the detainee being listed under it.
- A claim's `state` is set directly, as a moderator's decision carried by the
  file; the change is recorded like any other (state_changed_at/by, history)
  and an approved claim takes part in detection, run once per variable at
  the end of the import.
- An import that changes a stored claim bumps its `version`.
- A stored topic whose window or bounds change is re-examined. Stored claims
  the file does not carry are not re-checked against the new bounds.
- A relay (claims/conflicts.py, "Relays") names the claim it repeats by that
  claim's natural key less what the relay shares with it (a relay is on the
  same topic and detainee): `"relays": {"source": ..., "stated_on": ...,
  "quote": ...}`, a claim in the file or in the database; and/or whose words
  it repeats, `"relays_source": "<source name>"`, when the original is not
  recorded. A relayed claim that names no claim of the file or the database,
  a claim relaying itself and a loop of relays are errors at their place.
  Relays are linked after every claim is written, so a file may list a relay
  before its original.
- A party (issue 14) is matched by (topic, source); a file with another
  reason updates the stored one, on the record. A withdrawn party is not
  exported, and an import never withdraws one.
- Hidden notes are not exported: the format has no way to say "hidden", and
  an importer would show them.
"""

from __future__ import annotations

import calendar
import difflib
import json
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.text import slugify

from claims import detection
from claims.models import Claim, Conflict, Detainee, Document, Topic, TopicParty
from crosscheck.text import normalise, text_problem
from sources.models import CredibilityNote, Source

SECTIONS = (
    "sources",
    "notes",
    "documents",
    "topics",
    "parties",
    "detainees",
    "claims",
    "resolutions",
)

TEXT, INT, NUMBER, DATE, DATETIME, NAMES, CLAIM = (
    "text",
    "int",
    "number",
    "date",
    "datetime",
    "names",
    "claim",
)
# What names a claim in a resolution: its natural key (docs/case-files.md).
CLAIM_KEY = ("source", "topic", "detainee", "stated_on", "quote")
CLAIM_REF = "claim_ref"  # A relay's reference to the claim it repeats.


@dataclass(frozen=True)
class Key:
    """What one key of an entry may hold."""

    type: str = TEXT
    required: bool = False
    nullable: bool = True
    choices: tuple[str, ...] = ()
    refers_to: str = ""  # The section whose names the value refers to.


def required(type_: str = TEXT, **kwargs: Any) -> Key:
    return Key(type_, required=True, nullable=False, **kwargs)


SCHEMA: dict[str, dict[str, Key]] = {
    "sources": {
        "name": required(),
        "kind": required(choices=tuple(Source.Kind.values)),
        "affiliation": Key(refers_to="sources"),
        # Optional: other names and acronyms, searched with the name.
        "aliases": Key(NAMES),
        "country": Key(),
        "url": Key(),
        "description": Key(),
    },
    "notes": {
        "source": required(refers_to="sources"),
        "body": required(),
        "aspect": Key(nullable=False, choices=tuple(CredibilityNote.Aspect.values)),
        "signed_by": Key(),
        "written_on": Key(DATE, nullable=False),
    },
    "documents": {
        "title": required(),
        "kind": Key(nullable=False, choices=tuple(Document.Kind.values)),
        "publisher": Key(),
        "url": Key(),
        "published_on": Key(DATE),
        "archive_url": Key(),
    },
    "topics": {
        "title": required(),
        "question": required(),
        "quantity_label": Key(),
        "quantity_min": Key(INT),
        "quantity_max": Key(INT),
        "window_days": Key(INT, nullable=False),
        # Two counts this close agree (claims.conflicts.TopicRules).
        "tolerance": Key(INT, nullable=False),
        "tolerance_percent": Key(NUMBER, nullable=False),
        # Lists against persons: the status whose detainees the count counts.
        "counts_status": Key(choices=tuple(Claim.Status.values)),
    },
    # Interested parties (issue 14): which sources are parties to a topic, and why.
    "parties": {
        "topic": required(refers_to="topics"),
        "source": required(refers_to="sources"),
        "reason": required(),
    },
    "detainees": {
        "name": required(),
        "aliases": Key(NAMES),
        "arrested_on": Key(DATE),
        "charges": Key(),
        "place_of_detention": Key(),
        "topics": Key(NAMES, refers_to="topics"),
    },
    "claims": {
        "source": required(refers_to="sources"),
        "topic": required(refers_to="topics"),
        "detainee": Key(refers_to="detainees"),
        # Required although the model defaults to fact: a demand silently
        # recorded as a fact would be flagged as a contradiction.
        "kind": required(choices=tuple(Claim.Kind.values)),
        "stance": Key(choices=tuple(Claim.Stance.values)),
        "quantity_min": Key(INT),
        "quantity_max": Key(INT),
        "status": Key(choices=tuple(Claim.Status.values)),
        "quote": required(),
        # Optional: a file without it holds direct quotes, as files did before it.
        "quote_kind": Key(nullable=False, choices=tuple(Claim.QuoteKind.values)),
        "summary": required(),
        "stated_on": required(DATE),
        "as_of": Key(DATE),
        "document": Key(refers_to="documents"),
        "citation_url": Key(),
        "language": Key(nullable=False),
        "state": Key(nullable=False, choices=tuple(Claim.State.values)),
        # Only in a file exported with resolutions: what they gave the claim
        # there. Never written: the resolutions give it again, and a verdict
        # that comes out otherwise is reported as a warning.
        "verdict": Key(choices=tuple(Claim.Verdict.values)),
        # Whose words the claim repeats (a relay): a claim, or only a source.
        "relays": Key(CLAIM_REF),
        "relays_source": Key(refers_to="sources"),
    },
    # Only in a file exported with resolutions (export_case --with-resolutions).
    "resolutions": {
        "claim_a": required(CLAIM),
        "claim_b": required(CLAIM),
        "status": required(choices=tuple(Conflict.HUMAN_CLOSED)),
        "outcome": Key(choices=tuple(Conflict.Outcome.values)),
        "reason": required(),
        "evidence_url": Key(),
        "true_quantity": Key(INT),
        "true_status": Key(choices=tuple(Claim.Status.values)),
        # Derived again on import (the later of the two claims' dates).
        "true_as_of": Key(DATE),
        "decided_by": Key(),
        "decided_at": Key(DATETIME),
    },
}
# The keys of a claim reference ("relays"): the relayed claim's natural key
# less the topic and detainee it shares with the relay.
CLAIM_REF_KEYS = ("source", "stated_on", "quote")

# The key that names an entry, for the sections other entries refer to.
NAME_KEY = {"sources": "name", "documents": "title", "topics": "title", "detainees": "name"}
MODELS: dict[str, type[models.Model]] = {
    "sources": Source,
    "documents": Document,
    "topics": Topic,
    "detainees": Detainee,
}
NOUN = {"sources": "source", "documents": "document", "topics": "topic", "detainees": "detainee"}

# What an import may change on a row it matched by natural key.
MUTABLE_FIELDS = {
    "sources": ("kind", "affiliation", "aliases", "country", "url", "description"),
    "documents": ("kind", "publisher", "url", "published_on", "archive_url"),
    "topics": (
        "question",
        "quantity_label",
        "quantity_min",
        "quantity_max",
        "window_days",
        "tolerance",
        "tolerance_percent",
        "counts_status",
    ),
    "detainees": ("aliases", "arrested_on", "charges", "place_of_detention"),
    "claims": (
        "kind",
        "stance",
        "quantity_min",
        "quantity_max",
        "status",
        "quote_kind",
        "summary",
        "as_of",
        "document",
        "citation_url",
        "language",
        "state",
        "relays_source",
    ),
}
# Topic fields the conflict rules read: changing one re-examines the topic.
TOPIC_RULE_FIELDS = {
    "quantity_label",
    "quantity_min",
    "quantity_max",
    "window_days",
    "tolerance",
    "tolerance_percent",
    "counts_status",
}
CLAIM_RELATIONS = ("source", "topic", "detainee", "document", "relays_source")
SECTION_OF = {
    "relays_source": "sources",
    "affiliation": "sources",
    "source": "sources",
    "topic": "topics",
    "detainee": "detainees",
    "document": "documents",
}
# Keys without which the model rules cannot judge an entry at all.
PIVOTAL = {
    "sources": {"name"},
    "notes": set(),
    "parties": set(),
    "documents": {"title"},
    "topics": {"title"},
    "detainees": {"name"},
    "claims": {"topic", "detainee", "kind"},
    "resolutions": {"claim_a", "claim_b", "status"},
}
# Django's generic "cannot be blank/null" says less than the model's own
# message on the same field, when there is one.
GENERIC_CODES = {"blank", "null"}
IMPORT_REASON = "Imported from a case file."
SWAPPED = {
    Conflict.Outcome.A_RIGHT: Conflict.Outcome.B_RIGHT,
    Conflict.Outcome.B_RIGHT: Conflict.Outcome.A_RIGHT,
}
DATE_FORMAT = re.compile(r"\d{4}-\d{2}-\d{2}")
ENTRY_PATH = re.compile(r"(\w+)\[(\d+)\]")


@dataclass(frozen=True)
class CaseError:
    """One thing wrong with a case file, at one place in it."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message

    @property
    def sort_key(self) -> tuple[int, int]:
        match = ENTRY_PATH.match(self.path)
        if not match or match[1] not in SECTIONS:
            return (-1, 0)
        return (SECTIONS.index(match[1]), int(match[2]))


class CaseFileError(Exception):
    """The case file has errors; nothing was written."""

    def __init__(self, errors: list[CaseError]) -> None:
        self.errors = errors
        count = len(errors)
        super().__init__(
            f"{count} error{'s' if count != 1 else ''} in the case file; nothing was imported."
        )


@dataclass
class ImportResult:
    """How many rows of each kind an import created, updated or left unchanged."""

    counts: dict[str, Counter] = field(default_factory=lambda: {s: Counter() for s in SECTIONS})
    warnings: list[str] = field(default_factory=list)

    def count(self, section: str, outcome: str) -> None:
        self.counts[section][outcome] += 1

    def summary(self) -> str:
        """Return one line: "sources: 7 created, 0 updated, 0 unchanged; notes: ..."."""
        return "; ".join(
            f"{section}: {c['created']} created, {c['updated']} updated, {c['unchanged']} unchanged"
            for section, c in self.counts.items()
            # A file without resolutions says nothing of them.
            if section != "resolutions" or c.total()
        )


def show(value: Any) -> str:
    """Return a value as the error messages quote it: strings in quotes, the rest as JSON."""
    if isinstance(value, str):
        return repr(value if len(value) <= 80 else value[:77] + "...")
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 80 else text[:77] + "..."


def parse_date(value: Any) -> tuple[date | None, str]:
    """Return (the date, "") or (None, why it is not one)."""
    if not isinstance(value, str) or not DATE_FORMAT.fullmatch(value):
        return None, f"{show(value)} is not a date in the form YYYY-MM-DD"
    year, month, day = (int(part) for part in value.split("-"))
    if not 1 <= month <= 12:
        return None, f"{show(value)} is an impossible date: there is no month {month}"
    if year < 1:
        return None, f"{show(value)} is an impossible date: there is no year 0"
    days = calendar.monthrange(year, month)[1]
    if not 1 <= day <= days:
        return None, (
            f"{show(value)} is an impossible date: "
            f"{calendar.month_name[month]} {year} has {days} days"
        )
    return date(year, month, day), ""


@dataclass
class Entry:
    """One entry of the file, as far as it could be read, and what it will write."""

    section: str
    index: int
    raw: dict
    values: dict[str, Any] = field(default_factory=dict)
    # The keys found wrong; "" when the entry as a whole is.
    broken: set[str] = field(default_factory=set)
    instance: models.Model | None = None
    existing: bool = False
    changed: bool = False
    snapshot: dict[str, Any] = field(default_factory=dict)
    new_topics: list[str] = field(default_factory=list)  # Detainees only.
    # Resolutions only: the two claims, each a claims entry of the file or a stored claim.
    targets: tuple = ()
    relayed_stored: Any = None  # Claims only: the stored claim a relay repeats.

    @property
    def path(self) -> str:
        return f"{self.section}[{self.index}]"

    @property
    def name(self) -> str | None:
        value = self.raw.get(NAME_KEY.get(self.section, ""))
        return value if isinstance(value, str) else None

    @property
    def checkable(self) -> bool:
        """Return whether the model rules can judge the entry, its wrong keys left out."""
        return "" not in self.broken and not self.broken & PIVOTAL[self.section]


class Unresolved(Exception):
    """A name refers to an entry that could not be built."""


class CaseCheck:
    """Read a case file and the rows it refers to; collect every error.

    After `run()`, `errors` lists what is wrong; when it is empty, each entry
    carries the instance to save (new or stored) and whether it changed.
    """

    def __init__(self, data: Any) -> None:
        self.data = data
        self.errors: list[CaseError] = []
        self.entries: dict[str, list[Entry]] = {s: [] for s in SECTIONS}
        self.by_name: dict[str, dict[str, Entry]] = {s: {} for s in NAME_KEY}
        self.stored: dict[str, dict[str, models.Model]] = {s: {} for s in NAME_KEY}
        self.refs: list[tuple[Entry, str, str, str]] = []  # (entry, path, section, name)
        self.warnings: list[str] = []

    # Reading -----------------------------------------------------------------

    def error(self, path: str, message: str, entry: Entry | None = None) -> None:
        self.errors.append(CaseError(path, message))
        if entry is not None:
            rest = path[len(entry.path) :]
            key = re.match(r"\.(\w+)", rest)
            entry.broken.add(key[1] if key else "")

    def run(self) -> list[CaseError]:
        if not isinstance(self.data, dict):
            kind = "a list" if isinstance(self.data, list) else show(self.data)
            self.error("", f"a case file is a JSON object with {', '.join(SECTIONS)}; got {kind}")
            return self.errors
        for key, value in self.data.items():
            if key not in SECTIONS:
                self.error(key, self.unknown_key(value, key, SECTIONS))
        for section in SECTIONS:
            items = self.data.get(section, [])
            if not isinstance(items, list):
                self.error(section, f"{show(items)} is not a list")
                continue
            for index, raw in enumerate(items):
                self.read_entry(section, index, raw)
        self.load_stored()
        self.check_references()
        self.check_affiliation_loops()
        self.check_duplicates()
        self.check_relays()
        self.build()
        self.errors.sort(key=lambda e: e.sort_key)
        return self.errors

    def unknown_key(self, value: Any, key: str, known: Iterable[str]) -> str:
        close = difflib.get_close_matches(key, list(known), n=1)
        hint = f"did you mean {close[0]!r}?" if close else f"known keys: {', '.join(known)}"
        return f"unknown key (value {show(value)}); {hint}"

    def read_entry(self, section: str, index: int, raw: Any) -> None:
        entry = Entry(section, index, raw if isinstance(raw, dict) else {})
        self.entries[section].append(entry)
        if not isinstance(raw, dict):
            self.error(entry.path, f"{show(raw)} is not an object", entry)
            return
        schema = SCHEMA[section]
        for key, value in raw.items():
            if key not in schema:
                self.error(f"{entry.path}.{key}", self.unknown_key(value, key, schema), entry)
        for key, spec in schema.items():
            path = f"{entry.path}.{key}"
            if key not in raw:
                if spec.required:
                    self.error(path, "required, but missing", entry)
                continue
            self.read_value(entry, path, key, spec, raw[key])
        if section in NAME_KEY and entry.name is not None:
            first = self.by_name[section].setdefault(entry.name, entry)
            if first is not entry:
                self.error(
                    f"{entry.path}.{NAME_KEY[section]}",
                    f"{show(entry.name)} is already used by {first.path}",
                    entry,
                )

    def read_value(self, entry: Entry, path: str, key: str, spec: Key, value: Any) -> None:
        if value is None:
            if not spec.nullable:
                self.error(path, "null, but a value is required", entry)
                return
            entry.values[key] = [] if spec.type == NAMES else None
            return
        if spec.type == TEXT:
            if not isinstance(value, str):
                self.error(path, f"{show(value)} is not a string", entry)
                return
            # The app's text policy (crosscheck.text): refused before anything else.
            if problem := text_problem(value, "The text"):
                self.error(path, problem, entry)
                return
            value = normalise(value)
            if spec.choices and value not in spec.choices:
                self.error(path, f"{show(value)} is not one of {', '.join(spec.choices)}", entry)
                return
            if spec.refers_to:
                self.refs.append((entry, path, spec.refers_to, value))
        elif spec.type == INT:
            if not isinstance(value, int) or isinstance(value, bool):
                self.error(path, f"{show(value)} is not a whole number", entry)
                return
        elif spec.type == NUMBER:
            if not isinstance(value, int | float) or isinstance(value, bool):
                self.error(path, f"{show(value)} is not a number", entry)
                return
            value = Decimal(str(value))
        elif spec.type == DATETIME:
            parsed = parse_datetime(value) if isinstance(value, str) else None
            if parsed is None:
                self.error(path, f"{show(value)} is not a date and time (ISO 8601)", entry)
                return
            value = parsed if timezone.is_aware(parsed) else timezone.make_aware(parsed, UTC)
        elif spec.type == CLAIM:
            value = self.read_claim_key(entry, path, value)
            if value is None:
                return
        elif spec.type == DATE:
            value, problem = parse_date(value)
            if problem:
                self.error(path, problem, entry)
                return
        elif spec.type == CLAIM_REF:
            value = self.read_claim_ref(entry, path, value)
            if value is None:
                return
        elif spec.type == NAMES:
            if not isinstance(value, list):
                self.error(path, f"{show(value)} is not a list of names", entry)
                return
            for i, item in enumerate(value):
                if not isinstance(item, str):
                    self.error(f"{path}[{i}]", f"{show(item)} is not a string", entry)
                elif problem := text_problem(item, "The name"):
                    self.error(f"{path}[{i}]", problem, entry)
                elif spec.refers_to:
                    self.refs.append((entry, f"{path}[{i}]", spec.refers_to, item))
        entry.values[key] = value

    def read_claim_key(self, entry: Entry, path: str, value: Any) -> tuple | None:
        """Return a claim's natural key read from {source, topic, detainee, stated_on, quote}."""
        if not isinstance(value, dict):
            self.error(path, f"{show(value)} is not a claim: {{{', '.join(CLAIM_KEY)}}}", entry)
            return None
        for key in value:
            if key not in CLAIM_KEY:
                self.error(f"{path}.{key}", self.unknown_key(value[key], key, CLAIM_KEY), entry)
        parts = []
        for key in CLAIM_KEY:
            part = value.get(key)
            if key == "stated_on":
                part, problem = parse_date(part)
                if problem:
                    self.error(f"{path}.{key}", problem, entry)
                    return None
            elif part is not None and not isinstance(part, str):
                self.error(f"{path}.{key}", f"{show(part)} is not a string", entry)
                return None
            elif part is None and key != "detainee":
                self.error(f"{path}.{key}", "required, but missing", entry)
                return None
            elif part is not None:
                part = normalise(part)
            parts.append(part)
        return tuple(parts)

    def read_claim_ref(self, entry: Entry, path: str, value: Any) -> tuple | None:
        """Read a reference to a claim: {"source", "stated_on", "quote"}; None when wrong."""
        if not isinstance(value, dict) or set(value) != set(CLAIM_REF_KEYS):
            self.error(
                path,
                f"{show(value)} is not a claim reference: an object with exactly "
                f"{', '.join(CLAIM_REF_KEYS)} (the relayed claim's)",
                entry,
            )
            return None
        stated_on, problem = parse_date(value["stated_on"])
        if problem:
            self.error(f"{path}.stated_on", problem, entry)
            return None
        for key in ("source", "quote"):
            if not isinstance(value[key], str):
                self.error(f"{path}.{key}", f"{show(value[key])} is not a string", entry)
                return None
        self.refs.append((entry, f"{path}.source", "sources", normalise(value["source"])))
        return (normalise(value["source"]), stated_on, normalise(value["quote"]))

    def check_relays(self) -> None:
        """Find each relayed claim in the file or the database; refuse self-relays and loops."""
        file_keys: dict[tuple, Entry] = {}
        for entry in self.entries["claims"]:
            v = entry.values
            key = (v.get("source"), v.get("topic"), v.get("detainee"), v.get("stated_on"))
            file_keys.setdefault((*key, v.get("quote")), entry)
        targets: dict[int, Entry] = {}
        for entry in self.entries["claims"]:
            ref = entry.values.get("relays")
            if ref is None or "relays" in entry.broken:
                continue
            source, stated_on, quote = ref
            v = entry.values
            key = (source, v.get("topic"), v.get("detainee"), stated_on, quote)
            target = file_keys.get(key)
            if target is entry:
                self.error(
                    f"{entry.path}.relays",
                    "a claim cannot relay itself: name the claim whose words it repeats",
                    entry,
                )
                continue
            if target is not None:
                targets[entry.index] = target
                continue
            stored = self.stored_claim(source, v.get("topic"), v.get("detainee"), stated_on, quote)
            if stored is None:
                self.error(
                    f"{entry.path}.relays",
                    f"no claim of {show(source)} on {stated_on} with that quote, on the same "
                    "topic and detainee, in this file or in the database",
                    entry,
                )
                continue
            entry.relayed_stored = stored
        for entry in self.entries["claims"]:
            seen, current = [entry.index], targets.get(entry.index)
            while current is not None:
                if current.index in seen:
                    loop = " → ".join(f"claims[{i}]" for i in [*seen, current.index])
                    self.error(
                        f"{entry.path}.relays",
                        f"these relays make a loop ({loop}): a claim cannot end up relaying itself",
                        entry,
                    )
                    break
                seen.append(current.index)
                current = targets.get(current.index)
        self.relay_targets = targets

    def stored_claim(self, source, topic, detainee, stated_on, quote) -> Claim | None:
        source_row = self.stored["sources"].get(source)
        topic_row = self.stored["topics"].get(topic)
        if source_row is None or topic_row is None:
            return None
        detainee_row = self.stored["detainees"].get(detainee) if detainee else None
        if detainee and detainee_row is None:
            return None
        return (
            Claim.objects.filter(
                source=source_row,
                topic=topic_row,
                detainee=detainee_row,
                stated_on=stated_on,
                quote=quote,
            )
            .order_by("pk")
            .first()
        )

    def load_stored(self) -> None:
        """Fetch, one query per kind, the stored rows the file names or refers to."""
        wanted: dict[str, set[str]] = {s: set(self.by_name[s]) for s in NAME_KEY}
        for _, _, section, name in self.refs:
            wanted[section].add(name)
        for section, names in wanted.items():
            if not names:
                continue
            rows = MODELS[section].objects.filter(**{f"{NAME_KEY[section]}__in": names})
            if section == "detainees":
                rows = rows.prefetch_related("topics")
            self.stored[section] = {getattr(row, NAME_KEY[section]): row for row in rows}

    def check_references(self) -> None:
        for entry, path, section, name in self.refs:
            if name in self.by_name[section] or name in self.stored[section]:
                continue
            known = list(self.by_name[section])
            close = difflib.get_close_matches(name, known, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            self.error(
                path,
                f"{show(name)} is not a {NOUN[section]} in this file or in the database{hint}",
                entry,
            )

    def affiliation_of(self, name: str) -> str | None:
        entry = self.by_name["sources"].get(name)
        if entry is not None and "affiliation" in entry.values:
            return entry.values["affiliation"]
        row = self.stored["sources"].get(name)
        if row is None:
            row = Source.objects.filter(name=name).select_related("affiliation").first()
        return row.affiliation.name if row is not None and row.affiliation_id else None

    def check_affiliation_loops(self) -> None:
        for entry in self.entries["sources"]:
            parent = entry.values.get("affiliation")
            if parent is None or entry.name is None:
                continue
            seen, current = {entry.name}, parent
            while current is not None and current not in seen:
                seen.add(current)
                current = self.affiliation_of(current)
            if current == entry.name:
                self.error(
                    f"{entry.path}.affiliation",
                    f"{show(parent)} would make {show(entry.name)} affiliated to itself",
                    entry,
                )

    def check_duplicates(self) -> None:
        """Report entries the natural key cannot tell apart, and topic titles that clash."""
        keys = {
            "notes": ("source", "body"),
            "claims": ("source", "topic", "detainee", "stated_on", "quote"),
        }
        for section, fields in keys.items():
            seen: dict[tuple, Entry] = {}
            for entry in self.entries[section]:
                if "" in entry.broken or entry.broken & set(fields):
                    continue
                key = tuple(entry.values.get(f) for f in fields)
                first = seen.setdefault(key, entry)
                if first is not entry:
                    self.error(
                        entry.path,
                        f"same {', '.join(fields)} as {first.path}: "
                        "the second would be taken for the first",
                        entry,
                    )
        slugs: dict[str, Entry] = {}
        for entry in self.entries["topics"]:
            if entry.name is None or entry.name in self.stored["topics"]:
                continue
            slug = slugify(entry.name) or "topic"
            first = slugs.setdefault(slug, entry)
            if first is not entry and first.name != entry.name:
                self.error(
                    f"{entry.path}.title",
                    f"{show(entry.name)} is too close to {first.path}'s title "
                    f"{show(first.name)}: both would have the address /topics/{slug}/",
                    entry,
                )

    # Building and model validation ------------------------------------------

    def ref(self, entry: Entry, key: str) -> models.Model | None:
        """Return what the entry's key refers to: the file's entry, else the stored row.

        Raise Unresolved when the key is wrong or names an entry that could
        not be built: what depends on it is checked once that is fixed.
        """
        name = entry.values.get(key)
        if key in entry.broken:
            raise Unresolved(key)
        if name is None:
            return None
        return self.instance_for(SECTION_OF[key], name)

    def instance_for(self, section: str, name: str) -> models.Model:
        target = self.by_name[section].get(name)
        if target is None:
            return self.stored[section][name]
        if target.instance is None:
            raise Unresolved(name)
        return target.instance

    def start(self, entry: Entry, model: type[models.Model]) -> models.Model:
        """Return the stored row the entry matches, or a new instance; remember what it held."""
        row = self.stored[entry.section].get(entry.name)
        if row is None:
            return model()
        self.remember(entry, row)
        return row

    def remember(self, entry: Entry, row: models.Model) -> None:
        entry.existing = True
        entry.snapshot = {
            name: getattr(row, row._meta.get_field(name).attname)
            for name in MUTABLE_FIELDS[entry.section]
        }

    def apply(self, entry: Entry, obj: models.Model) -> None:
        """Copy the entry's plain values onto the instance; null text becomes ""."""
        for key, value in entry.values.items():
            spec = SCHEMA[entry.section][key]
            if key in entry.broken or spec.refers_to or key == "verdict" or spec.type == CLAIM_REF:
                continue
            if value is None and spec.type == TEXT:
                value = ""
            setattr(obj, key, value)

    def clean(
        self,
        entry: Entry,
        obj: models.Model,
        exclude: Iterable[str] = (),
        skip_fields: Iterable[str] = (),
    ) -> bool:
        """Run the model's full_clean() and report its messages; return whether it passed.

        Keys already found wrong are left out: their values never reached the
        instance, and a second message about them would only repeat the first.
        """
        skip = set(entry.broken) | set(skip_fields)
        try:
            obj.full_clean(exclude=set(exclude) | skip)
        except ValidationError as exc:
            return not self.report_model_errors(entry, exc, skip)
        return True

    def report_model_errors(self, entry: Entry, exc: ValidationError, skip: set[str]) -> int:
        reported = 0
        for name, errors in exc.error_dict.items():
            if name in skip:
                continue
            own_words = any(e.code not in GENERIC_CODES for e in errors)
            kept = [e for e in errors if not (own_words and e.code in GENERIC_CODES)]
            for message in ValidationError(kept).messages:
                reported += 1
                if name == NON_FIELD_ERRORS:
                    self.error(entry.path, message, entry)
                elif name not in SCHEMA[entry.section]:
                    self.error(entry.path, f"{name}: {message}", entry)
                else:
                    value = entry.raw.get(name)
                    if name in entry.raw and (value == "" or str(value) not in message):
                        message = f"{message} (value: {show(value)})"
                    self.error(f"{entry.path}.{name}", message, entry)
        return reported

    def build(self) -> None:
        self.build_sources()
        self.build_notes()
        for section in ("documents", "topics"):
            for entry in self.entries[section]:
                if entry.checkable:
                    obj = self.start(entry, MODELS[section])
                    self.apply(entry, obj)
                    if self.clean(entry, obj, exclude=["slug"]):
                        entry.instance = obj
        self.build_parties()
        self.build_detainees()
        self.build_claims()
        self.check_resolutions()
        if self.errors:
            return
        for section in ("sources", "documents", "topics", "detainees", "claims"):
            for entry in self.entries[section]:
                if entry.existing:
                    entry.changed = self.differs(entry) or bool(entry.new_topics)

    def build_sources(self) -> None:
        ready = [e for e in self.entries["sources"] if e.checkable]
        # Every instance first, so that affiliations between new sources resolve.
        for entry in ready:
            entry.instance = self.start(entry, Source)
            self.apply(entry, entry.instance)
        for entry in ready:
            obj, exclude = entry.instance, []
            try:
                if "affiliation" in entry.values:
                    obj.affiliation = self.ref(entry, "affiliation")
            except Unresolved:
                exclude.append("affiliation")
            if not self.clean(entry, obj, exclude=exclude):
                entry.instance = None

    def build_notes(self) -> None:
        stored_notes: dict[tuple[int, str], CredibilityNote] = {}
        notes = CredibilityNote.objects.filter(source__in=self.stored["sources"].values())
        for note in notes.order_by("pk"):
            stored_notes.setdefault((note.source_id, note.body), note)
        for entry in self.entries["notes"]:
            if not entry.checkable:
                continue
            note = CredibilityNote()
            self.apply(entry, note)
            if not self.clean(entry, note, exclude=["source"]):
                continue
            try:
                note.source = source = self.ref(entry, "source")
            except Unresolved:
                continue
            stored = stored_notes.get((source.pk, note.body)) if source.pk else None
            if stored is None:
                entry.instance = note
                continue
            entry.instance, entry.existing = stored, True
            differences = [
                f"{key} {show(str(getattr(stored, key)))}"
                for key in ("aspect", "signed_by", "written_on")
                if key in entry.values and getattr(note, key) != getattr(stored, key)
            ]
            if differences:
                self.warnings.append(
                    f"{entry.path}: the stored note with this body has "
                    f"{', '.join(differences)}; a note is never edited, so it is kept as it is"
                )

    def build_parties(self) -> None:
        """A party is matched by (topic, source); a new reason updates the stored one."""
        stored: dict[tuple[int, int], TopicParty] = {
            (p.topic_id, p.source_id): p
            for p in TopicParty.objects.filter(
                topic__in=self.stored["topics"].values(),
                source__in=self.stored["sources"].values(),
            )
        }
        seen: dict[tuple[str, str], Entry] = {}
        for entry in self.entries["parties"]:
            if not entry.checkable:
                continue
            party = TopicParty()
            self.apply(entry, party)
            if not self.clean(entry, party, exclude=["topic", "source"]):
                continue
            try:
                topic, source = self.ref(entry, "topic"), self.ref(entry, "source")
            except Unresolved:
                continue
            key = (entry.values["topic"], entry.values["source"])
            if key in seen:
                self.error(
                    f"{entry.path}.source",
                    f"{show(key[1])} is already a party to {show(key[0])} in {seen[key].path}",
                    entry,
                )
                continue
            seen[key] = entry
            row = stored.get((topic.pk, source.pk)) if topic.pk and source.pk else None
            if row is None:
                entry.instance = party
                continue
            entry.instance, entry.existing = row, True
            entry.changed = row.reason != party.reason
            row.reason = party.reason

    def build_detainees(self) -> None:
        for entry in self.entries["detainees"]:
            if not entry.checkable:
                continue
            obj = self.start(entry, Detainee)
            self.apply(entry, obj)
            if not self.clean(entry, obj):
                continue
            entry.instance = obj
            listed = {t.title for t in obj.topics.all()} if entry.existing else set()
            wanted = dict.fromkeys(entry.values.get("topics") or [])
            entry.new_topics = [title for title in wanted if title not in listed]

    def check_resolutions(self) -> None:
        """Find each resolution's two claims, in the file or stored; check who decided.

        Whether the two claims conflict is known only once detection has run
        on the imported claims: `CaseWriter.write_resolutions` checks it.
        """
        entries = [e for e in self.entries["resolutions"] if e.checkable]
        if not entries:
            return
        in_file = {
            tuple(e.values.get(k) for k in CLAIM_KEY): e
            for e in self.entries["claims"]
            if not e.broken
        }
        for entry in entries:
            targets = []
            for side in ("claim_a", "claim_b"):
                key = entry.values[side]
                found = in_file.get(key) or stored_claim(key)
                if found is None:
                    self.error(
                        f"{entry.path}.{side}",
                        f"no claim of {show(key[0])} on {show(key[1])} stated on "
                        f"{key[3].isoformat()} with this quote, in this file or in the database",
                        entry,
                    )
                targets.append(found)
            if None in targets:
                continue
            if targets[0] is targets[1]:
                self.error(entry.path, "claim_a and claim_b are the same claim", entry)
                continue
            values = entry.values
            if values["status"] == Conflict.Status.DISMISSED and (
                values.get("outcome") or values.get("true_quantity") is not None
            ):
                self.error(entry.path, "a dismissal has no outcome and no true value", entry)
            if values["status"] == Conflict.Status.RESOLVED and not (
                values.get("outcome")
                or values.get("true_quantity") is not None
                or values.get("true_status")
            ):
                self.error(f"{entry.path}.outcome", "a resolution needs an outcome", entry)
            entry.targets = tuple(targets)
        names = {e.values.get("decided_by") for e in entries} - {None, ""}
        known = set(
            get_user_model().objects.filter(username__in=names).values_list("username", flat=True)
        )
        for name in sorted(names - known):
            self.warnings.append(
                f"resolutions: no user {name!r} here: the decisions are recorded as the "
                "importing user's (or nobody's), with the name in their history"
            )

    def topics_of_detainee(self, name: str) -> set[str]:
        """Return the titles a detainee will be listed under once the file is imported."""
        titles: set[str] = set()
        row = self.stored["detainees"].get(name)
        if row is not None:
            titles |= {t.title for t in row.topics.all()}
        entry = self.by_name["detainees"].get(name)
        if entry is not None:
            titles |= set(entry.values.get("topics") or [])
        return titles

    def build_claims(self) -> None:
        entries = [e for e in self.entries["claims"] if e.checkable]
        stored = self.stored_claims(entries)
        new_topics = [e.instance for e in self.entries["topics"] if e.instance is not None]
        new_detainees = [e.instance for e in self.entries["detainees"] if e.instance is not None]
        with placeholder_pks(new_topics + new_detainees):
            for entry in entries:
                related = self.claim_relations(entry)
                if related is None:
                    continue
                obj = stored.get(self.claim_key(entry, related))
                if obj is None:
                    obj = Claim()
                else:
                    self.remember(entry, obj)
                for key, value in related.items():
                    if key in entry.values:
                        setattr(obj, key, value)
                self.apply(entry, obj)
                self.clean_claim(entry, obj)

    def claim_relations(self, entry: Entry) -> dict[str, models.Model | None] | None:
        """Return what a claim refers to, or None when its topic or detainee is unresolved.

        The topic and the detainee decide which rules apply; without them the
        claim cannot be judged yet. A missing source or document only leaves
        that key out.
        """
        related: dict[str, models.Model | None] = {}
        for key in CLAIM_RELATIONS:
            try:
                related[key] = self.ref(entry, key)
            except Unresolved:
                if key in ("topic", "detainee"):
                    return None
                related[key] = None
        return related

    def clean_claim(self, entry: Entry, obj: Claim) -> None:
        detainee = entry.values.get("detainee")
        # Claim.clean asks the database whether the detainee is listed under
        # the topic; a detainee the file adds or lists anew is not there yet,
        # so the file's own answer replaces the model's.
        in_file = detainee is not None and detainee in self.by_name["detainees"]
        passed = self.clean(
            entry, obj, CLAIM_RELATIONS, skip_fields=["detainee"] if in_file else ()
        )
        if in_file and entry.values["topic"] not in self.topics_of_detainee(detainee):
            passed = False
            self.error(
                f"{entry.path}.detainee",
                f"{show(detainee)} is not listed under the topic {show(entry.values['topic'])}: "
                "add the topic to the detainee's topics",
                entry,
            )
        if passed:
            entry.instance = obj

    def stored_claims(self, entries: list[Entry]) -> dict[tuple, Claim]:
        """Fetch, in one query, the stored claims the file's claims may match."""
        source_ids, topic_ids = set(), set()
        for entry in entries:
            source = self.stored["sources"].get(entry.values.get("source"))
            topic = self.stored["topics"].get(entry.values.get("topic"))
            if source is not None and topic is not None:
                source_ids.add(source.pk)
                topic_ids.add(topic.pk)
        if not source_ids:
            return {}
        found: dict[tuple, Claim] = {}
        candidates = Claim.objects.filter(source__in=source_ids, topic__in=topic_ids)
        for claim in candidates.order_by("pk"):
            key = (claim.source_id, claim.topic_id, claim.detainee_id, claim.stated_on, claim.quote)
            found.setdefault(key, claim)
        return found

    def claim_key(self, entry: Entry, related: dict[str, models.Model | None]) -> tuple | None:
        """Return the natural key of a claim whose source, topic and detainee are stored."""
        source, topic, detainee = related["source"], related["topic"], related["detainee"]
        stored = [obj for obj in (source, topic, detainee) if obj is not None]
        if source is None or any(obj.pk is None or obj.pk < 0 for obj in stored):
            return None
        detainee_id = detainee.pk if detainee is not None else None
        return (
            source.pk,
            topic.pk,
            detainee_id,
            entry.values.get("stated_on"),
            entry.values.get("quote"),
        )

    def differs(self, entry: Entry) -> bool:
        obj = entry.instance
        for name in MUTABLE_FIELDS[entry.section]:
            model_field = obj._meta.get_field(name)
            if model_field.is_relation and model_field.is_cached(obj):
                related = model_field.get_cached_value(obj)
                if related is not None and related.pk is None:
                    return True  # Refers to a row the import creates.
                current = related.pk if related is not None else None
            else:
                current = getattr(obj, model_field.attname)
            if current != entry.snapshot[name]:
                return True
        return False


@contextmanager
def placeholder_pks(objects: list[models.Model]) -> Iterator[None]:
    """Give unsaved instances a negative pk while claims are validated against them.

    Claim.clean tells a claim about one detainee from a claim about the
    topic by `detainee_id`, and reads the topic's bounds only when
    `topic_id` is set; a detainee or topic new in the file has neither yet.
    """
    unsaved = [obj for obj in objects if obj.pk is None]
    for number, obj in enumerate(unsaved, start=1):
        obj.pk = -number
    try:
        yield
    finally:
        for obj in unsaved:
            obj.pk = None


def stored_claim(key: tuple) -> Claim | None:
    """Return the stored claim with this natural key, or None."""
    source, topic, detainee, stated_on, quote = key
    rows = Claim.objects.filter(
        source__name=source, topic__title=topic, stated_on=stated_on, quote=quote
    )
    rows = rows.filter(detainee=None) if detainee is None else rows.filter(detainee__name=detainee)
    return rows.order_by("pk").first()


def validate_case(data: Any) -> list[CaseError]:
    """Return every error in a case file, in file order; an empty list means it imports."""
    return CaseCheck(data).run()


def import_case(data: Any, *, user=None) -> ImportResult:
    """Write a case file in one transaction, or raise CaseFileError and write nothing."""
    with transaction.atomic():
        with detection.deferred():
            check = CaseCheck(data)
            if check.run():
                raise CaseFileError(check.errors)
            writer = CaseWriter(check, user)
            writer.write()
        # Detection has found the imported claims' conflicts: decide them.
        writer.written = timezone.now()
        result = writer.write_resolutions()
        writer.date_history()
        return result


class CaseWriter:
    """Save what a clean CaseCheck built, parents before the rows that refer to them."""

    def __init__(self, check: CaseCheck, user) -> None:
        self.check, self.user = check, user
        self.result = ImportResult(warnings=list(check.warnings))
        self.now = timezone.now()
        self.written = self.now  # When detection was done: set by import_case.
        self.decided_at: dict[int, datetime] = {}  # Conflict id: the file's decided_at.

    def save(self, obj: models.Model) -> None:
        if self.user is not None:
            obj._history_user = self.user
        obj._change_reason = IMPORT_REASON
        obj.save()

    def save_entry(self, entry: Entry) -> None:
        if not entry.existing:
            self.save(entry.instance)
            self.result.count(entry.section, "created")
        elif entry.changed:
            self.save(entry.instance)
            self.result.count(entry.section, "updated")
        else:
            self.result.count(entry.section, "unchanged")

    def write(self) -> ImportResult:
        entries = self.check.entries
        done: set[int] = set()
        for entry in entries["sources"]:
            self.write_source(entry, done)
        for entry in entries["notes"]:
            if entry.existing:
                self.result.count("notes", "unchanged")
                continue
            note = entry.instance
            note.source = self.check.instance_for("sources", entry.values["source"])
            note.created_by = self.user
            self.save(note)
            self.result.count("notes", "created")
        for entry in entries["documents"]:
            self.save_entry(entry)
        for entry in entries["topics"]:
            self.write_topic(entry)
        for entry in entries["parties"]:
            party = entry.instance
            party.topic = self.check.instance_for("topics", entry.values["topic"])
            party.source = self.check.instance_for("sources", entry.values["source"])
            if not entry.existing:
                self.save(party)
                self.result.count("parties", "created")
            elif entry.changed:
                self.save(party)
                self.result.count("parties", "updated")
            else:
                self.result.count("parties", "unchanged")
        for entry in entries["detainees"]:
            self.save_entry(entry)
            if entry.new_topics:
                entry.instance.topics.add(
                    *(self.check.instance_for("topics", t) for t in entry.new_topics)
                )
        for entry in entries["claims"]:
            self.write_claim(entry)
        for entry in entries["claims"]:
            self.link_relay(entry)
        return self.result

    def write_resolutions(self) -> ImportResult:
        """Record each resolution on the conflict detection found; raise if one has none.

        A conflict a person already decided here is left as it is (the same
        decision counts as unchanged, another is a warning). Who decided:
        the user of that username here, else the importing user, with the
        name and the date in the history either way.
        """
        entries = self.check.entries["resolutions"]
        if not entries:
            return self.result
        users = {
            u.username: u
            for u in get_user_model().objects.filter(
                username__in={e.values.get("decided_by") for e in entries} - {None}
            )
        }
        errors = []
        for entry in entries:
            claim_a, claim_b = (
                target.instance if isinstance(target, Entry) else target for target in entry.targets
            )
            low, high = sorted((claim_a, claim_b), key=lambda c: c.pk)
            conflict = (
                Conflict.objects.select_related("topic", "claim_a", "claim_b")
                .filter(claim_a=low, claim_b=high)
                .first()
            )
            if conflict is None or conflict.status not in (
                Conflict.Status.OPEN,
                *Conflict.HUMAN_CLOSED,
            ):
                errors.append(
                    CaseError(
                        entry.path,
                        "these two claims do not conflict here (not approved, superseded, "
                        "or their values agree), so there is nothing to decide",
                    )
                )
                continue
            values = entry.values
            outcome = values.get("outcome") or ""
            if claim_a.pk != conflict.claim_a_id:  # A and B are in id order: swapped here.
                outcome = SWAPPED.get(outcome, outcome)
            decision = (
                values["status"],
                outcome,
                values.get("true_quantity"),
                values.get("true_status") or "",
            )
            if conflict.status in Conflict.HUMAN_CLOSED:
                stored = (
                    conflict.status,
                    conflict.outcome,
                    conflict.true_quantity,
                    conflict.true_status,
                )
                # A file that left the outcome to the true value matches the outcome it gave.
                same = (
                    stored[0] == decision[0]
                    and stored[2:] == decision[2:]
                    and (not outcome or stored[1] == outcome)
                )
                if same:
                    self.result.count("resolutions", "unchanged")
                else:
                    self.result.warnings.append(
                        f"{entry.path}: conflict #{conflict.pk} is already "
                        f"{conflict.get_status_display().lower()} here, otherwise: left as it is"
                    )
                continue
            name = values.get("decided_by")
            by = users.get(name, self.user)
            at = values.get("decided_at") or self.now
            if values.get("decided_at"):
                self.decided_at[conflict.pk] = values["decided_at"]
            told = f" by {name}" if name else ""
            if name and name not in users:
                told += " (no such user here)"
            try:
                conflict.record_decision(
                    status=values["status"],
                    by=by,
                    at=at,
                    reason=values["reason"],
                    outcome=outcome,
                    evidence_url=values.get("evidence_url") or "",
                    true_quantity=values.get("true_quantity"),
                    true_status=values.get("true_status") or "",
                    change_reason=f"{IMPORT_REASON} {conflict.Status(values['status']).label}"
                    f"{told} on {at:%Y-%m-%d %H:%M} UTC: {values['reason']}",
                )
            except ValidationError as exc:
                errors.extend(CaseError(entry.path, message) for message in exc.messages)
                continue
            self.result.count("resolutions", "created")
        if errors:
            raise CaseFileError(errors)
        self.check_verdicts()
        return self.result

    def date_history(self) -> None:
        """Date the history this import wrote at the case's own dates ("What we knew when").

        Without it a demo imported today knows nothing on 2015-01-06. Only
        rows of records this import created are dated back; each keeps its
        user and says in its change reason that it was imported, when, and
        which date it carries:

        - a claim's versions written by the import (created, state set, relay
          linked): the start of its `stated_on` day, in the newsroom's time
          zone (the day the file says it was said, hence known);
        - a conflict detection opened between two claims the import created:
          its opening, at the start of the later claim's `stated_on` day;
        - a resolution with the file's `decided_at`: that moment (never before
          the opening it closes). One without stays at the import's time.

        Updates of rows that were already stored, and what the resolutions
        did to the claims' verdicts, keep the import's own time: dating them
        back would rewrite a history that had already been read. A few
        UPDATEs (one per distinct date), whatever the number of rows.
        """
        stamp = f"{self.now:%Y-%m-%d %H:%M} UTC"
        created = {
            e.instance.pk: e.instance.stated_on
            for e in self.check.entries["claims"]
            if not e.existing and e.instance.pk is not None
        }
        if not created:
            return
        claim_rows = Claim.history.filter(history_date__gte=self.now, history_date__lt=self.written)
        by_day: dict[date, list[int]] = {}
        for pk, day in created.items():
            by_day.setdefault(day, []).append(pk)
        for day, ids in by_day.items():
            claim_rows.filter(id__in=ids).update(
                history_date=start_of(day),
                history_change_reason=f"{IMPORT_REASON} Imported on {stamp}; dated at the "
                f"claim's statement, {day.isoformat()}.",
            )
        opened = (
            Conflict.history.filter(history_date__gte=self.now)
            .filter(claim_a_id__in=list(created), claim_b_id__in=list(created))
            .exclude(id__in=Conflict.history.filter(history_date__lt=self.now).values("id"))
        )
        conflicts = set(opened.order_by().values_list("id", flat=True).distinct())
        later_of = {
            pk: max(created[a], created[b])
            for pk, a, b in Conflict.objects.filter(pk__in=conflicts).values_list(
                "pk", "claim_a_id", "claim_b_id"
            )
        }
        by_day = {}
        for pk, day in later_of.items():
            by_day.setdefault(day, []).append(pk)
        for day, ids in by_day.items():
            Conflict.history.filter(
                id__in=ids, history_date__gte=self.now, history_date__lt=self.written
            ).update(
                history_date=start_of(day),
                history_change_reason=f"{IMPORT_REASON} Opened on {stamp}; dated at the later "
                f"claim's statement, {day.isoformat()}.",
            )
        for pk, at in self.decided_at.items():
            if pk not in later_of:
                continue
            at = max(at, start_of(later_of[pk]))
            decided = Conflict.history.filter(id=pk, history_date__gte=self.written)
            for row in decided.only("history_id", "history_change_reason"):
                Conflict.history.filter(history_id=row.history_id).update(
                    history_date=at,
                    history_change_reason=f"{row.history_change_reason} (Recorded on {stamp}; "
                    f"dated at its decided_at.)",
                )

    def check_verdicts(self) -> None:
        """Warn where a claim's verdict in the file is not the one the resolutions give here."""
        given = [e for e in self.check.entries["claims"] if e.values.get("verdict") is not None]
        if not given:
            return
        now = dict(
            Claim.objects.filter(pk__in=[e.instance.pk for e in given]).values_list("pk", "verdict")
        )
        for entry in given:
            here = now.get(entry.instance.pk, "")
            if here != entry.values["verdict"]:
                self.result.warnings.append(
                    f"{entry.path}.verdict: the file says {entry.values['verdict']!r}; the "
                    f"resolutions give {here or 'none'!r} here, which is kept"
                )

    def link_relay(self, entry: Entry) -> None:
        """Point a relay at the claim it repeats, once every claim of the file is saved."""
        if "relays" not in entry.values:
            return  # Left out of the file: the stored link stays.
        claim: Claim = entry.instance
        target = self.check.relay_targets.get(entry.index)
        relayed = target.instance if target is not None else entry.relayed_stored
        relayed_id = relayed.pk if relayed is not None else None
        if claim.relays_id == relayed_id:
            return
        claim.relays = relayed
        if relayed is not None:
            claim.relays_source_id = relayed.source_id
        claim.full_clean(exclude=["source", "topic", "detainee", "document"])
        self.save(claim)

    def write_source(self, entry: Entry, done: set[int]) -> None:
        if entry.index in done:
            return
        done.add(entry.index)
        parent = self.check.by_name["sources"].get(entry.values.get("affiliation"))
        if parent is not None:
            self.write_source(parent, done)
            entry.instance.affiliation = parent.instance
        self.save_entry(entry)

    def write_topic(self, entry: Entry) -> None:
        self.save_entry(entry)
        topic = entry.instance
        changed = {k for k, v in entry.snapshot.items() if getattr(topic, k) != v}
        if entry.existing and changed & TOPIC_RULE_FIELDS:
            # The window and bounds feed the conflict rules: re-examine the topic.
            variables = Claim.objects.filter(topic=topic).values_list("detainee_id", flat=True)
            for detainee_id in set(variables):
                detection.variable_changed(topic.pk, detainee_id)

    def write_claim(self, entry: Entry) -> None:
        claim: Claim = entry.instance
        # Again, now that the rows they refer to are saved: validation saw
        # placeholder keys.
        for key in CLAIM_RELATIONS:
            if key in entry.values:
                setattr(claim, key, self.check.ref(entry, key))
        if not entry.existing:
            claim.created_by = self.user
        if claim.state != (entry.snapshot.get("state") or Claim.State.DRAFT):
            claim.state_changed_at, claim.state_changed_by = self.now, self.user
            claim.state_reason = IMPORT_REASON
        if entry.existing and entry.changed:
            claim.version += 1
        self.save_entry(entry)


def start_of(day: date) -> datetime:
    """Return the first instant of `day` in the newsroom's time zone."""
    return timezone.make_aware(datetime.combine(day, time.min))


def _text(value: str) -> str | None:
    return value or None


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


def claim_key(claim: Claim) -> dict:
    """Return how a resolution names a claim: its natural key."""
    return {
        "source": claim.source.name,
        "topic": claim.topic.title,
        "detainee": claim.detainee.name if claim.detainee_id else None,
        "stated_on": _iso(claim.stated_on),
        "quote": claim.quote,
    }


def export_resolutions(claims: list[Claim]) -> list[dict]:
    """Return the decisions people took on conflicts between these claims, oldest first."""
    by_pk = {claim.pk: claim for claim in claims}
    # By topic (an index), not by claim ids: a whole database is a million of them.
    decided = [
        c
        for c in Conflict.objects.filter(
            status__in=Conflict.HUMAN_CLOSED, topic__in={claim.topic_id for claim in claims}
        )
        .select_related("status_changed_by")
        .order_by("status_changed_at", "pk")
        if c.claim_a_id in by_pk and c.claim_b_id in by_pk
    ]
    return [
        {
            "claim_a": claim_key(by_pk[c.claim_a_id]),
            "claim_b": claim_key(by_pk[c.claim_b_id]),
            "status": c.status,
            "outcome": _text(c.outcome),
            "reason": c.status_reason,
            "evidence_url": _text(c.evidence_url),
            "true_quantity": c.true_quantity,
            "true_status": _text(c.true_status),
            "true_as_of": _iso(c.true_as_of),
            "decided_by": c.status_changed_by.get_username() if c.status_changed_by_id else None,
            "decided_at": c.status_changed_at.astimezone(UTC).isoformat(),
        }
        for c in decided
    ]


def export_case(
    topics: Iterable[Topic] | None = None,
    *,
    states: Iterable[str] | None = None,
    public_only: bool = False,
    with_resolutions: bool = False,
) -> dict:
    """Return the case file for some topics (or everything), in the format import_case reads.

    With topics, the file carries their claims and what those refer to:
    sources (with their affiliations), visible notes on them, documents and
    detainees, so that it imports into an empty database. With states, only
    the claims in those states (a reader's download leaves drafts out).
    With public_only, only published detainees (docs/publication.md): the
    claims' own sources and documents are published with them. With
    with_resolutions, the decisions people took on conflicts between the
    claims exported, and each claim's verdict (docs/case-files.md).
    """
    claims = Claim.objects.select_related(
        "source", "topic", "detainee", "document", "relays_source", "relays__source"
    )
    if states is not None:
        claims = claims.filter(state__in=list(states))
    if topics is None:
        topic_rows = list(Topic.objects.order_by("title"))
        sources = list(Source.objects.select_related("affiliation").order_by("name"))
        documents = list(Document.objects.order_by("title"))
        detainees = list(Detainee.objects.prefetch_related("topics").order_by("name"))
        claims = list(claims.order_by("stated_on", "pk"))
    else:
        topic_rows = sorted(topics, key=lambda t: t.title)
        claims = list(claims.filter(topic__in=topic_rows).order_by("stated_on", "pk"))
        source_ids = {c.source_id for c in claims} | {
            c.relays_source_id for c in claims if c.relays_source_id
        }
        # A topic's parties go with it, whether or not they spoke.
        source_ids |= set(
            TopicParty.objects.current()
            .filter(topic__in=topic_rows)
            .values_list("source_id", flat=True)
        )
        frontier = set(source_ids)
        while frontier:  # Affiliations, however deep.
            parents = set(
                Source.objects.filter(pk__in=frontier, affiliation__isnull=False).values_list(
                    "affiliation_id", flat=True
                )
            )
            frontier = parents - source_ids
            source_ids |= frontier
        sources = list(
            Source.objects.filter(pk__in=source_ids).select_related("affiliation").order_by("name")
        )
        documents = sorted({c.document for c in claims if c.document}, key=lambda d: d.title)
        detainees = Detainee.objects.public() if public_only else Detainee.objects.all()
        detainees = list(
            detainees.filter(models.Q(topics__in=topic_rows) | models.Q(claims__in=claims))
            .distinct()
            .prefetch_related("topics")
            .order_by("name")
        )
    exported_topics = {t.pk for t in topic_rows}
    exported_claims = {c.pk for c in claims}
    notes = (
        CredibilityNote.objects.visible()
        .filter(source__in=[s.pk for s in sources])
        .select_related("source")
        .order_by("source__name", "written_on", "pk")
    )
    document = {
        "sources": [
            {
                "name": s.name,
                "kind": s.kind,
                "affiliation": s.affiliation.name if s.affiliation_id else None,
                "aliases": list(s.aliases),
                "country": _text(s.country),
                "url": _text(s.url),
                "description": _text(s.description),
            }
            for s in sources
        ],
        "notes": [
            {
                "source": n.source.name,
                "body": n.body,
                "aspect": n.aspect,
                "signed_by": _text(n.signed_by),
                "written_on": _iso(n.written_on),
            }
            for n in notes
        ],
        "documents": [
            {
                "title": d.title,
                "kind": d.kind,
                "publisher": _text(d.publisher),
                "url": _text(d.url),
                "published_on": _iso(d.published_on),
                "archive_url": _text(d.archive_url),
            }
            for d in documents
        ],
        "topics": [
            {
                "title": t.title,
                "question": t.question,
                "quantity_label": _text(t.quantity_label),
                "quantity_min": t.quantity_min,
                "quantity_max": t.quantity_max,
                "window_days": t.window_days,
                "tolerance": t.tolerance,
                "tolerance_percent": float(t.tolerance_percent),
                "counts_status": _text(t.counts_status),
            }
            for t in topic_rows
        ],
        "parties": [
            {"topic": p.topic.title, "source": p.source.name, "reason": p.reason}
            for p in TopicParty.objects.current()
            .filter(topic__in=topic_rows, source__in=sources)
            .select_related("topic", "source")
            .order_by("topic__title", "source__name")
        ],
        "detainees": [
            {
                "name": d.name,
                "aliases": list(d.aliases),
                "arrested_on": _iso(d.arrested_on),
                "charges": _text(d.charges),
                "place_of_detention": _text(d.place_of_detention),
                "topics": sorted(t.title for t in d.topics.all() if t.pk in exported_topics),
            }
            for d in detainees
        ],
        "claims": [
            {
                "source": c.source.name,
                "topic": c.topic.title,
                "detainee": c.detainee.name if c.detainee_id else None,
                "kind": c.kind,
                "stance": _text(c.stance),
                "quantity_min": c.quantity_min,
                "quantity_max": c.quantity_max,
                "status": _text(c.status),
                "quote": c.quote,
                "quote_kind": c.quote_kind,
                "summary": c.summary,
                "stated_on": _iso(c.stated_on),
                "as_of": _iso(c.as_of),
                "document": c.document.title if c.document_id else None,
                "citation_url": _text(c.citation_url),
                "language": c.language,
                "state": c.state,
                **({"verdict": _text(c.verdict)} if with_resolutions else {}),
                "relays": {
                    "source": c.relays.source.name,
                    "stated_on": _iso(c.relays.stated_on),
                    "quote": c.relays.quote,
                }
                if c.relays_id and c.relays_id in exported_claims
                else None,
                "relays_source": c.relays_source.name if c.relays_source_id else None,
            }
            for c in claims
        ],
    }
    if with_resolutions:
        document["resolutions"] = export_resolutions(claims)
    return document
