"""Counting each list row's related rows, in the list's own query."""

from django.db.models import Aggregate, Count, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.functions import Coalesce


def count_per_row(rows: QuerySet, column: str, count: Aggregate | None = None) -> Coalesce:
    """Return an expression counting the `rows` whose `column` is the outer row (0 for none).

    A correlated subquery rather than a join with GROUP BY: PostgreSQL runs
    it only for the rows it returns, the page, where a GROUP BY counts the
    related rows of every row before sorting and cutting the page (the
    detainees list took 0.55 s at a million claims that way). `count`
    defaults to COUNT(*), which an index-only scan can answer.
    """
    counted = rows.filter(**{column: OuterRef("pk")}).order_by().values(column)
    counted = counted.annotate(n=count or Count("*"))
    return Coalesce(Subquery(counted.values("n"), output_field=IntegerField()), 0)
