"""
The history page of one object: every historical record django-simple-history
kept, newest first, each with who, when, the change type and reason, what
changed since the record before it, and the whole object as it stood then.

Who may see what (DESIGN.md: reading is public unless a setting says not):

- sources, documents, topics and detainees: whoever may read, once
  published (docs/publication.md); before that, editors and up;
- conflicts: whoever may read;
- claims: whoever may read, once approved or retracted (the claims whose
  permalink works); a draft, pending or rejected claim only to its creator,
  to moderators (not drafts: a draft is its editor's until submitted) and to
  superusers;
- credibility notes: whoever may read, unless hidden; a hidden note only to
  those who may hide notes (sources.hide_credibilitynote).

Anything else answers 404, as if it did not exist. A reader's history of a
published object starts where the public met it: a claim's at its first
approval (its drafts, and rejection reasons before or after, are staff-only),
a source's, document's, topic's or detainee's at the record it was published
as (the one in force when it was published). The names of the people
who made changes are shown to logged-in users only; anonymous readers see
"a newsroom member", so that public pages do not list the staff's logins.

The page lists 50 records a page in a fixed number of queries: the object,
the count, the records with their users (plus the one before the page, to
diff the oldest against), the many-to-many rows of those records, and one
query per related model to name the objects foreign keys point to.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime

from django.core.paginator import Paginator
from django.db import models
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils import timezone
from django.utils.formats import date_format
from django.views.decorators.http import require_safe

from claims.models import Claim, Conflict, Detainee, Document, Topic
from crosscheck.access import reader_view
from sources.models import CredibilityNote, Source, sees_unpublished

PAGE_SIZE = 50

HISTORY_MODELS: dict[str, type[models.Model]] = {
    "source": Source,
    "credibilitynote": CredibilityNote,
    "document": Document,
    "topic": Topic,
    "detainee": Detainee,
    "claim": Claim,
    "conflict": Conflict,
}

# Bookkeeping that changes on every save and says nothing a reader needs.
HIDDEN_FIELDS = {"id", "updated_at", "search_text", "version"}

CHANGE_TYPES = {"+": "Created", "~": "Changed", "-": "Deleted"}

ANONYMOUS_AUTHOR = "a newsroom member"
SYSTEM_AUTHOR = "the system (import, detection or a command)"


def may_see(user, obj: models.Model) -> bool:
    """Return whether the user may see this object's history (see the module docstring)."""
    if isinstance(obj, Claim):
        if obj.state in (Claim.State.APPROVED, Claim.State.RETRACTED):
            return True
        if not user.is_authenticated:
            return False
        if user.is_superuser or (obj.created_by_id and obj.created_by_id == user.pk):
            return True
        return obj.state != Claim.State.DRAFT and user.has_perm("claims.moderate_claim")
    if isinstance(obj, CredibilityNote):
        # A note names its source: its history is as private as the source.
        if obj.source.published_at is None and not sees_unpublished(user):
            return False
        if obj.hidden:
            return user.has_perm("sources.hide_credibilitynote")
    if isinstance(obj, (Source, Document, Topic, Detainee)):
        return obj.published_at is not None or sees_unpublished(user)
    return True


def sees_whole_history(user, obj: models.Model) -> bool:
    """Return whether the user sees the records from before the object went public."""
    if isinstance(obj, Claim):
        if not user.is_authenticated:
            return False
        if user.is_superuser or (obj.created_by_id and obj.created_by_id == user.pk):
            return True
        return user.has_perm("claims.moderate_claim")
    if isinstance(obj, (Source, Document, Topic, Detainee)):
        return sees_unpublished(user)
    return True


def public_records(obj: models.Model, records):
    """Return the records a reader may see: from the object's publication on."""
    if isinstance(obj, Claim):
        shown = records.filter(state__in=[Claim.State.APPROVED, Claim.State.RETRACTED])
        first = (
            records.filter(state=Claim.State.APPROVED)
            .order_by("history_date", "history_id")
            .values_list("history_date", flat=True)
            .first()
        )
    else:
        shown = records
        first = (
            records.filter(history_date__lte=obj.published_at)
            .order_by("-history_date", "-history_id")
            .values_list("history_date", flat=True)
            .first()
        )
    return shown if first is None else shown.filter(history_date__gte=first)


@dataclass
class Change:
    label: str
    old: str
    new: str


@dataclass
class Entry:
    record: models.Model
    change_type: str
    author: str
    reason: str
    changes: list[Change]
    snapshot: list[tuple[str, str]]


class Formatter:
    """Turn stored values into words: choice labels, names of related objects, dates."""

    def __init__(self, model: type[models.Model], fields: list[models.Field], records, viewer):
        self.fields = fields
        self.viewer = viewer
        self.related: dict[tuple[type[models.Model], object], str] = {}
        wanted: dict[type[models.Model], set] = defaultdict(set)
        for field in fields:
            if field.is_relation and field.many_to_one:
                for record in records:
                    value = getattr(record, field.attname)
                    if value is not None:
                        wanted[field.related_model].add(value)
        for related_model, ids in wanted.items():
            queryset = related_model._default_manager.all()
            if related_model is Claim:
                queryset = queryset.select_related("source")
            for pk, obj in queryset.in_bulk(ids).items():
                self.related[(related_model, pk)] = self.name_of(obj)

    def name_of(self, obj: models.Model) -> str:
        if hasattr(obj, "get_username"):
            return self.person(obj)
        if isinstance(obj, Claim):
            return f"#{obj.pk} {obj.source.name}: {obj.summary}"
        return str(obj)

    def person(self, user) -> str:
        if user is None:
            return SYSTEM_AUTHOR
        if not self.viewer.is_authenticated:
            return ANONYMOUS_AUTHOR
        return user.get_full_name() or user.get_username()

    def value(self, field: models.Field, value) -> str:
        if value is None or value == "" or value == []:
            return "—"
        if field.is_relation and field.many_to_one:
            return self.related.get((field.related_model, value), f"#{value} (no longer exists)")
        if field.choices:
            return str(dict(field.flatchoices).get(value, value))
        if isinstance(value, bool):
            return "yes" if value else "no"
        if isinstance(value, datetime):
            return date_format(timezone.localtime(value), "M j, Y H:i")
        if isinstance(value, date):
            return date_format(value, "M j, Y")
        if isinstance(value, list):
            return ", ".join(str(v) for v in value)
        return str(value)


def m2m_values(model, records, fields) -> dict[tuple[int, str], list[str]]:
    """Return each record's many-to-many values by name, e.g. a detainee's topics."""
    values: dict[tuple[int, str], list[str]] = {}
    if not fields or not records:
        return values
    history_ids = [r.history_id for r in records]
    for field in fields:
        through = getattr(records[0], field.name).model
        target = field.related_model
        target_attname = next(f.attname for f in through._meta.fields if f.related_model is target)
        rows = through.objects.filter(history_id__in=history_ids).values_list(
            "history_id", target_attname
        )
        pairs = list(rows)
        names = target._default_manager.in_bulk({pk for _, pk in pairs})
        for record in records:
            values[(record.history_id, field.name)] = []
        for history_id, pk in pairs:
            name = str(names[pk]) if pk in names else f"#{pk} (no longer exists)"
            values[(history_id, field.name)].append(name)
    for names_of_record in values.values():
        names_of_record.sort()
    return values


def build_entries(model, records: list, previous, viewer) -> list[Entry]:
    """Build the entries for records (newest first); `previous` is the record before the last."""
    history_model = model.history.model
    fields = [
        f
        for f in history_model.tracked_fields
        if f.editable and f.name not in HIDDEN_FIELDS and not f.many_to_many
    ]
    m2m_fields = list(history_model._history_m2m_fields)
    chain = records + ([previous] if previous is not None else [])
    formatter = Formatter(model, fields, chain, viewer)
    many = m2m_values(model, chain, m2m_fields)

    def snapshot(record) -> list[tuple[str, str]]:
        rows = [
            (field.verbose_name, formatter.value(field, getattr(record, field.attname)))
            for field in fields
        ]
        for field in m2m_fields:
            rows.append(
                (field.verbose_name, ", ".join(many[(record.history_id, field.name)]) or "—")
            )
        return rows

    entries = []
    for index, record in enumerate(records):
        before = chain[index + 1] if index + 1 < len(chain) else None
        changes: list[Change] = []
        if before is not None:
            delta = record.diff_against(
                before,
                excluded_fields=[*HIDDEN_FIELDS, *(f.name for f in m2m_fields)],
            )
            by_name = {f.name: f for f in fields}
            for change in delta.changes:
                field = by_name.get(change.field)
                if field is None:
                    continue
                changes.append(
                    Change(
                        label=field.verbose_name,
                        old=formatter.value(field, getattr(before, field.attname)),
                        new=formatter.value(field, getattr(record, field.attname)),
                    )
                )
            for field in m2m_fields:
                old = many[(before.history_id, field.name)]
                new = many[(record.history_id, field.name)]
                if old != new:
                    changes.append(
                        Change(field.verbose_name, ", ".join(old) or "—", ", ".join(new) or "—")
                    )
            order = [f.verbose_name for f in fields] + [f.verbose_name for f in m2m_fields]
            changes.sort(key=lambda c: order.index(c.label))
        entries.append(
            Entry(
                record=record,
                change_type=CHANGE_TYPES.get(record.history_type, record.history_type),
                author=formatter.person(record.history_user),
                reason=record.history_change_reason or "",
                changes=changes,
                snapshot=snapshot(record),
            )
        )
    return entries


@require_safe
@reader_view
def object_history(request: HttpRequest, model: str, pk: int) -> HttpResponse:
    model_class = HISTORY_MODELS.get(model)
    if model_class is None:
        raise Http404("No history is kept for that kind of object.")
    obj = get_object_or_404(model_class, pk=pk)
    if not may_see(request.user, obj):
        raise Http404("No such object.")

    records = (
        model_class.history.filter(id=pk)
        .select_related("history_user")
        .order_by("-history_date", "-history_id")
    )
    if not sees_whole_history(request.user, obj):
        records = public_records(obj, records)
    paginator = Paginator(records, PAGE_SIZE)
    page = paginator.get_page(request.GET.get("page"))
    # One more record than the page holds: the one each oldest entry is diffed against.
    start = (page.number - 1) * PAGE_SIZE
    rows = list(records[start : start + PAGE_SIZE + 1])
    shown, previous = rows[:PAGE_SIZE], (rows[PAGE_SIZE] if len(rows) > PAGE_SIZE else None)
    context = {
        "object": obj,
        "model_name": model,
        "verbose_name": model_class._meta.verbose_name,
        "back_url": back_url(obj),
        "page": page,
        "entries": build_entries(model_class, shown, previous, request.user),
    }
    return render(request, "history/object_history.html", context)


def back_url(obj: models.Model) -> str:
    """Return the page the object is shown on, if it has one."""
    if isinstance(obj, CredibilityNote):
        return obj.source.get_absolute_url()
    if isinstance(obj, Claim) and obj.state not in (Claim.State.APPROVED, Claim.State.RETRACTED):
        return ""
    return obj.get_absolute_url() if hasattr(obj, "get_absolute_url") else ""
