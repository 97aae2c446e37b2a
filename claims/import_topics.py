"""
Topics a spreadsheet import creates: the "Topic …" columns of claims.spreadsheet.

Real data arrives as one flat table (a city's population in a year, as
Wikipedia's edits give it: one topic per city-year, thousands of them), so an
import may create the topics its rows name, as it creates sources and
documents. The rules, written here and in the README ("Importing a
spreadsheet"):

- Who: a moderator or an administrator (`claims.moderate_claim` and
  `claims.add_topic`). Topics carry the comparison rules, which decide what
  conflicts open, so an editor's import names stored topics only; a row of
  an editor's naming an unknown topic gets an error saying who may create
  one (an editor may still add it on the New topic page first).
- What: the row's topic title, plus the optional columns Topic question
  (required for a new topic), Topic quantity label (alias Topic unit),
  Topic quantity min / max, Topic window days (alias Topic window), Topic
  tolerance and Topic tolerance percent: Topic's own fields, checked by the
  model's field validators and `Topic.clean_rules()`, so the messages are
  the topic form's.
- The first row naming a new topic defines it; a later row naming it may
  leave the topic cells empty or repeat them, and a cell that differs is an
  error at that cell naming the first row ("one topic has one definition").
  A row naming a new topic whose definition is wrong is told which row to
  fix.
- A row naming a stored topic may repeat its definition (a download of the
  import re-imports as it is) but not change it: an import never edits a
  stored topic.
- A new title whose slug a stored or another new topic already has is an
  error (the topic form's "Another topic already has a title this close"),
  checked for all new topics in one query.
- All or nothing, as every other cell: a bad definition anywhere means the
  file writes nothing.
- Writing: bulk INSERT with history rows (the importer, the time, the reason
  "Created by a spreadsheet import"); published as any other topic
  (docs/publication.md): an approved import publishes the topics its claims
  use, a pending one leaves them unpublished research.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.utils.text import slugify

from claims.bulk import insert_with_history
from claims.models import Topic

if TYPE_CHECKING:
    from claims.spreadsheet import RowReport, SheetCheck

TOPIC_REASON = "Created by a spreadsheet import."
# Column key → Topic field; the order is the definition's, for messages.
TOPIC_FIELDS = {
    "topic_question": "question",
    "topic_quantity_label": "quantity_label",
    "topic_quantity_min": "quantity_min",
    "topic_quantity_max": "quantity_max",
    "topic_window_days": "window_days",
    "topic_tolerance": "tolerance",
    "topic_tolerance_percent": "tolerance_percent",
}
# A new topic's fields no column gives: their defaults are not checked again.
TOPIC_UNDEFINED = [
    f.name for f in Topic._meta.fields if f.name != "title" and f.name not in TOPIC_FIELDS.values()
]
TOPIC_FIELD_COLUMN = {"title": "topic", "slug": "topic", **{v: k for k, v in TOPIC_FIELDS.items()}}
WHOLE_NUMBERS = {"quantity_min", "quantity_max", "window_days", "tolerance"}
TOPIC_HEADER_ALIASES = {"topic_unit": "topic_quantity_label", "topic_window": "topic_window_days"}
BROKEN = object()  # A new topic whose defining row has errors.


def may_create_topics(user) -> bool:
    """Moderators and administrators may create topics with an import."""
    return (
        user is not None
        and user.has_perm("claims.moderate_claim")
        and user.has_perm("claims.add_topic")
    )


def topic_slug(title: str) -> str:
    """The slug Topic.save gives a title."""
    return slugify(title)[:200] or "topic"


def parse(field: str, text: str) -> tuple[Any, str]:
    """Return (a topic field's value from a cell, "") or (None, why the cell is wrong)."""
    if field in WHOLE_NUMBERS:
        try:
            return int(text), ""
        except ValueError:
            return None, f"“{text}” is not a whole number."
    if field == "tolerance_percent":
        try:
            value = Decimal(text.rstrip("%").strip())
        except InvalidOperation:
            return None, f"“{text}” is not a number (a percentage, e.g. 1 or 0.5)."
        if not value.is_finite():
            return None, f"“{text}” is not a number (a percentage, e.g. 1 or 0.5)."
        return value, ""
    return text, ""


def same(field: str, a: Any, b: Any) -> bool:
    if field == "tolerance_percent":
        return Decimal(a or 0) == Decimal(b or 0)
    if field == "tolerance":
        return (a or 0) == (b or 0)
    return a == b


def shown(value: Any) -> str:
    return "none" if value is None or value == "" else str(value)


class NewTopics:
    """The topics one check creates, and the checks of the Topic cells against stored topics.

    Used by SheetCheck: `topic_for(row, values)` returns the row's topic
    (stored or new) or None after reporting why there is none.
    """

    def __init__(self, check: SheetCheck) -> None:
        self.check = check
        self.allowed = may_create_topics(check.user)
        self.given = [key for key in TOPIC_FIELDS if key in check.columns]
        # Casefolded title → (the defining row, the Topic, the values its cells gave) or BROKEN.
        self.new: dict[str, Any] = {}
        self.slugs: dict[str, str] | None = None  # Slug → title, stored and new.

    def definition(self, row: RowReport, values: dict[str, str]) -> dict[str, Any] | None:
        """Return {field: value} for the Topic cells the row fills; None if one is wrong."""
        found, ok = {}, True
        for key in self.given:
            text = values.get(key, "")
            if not text:
                continue
            value, problem = parse(TOPIC_FIELDS[key], text)
            if problem:
                self.check.error(row, key, problem)
                ok = False
            found[TOPIC_FIELDS[key]] = value
        return found if ok else None

    def topic_for(self, row: RowReport, values: dict[str, str], stored: Topic | None):
        title = values.get("topic", "")
        defined = self.definition(row, values)
        if stored is not None:
            if defined:
                self.compare_stored(row, stored, defined)
            return stored
        key = title.casefold()
        first = self.new.get(key)
        if first is BROKEN:
            self.check.error(row, "topic", f"The new topic “{title}” is defined with errors in "
                             "an earlier row: correct that row.")  # fmt: skip
            return None
        if first is not None:
            first_row, topic, first_defined = first
            if defined:
                self.compare_new(row, first_row.number, topic, first_defined, defined)
            return topic
        if defined is None:  # A wrong cell, already reported.
            self.new[key] = BROKEN
            return None
        if not self.allowed:
            self.check.error(row, "topic", (
                f"No topic is titled “{title}”. Only a moderator or an administrator may "
                "create topics with an import (topics carry the comparison rules): ask one "
                "to import the file, add the topic on the New topic page first, or correct "
                "the title."
            ))  # fmt: skip
            return None
        if not defined.get("question"):
            hint = (
                f"give its {self.check.col('topic_question')} in this row (the first that "
                "names it) to create it"
                if "topic_question" in self.check.columns
                else "add a Topic question column to create it with the import"
            )
            self.check.error(row, "topic", (
                f"No topic is titled “{title}”: {hint}, add it on the New topic page first, "
                "or correct the title."
            ))  # fmt: skip
            return None
        topic = self.build(row, title, defined)
        if topic is None:
            self.new[key] = BROKEN
            return None
        self.new[key] = (row, topic, defined)
        self.check.report.new_topics.append(topic.title)
        row.actions.append(f"will add topic “{topic.title}”")
        return topic

    def build(self, row: RowReport, title: str, defined: dict[str, Any]) -> Topic | None:
        topic = Topic(title=title, slug=topic_slug(title), **defined)
        try:
            # The fields the rows define (and the title); the others hold their defaults.
            topic.clean_fields(exclude=[f for f in TOPIC_UNDEFINED if f not in defined])
            topic.clean_rules()
        except ValidationError as exc:
            self.check.report_errors(row, exc, TOPIC_FIELD_COLUMN, "topic")
            return None
        taken = self.taken_slugs().get(topic.slug)
        if taken is not None:
            self.check.error(row, "topic", (
                f"Another topic already has a title this close: “{taken}” (both would be "
                f"at /topics/{topic.slug}/); choose a title that differs in more than case "
                "or punctuation."
            ))  # fmt: skip
            return None
        self.slugs[topic.slug] = topic.title  # type: ignore[index]
        return topic

    def taken_slugs(self) -> dict[str, str]:
        """Return {slug: title} of the stored topics whose slugs the file's new titles take.

        One query, for all the titles the lookup did not match.
        """
        if self.slugs is None:
            wanted = {topic_slug(name) for name, found in self.check.topics.items() if not found}
            self.slugs = {}
            for slug_chunk in chunks(sorted(wanted), 1000):
                self.slugs.update(
                    Topic.objects.filter(slug__in=slug_chunk).values_list("slug", "title")
                )
        return self.slugs

    def compare_stored(self, row: RowReport, stored: Topic, defined: dict[str, Any]) -> None:
        for field, value in defined.items():
            if not same(field, getattr(stored, field), value):
                label = Topic._meta.get_field(field).verbose_name
                self.check.error(row, TOPIC_FIELD_COLUMN[field], (
                    f"The topic “{stored.title}” is stored with {label} "
                    f"“{shown(getattr(stored, field))}”; an import does not change a stored "
                    "topic: correct the cell or leave it empty."
                ))  # fmt: skip

    def compare_new(self, row, first: int, topic: Topic, first_defined: dict, defined: dict):
        for field, value in defined.items():
            before = first_defined.get(field, getattr(topic, field))
            if not same(field, before, value):
                label = Topic._meta.get_field(field).verbose_name
                self.check.error(row, TOPIC_FIELD_COLUMN[field], (
                    f"Row {first} gives the new topic “{topic.title}” the {label} "
                    f"“{shown(before)}”: one topic has one definition."
                ))  # fmt: skip


def chunks(items: list, size: int):
    for start in range(0, len(items), size):
        yield items[start : start + size]


def save_topics(topics: list[Topic], user, now) -> None:
    """Insert the new topics with their history rows (who, when, why)."""
    if not topics:
        return
    insert_with_history(Topic, topics, user=user, reason=TOPIC_REASON, now=now)
