"""
What every list page shares: 50 rows a page, a bounded count, forgiving page
numbers, htmx fragments.

Counting is bounded. A list counts its rows up to settings.LIST_COUNT_LIMIT
(10,000) and no further: past it, the page says "more than 10,000" and pages
stop at the limit. Counting every match is what made the lists slow at a
million claims (docs/benchmarks.md: a COUNT(*) over 920,010 rows took 0.4 s
on every request, a search's over 60,000 matches 0.3 s), and nobody pages to
page 18,400: a reader past the first 10,000 narrows the filters instead.
"""

from functools import cached_property

from django.conf import settings
from django.core.paginator import Page, Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers

PAGE_SIZE = 50


class BoundedPaginator(Paginator):
    """A paginator that counts at most `limit` rows; `is_capped` says there are more."""

    def __init__(
        self, object_list, per_page, *, limit: int | None = None, count_rows=None, **kwargs
    ) -> None:
        super().__init__(object_list, per_page, **kwargs)
        self.limit = settings.LIST_COUNT_LIMIT if limit is None else limit
        # The same rows in a form cheaper to count, when the list has one
        # (a search: claims.filters.ClaimFilterSet.rows_to_count).
        self.count_rows = count_rows

    @cached_property
    def counted(self) -> int:
        """The rows, counted up to one past the limit (a COUNT over a LIMIT subquery)."""
        rows = self.object_list if self.count_rows is None else self.count_rows
        if hasattr(rows, "query"):
            # Which rows fall past the limit does not matter to the count: no
            # ORDER BY, so neither a sort nor a search's ranking is computed.
            return rows.order_by().values("pk")[: self.limit + 1].count()
        return len(rows[: self.limit + 1])

    @cached_property
    def count(self) -> int:
        return min(self.counted, self.limit)

    @property
    def is_capped(self) -> bool:
        return self.counted > self.limit


def paginate(
    request: HttpRequest, object_list, per_page: int = PAGE_SIZE, *, param: str = "page"
) -> tuple[Page, str]:
    """Return the requested page of object_list and, if there is no such page, why it differs.

    `param` names the page in the query string, for a page with two lists.
    """
    return page_of(request, BoundedPaginator(object_list, per_page), param=param)


def page_of(request: HttpRequest, paginator: Paginator, *, param: str = "page") -> tuple[Page, str]:
    """Return the requested page and, when the request asked for no such page, why it differs.

    A shared link may name a page that no longer exists, and a hand-edited
    one anything at all: the reader gets the nearest page and a notice, never
    an error.
    """
    raw = request.GET.get(param, "")
    try:
        number = int(raw)
    except ValueError:
        number = 1
    page = paginator.page(min(max(number, 1), paginator.num_pages))
    if raw in ("", str(page.number)):
        return page, ""
    shown = raw if len(raw) <= 20 else raw[:20] + "…"
    return page, f"There is no page “{shown}”: showing page {page.number} of {paginator.num_pages}."


def render_list(
    request: HttpRequest, template_name: str, context: dict, partial: str = "results"
) -> HttpResponse:
    """Render the page, or only its results partial for an htmx request from the filter form.

    A history restore (the reader pressed Back and htmx had no copy) needs the
    whole page, as does any request without JavaScript.
    """
    htmx = getattr(request, "htmx", None)
    if htmx and not htmx.history_restore_request:
        template_name = f"{template_name}#{partial}"
        # The fragment carries the page's <title>: htmx moves it to the document.
        context = {**context, "fragment": True}
    response = render(request, template_name, context)
    # The same URL answers with a page or a fragment: caches must tell them apart.
    patch_vary_headers(response, ("HX-Request",))
    return response
