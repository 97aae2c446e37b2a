"""Direct edits to published facts, on the record (docs/publication.md).

Editors edit a published source, document, topic or detainee directly; an
edit that changes what readers were shown (a source's or detainee's name, a
document's title or address) is shown where it matters: "Renamed from … on …
by …". Read from the history django-simple-history keeps: one query for any
number of objects of one model, so a list page's count of queries stays the
same however many rows it shows.

Who is a person's display name, never a login name ("a newsroom member"
when they have none).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from itertools import pairwise

# What a reader was shown, by model: the fields whose change is announced.
SHOWN_FIELDS = {
    "document": ("title", "url"),
    "detainee": ("name",),
    "source": ("name",),
}


@dataclass(frozen=True)
class Edit:
    field: str  # "title", "url", "name"
    old: str
    new: str
    when: datetime
    who: str

    @property
    def is_rename(self) -> bool:
        return self.field in ("name", "title")


def who(first_name: str | None, last_name: str | None, had_user: bool) -> str:
    if not had_user:
        return "the system"
    return " ".join(filter(None, [first_name, last_name])) or "a newsroom member"


def published_edits(objects, limit: int = 5) -> dict[int, list[Edit]]:
    """Return {pk: its newest announced edits since publication, newest first}, in one query.

    `objects` are instances of one model (documents, detainees or sources);
    unpublished ones (and None) are skipped, and so is an edit made before
    the object was published (research changing, not a published fact).
    """
    published = {o.pk: o.published_at for o in objects if o is not None and o.published_at}
    if not published:
        return {}
    model = type(next(o for o in objects if o is not None and o.published_at))
    fields = SHOWN_FIELDS[model._meta.model_name]
    rows = (
        model.history.model.objects.filter(id__in=published)
        .order_by("id", "history_date", "history_id")
        .values(
            "id",
            "history_date",
            "history_user_id",
            "history_user__first_name",
            "history_user__last_name",
            *fields,
        )
    )
    by_object = defaultdict(list)
    for row in rows:
        by_object[row["id"]].append(row)
    edits: dict[int, list[Edit]] = {}
    for pk, history in by_object.items():
        found = []
        for older, newer in pairwise(history):
            if newer["history_date"] < published[pk]:
                continue
            for field in fields:
                if older[field] != newer[field]:
                    found.append(
                        Edit(
                            field,
                            older[field],
                            newer[field],
                            newer["history_date"],
                            who(
                                newer["history_user__first_name"],
                                newer["history_user__last_name"],
                                newer["history_user_id"] is not None,
                            ),
                        )
                    )
        if found:
            edits[pk] = found[::-1][:limit]
    return edits


def attach_edits(claims, relations=("document", "detainee")) -> None:
    """Give each claim's document and detainee their `published_edits`, in two queries.

    For the pages that show claims (a claim's page, the lists): the
    templates read `claim.document.published_edits` and
    `claim.detainee.published_edits` (claims/_edits.html).
    """
    claims = list(claims)
    for relation in relations:
        objects = [getattr(c, relation) for c in claims if getattr(c, f"{relation}_id")]
        edits = published_edits(objects)
        for obj in objects:
            obj.published_edits = edits.get(obj.pk, [])
