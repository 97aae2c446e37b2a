"""What every list page shares: 50 rows a page, forgiving page numbers, htmx fragments."""

from django.core.paginator import Page, Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers

PAGE_SIZE = 50


def paginate(request: HttpRequest, object_list, per_page: int = PAGE_SIZE) -> tuple[Page, str]:
    """Return the requested page of object_list and, if there is no such page, why it differs."""
    return page_of(request, Paginator(object_list, per_page))


def page_of(request: HttpRequest, paginator: Paginator) -> tuple[Page, str]:
    """Return the requested page and, when the request asked for no such page, why it differs.

    A shared link may name a page that no longer exists, and a hand-edited
    one anything at all: the reader gets the nearest page and a notice, never
    an error.
    """
    raw = request.GET.get("page", "")
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
