"""
How the API speaks, whatever the resource: who may call it, what a body must
be, how pages are numbered, and what an error looks like.

- Reading follows READING_REQUIRES_LOGIN, as the HTML pages do
  (crosscheck.access): public by default; with the setting on, an anonymous
  read answers 401.
- Writing needs a login: an anonymous write answers 401, with a
  `WWW-Authenticate: Token` header (token auth is the first authenticator).
  Which role may write what is each view's check, as on the web (403).
- A body is one JSON object. A body that is not JSON, or not an object,
  answers 400 with the problem under `non_field_errors`.
- Every 400 has one shape, the web form's errors: `{"field": ["message", …]}`,
  with errors about no one field under `non_field_errors`. Every other error
  is `{"detail": "message"}`, plus what a 409 adds.
- Everything under /api/ answers JSON, errors Django raises outside DRF's
  views included: a path that names no endpoint (`/api/claims/0.5/`, whose
  id the router's pattern refuses) is a JSON 404 (`not_found`, the last
  route of api.urls, so DEBUG's HTML 404 page never answers either), and
  Django's own 400, 403, 404 and 500 handlers answer JSON for an /api/ path
  (crosscheck.urls, `api_error`).
- Lists are numbered pages (?page=2), 50 rows by default as on the HTML
  lists, `page_size` up to 200. Page numbers rather than cursors: the
  FilterSets choose the order (a `sort`, or relevance ranking for a search),
  and a cursor needs one fixed order; with numbers, page 2 of the API is
  page 2 of the HTML list for the same query string.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect, JsonResponse
from django.urls import Resolver404, resolve
from rest_framework import exceptions, pagination, parsers, permissions

from crosscheck.lists import BoundedPaginator

NON_FIELD = "non_field_errors"
# Where the API lives (crosscheck.urls includes api.urls here).
PREFIX = "/api/"


class ReadingPermission(permissions.BasePermission):
    """Reads as READING_REQUIRES_LOGIN says; writes need a login (roles are checked per view)."""

    def has_permission(self, request, view) -> bool:
        if request.method in permissions.SAFE_METHODS and not settings.READING_REQUIRES_LOGIN:
            return True
        return bool(request.user and request.user.is_authenticated)


class JSONObjectParser(parsers.JSONParser):
    """Parse a JSON object; anything else is a 400 that says what is wrong with the body."""

    def parse(self, stream, media_type=None, parser_context=None):
        try:
            data = super().parse(stream, media_type, parser_context)
        except exceptions.ParseError as error:
            raise exceptions.ParseError(
                {NON_FIELD: [f"The body is not valid JSON ({plain(error.detail)})."]}
            ) from error
        if not isinstance(data, dict):
            raise exceptions.ParseError(
                {NON_FIELD: ['Send one JSON object, e.g. {"field": "value"}.']}
            )
        return data


def plain(detail) -> str:
    """Return DRF's parse message without its "JSON parse error - " prefix."""
    return str(detail).removeprefix("JSON parse error - ")


class PageNumberPagination(pagination.PageNumberPagination):
    """Numbered pages, counted as the HTML lists count (crosscheck.lists.BoundedPaginator).

    `count` stops at settings.LIST_COUNT_LIMIT; `count_is_capped` says there
    are more rows than that, and pages stop there: narrow the filters (or
    download the list, crosscheck.exports, which is not bounded).
    """

    django_paginator_class = BoundedPaginator
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def get_paginated_response(self, data):
        response = super().get_paginated_response(data)
        response.data["count_is_capped"] = self.page.paginator.is_capped
        return response

    def get_paginated_response_schema(self, schema: dict) -> dict:
        schema = super().get_paginated_response_schema(schema)
        schema["properties"]["count_is_capped"] = {
            "type": "boolean",
            "description": "More rows match than `count` says: counting stops there.",
        }
        schema["required"] = [*schema.get("required", []), "count_is_capped"]
        return schema


def form_errors(form) -> dict[str, list[str]]:
    """Return a bound form's errors as the API's 400 body: the web's messages, by field."""
    return {
        NON_FIELD if field == NON_FIELD_ERRORS else field: [str(m) for m in messages]
        for field, messages in form.errors.items()
    }


def exception_handler(exc, context):
    """DRF's handler, with a validation error about no field put under `non_field_errors`."""
    # Imported here: rest_framework.views reads the settings that name this module.
    from rest_framework.views import exception_handler as drf_exception_handler

    response = drf_exception_handler(exc, context)
    invalid = response is not None and isinstance(exc, exceptions.ValidationError)
    if invalid and isinstance(response.data, list):
        response.data = {NON_FIELD: response.data}
    return response


# Errors outside DRF's views ------------------------------------------------

ERROR_DETAILS = {
    400: "Bad request.",
    403: "You do not have permission to perform this action.",
    404: "Not found.",
    405: "Method not allowed.",
    500: "Server error: the request was not completed. Try again later.",
}


def is_api(request: HttpRequest) -> bool:
    return request.path_info.startswith(PREFIX)


def api_error(status: int, detail: str = "") -> JsonResponse:
    """Return the API's error body, `{"detail": ...}`, for an error Django answers itself."""
    return JsonResponse({"detail": detail or ERROR_DETAILS[status]}, status=status)


def not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Answer a JSON 404 for a path under /api/ that names no endpoint.

    As CommonMiddleware does for the rest of the site (APPEND_SLASH): a path
    missing only its final slash is redirected to the one that exists, since
    this catch-all route means that every /api/ path "exists" for the
    middleware.
    """
    path = request.path_info
    if settings.APPEND_SLASH and not path.endswith("/"):
        try:
            match = resolve(path + "/")
        except Resolver404:
            match = None
        if match is not None and match.func is not not_found:
            return HttpResponsePermanentRedirect(request.get_full_path(force_append_slash=True))
    return api_error(404, "Not found: no endpoint has this address.")
