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
  answers 400 with the problem under `non_field_errors`; so does one nested
  deeper than MAX_DEPTH (the app's bodies are two levels deep: an object of
  lists). A 100,000-deep body stops the parser at Python's recursion limit,
  a RecursionError that was a 500 and is now that 400. A body over
  Django's DATA_UPLOAD_MAX_MEMORY_SIZE (2.5 MB by default, the bound Django
  sets on form bodies, which DRF's parsers bypass) answers 413 before it is
  read.
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
  lists (their count kept until the next write: RememberedCountPaginator),
  `page_size` up to 200 (more is read as 200). A `page` or `page_size`
  that is no whole number from 1 answers 400 naming it; a page
  past the last, 404. Page numbers rather than cursors: the
  FilterSets choose the order (a `sort`, or relevance ranking for a search),
  and a cursor needs one fixed order; with numbers, page 2 of the API is
  page 2 of the HTML list for the same query string. `next` and `previous`
  are on the canonical site address (SITE_URL), whatever Host was sent.
"""

from __future__ import annotations

import hashlib
import re

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, EmptyResultSet, RequestDataTooBig
from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect, JsonResponse
from django.urls import Resolver404, resolve
from django.utils.functional import cached_property
from django.views.decorators.csrf import csrf_exempt
from rest_framework import exceptions, pagination, parsers, permissions, status
from rest_framework.utils import json
from rest_framework.utils.urls import remove_query_param, replace_query_param

from crosscheck.cache import remembered
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


# Deeper than any body the app takes (an object of lists is two levels), far
# below Python's recursion limit.
MAX_DEPTH = 20
TOO_DEEP = (
    f"The body nests arrays or objects more than {MAX_DEPTH} levels deep: send a flat object."
)


class BodyTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_code = "body_too_large"


# JSON can escape half of a UTF-16 pair ("\\ud800"), which is no character:
# no database or page can hold it (a 500 on saving or rendering).
SURROGATE = re.compile(r"[\ud800-\udfff]")


def lone_surrogate_message(where: str, char: str) -> str:
    """Say which field holds a lone surrogate, in the text policy's words (crosscheck.text)."""
    return (
        f"{where} contains a lone surrogate (U+{ord(char):04X}), an escape such as \\ud800 "
        "without its pair: send text as whole characters."
    )


def inspect(data) -> tuple[int, tuple[str, str] | None]:
    """Return how deep parsed JSON nests, and where a string in it first holds a lone surrogate.

    The place is a path of keys and indexes (`name`, `claims[2].quote`) and the
    character, or None when every string is whole.
    """
    deepest, surrogate, stack = 0, None, [(data, 1, "")]
    while stack:
        value, depth, path = stack.pop()
        if isinstance(value, str):
            found = SURROGATE.search(value)
            if found and surrogate is None:
                surrogate = (path or "The body", found.group())
        elif isinstance(value, dict):
            deepest = max(deepest, depth)
            for key, child in value.items():
                # A key is echoed in the message: its own surrogates as escapes.
                shown = SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", str(key))
                here = f"{path}.{shown}" if path else shown
                stack.append((key, depth + 1, f"{here} (a key)"))
                stack.append((child, depth + 1, here))
        elif isinstance(value, list):
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1, f"{path}[{i}]") for i, child in enumerate(value))
    return deepest, surrogate


def too_large_message(limit: int | None) -> str:
    return f"The body is larger than {limit or 0:,} bytes: send less at a time."


class JSONObjectParser(parsers.JSONParser):
    """Parse a JSON object of bounded size and depth; anything else is a 400 (or a 413)."""

    def parse(self, stream, media_type=None, parser_context=None):
        parser_context = parser_context or {}
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
        text = self.read(stream, limit, parser_context)
        try:
            data = json.loads(text, parse_constant=json.strict_constant if self.strict else None)
        except RecursionError as error:
            raise exceptions.ParseError({NON_FIELD: [TOO_DEEP]}) from error
        except ValueError as error:
            raise exceptions.ParseError(
                {NON_FIELD: [f"The body is not valid JSON ({error})."]}
            ) from error
        depth, surrogate = inspect(data)
        if depth > MAX_DEPTH:
            raise exceptions.ParseError({NON_FIELD: [TOO_DEEP]})
        if surrogate:
            where, char = surrogate
            field = where.split(".")[0].split("[")[0].removesuffix(" (a key)")
            is_key = where.endswith(" (a key)")
            key = field if not is_key and isinstance(data, dict) and field in data else NON_FIELD
            raise exceptions.ParseError({key: [lone_surrogate_message(where, char)]})
        if not isinstance(data, dict):
            raise exceptions.ParseError(
                {NON_FIELD: ['Send one JSON object, e.g. {"field": "value"}.']}
            )
        return data

    @staticmethod
    def read(stream, limit: int | None, parser_context: dict) -> str:
        """Return the body as text, refusing (413) one over `limit` bytes before reading it."""
        too_large = BodyTooLarge(too_large_message(limit))
        request = parser_context.get("request")
        declared = request.META.get("CONTENT_LENGTH") if request is not None else None
        if limit is not None and declared and declared.isdigit() and int(declared) > limit:
            raise too_large
        raw = stream.read() if limit is None else stream.read(limit + 1)
        if limit is not None and len(raw) > limit:
            raise too_large
        encoding = parsers.get_encoding(parser_context)
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError as error:
            raise exceptions.ParseError(
                {NON_FIELD: [f"The body is not valid {encoding} text ({error.reason})."]}
            ) from error


class RememberedCountPaginator(BoundedPaginator):
    """A BoundedPaginator whose count is kept until the next write (crosscheck.cache.remembered).

    At a million claims, counting a filtered list up to its bound reads
    10,001 rows (20–135 ms, 500–4,000 buffers) on every request of every
    logged-in client, though it changes only when the data does. It is kept
    under the data generation, keyed by the count's own SQL and parameters:
    whatever the user may see is in that SQL (a moderator's notes list counts
    other rows than a reader's), so two queries share a count only if they
    count the same rows. Off where `remembered` is (VALUE_CACHE_SECONDS=0,
    inside a transaction).
    """

    @cached_property
    def counted(self) -> int:
        rows = self.object_list if self.count_rows is None else self.count_rows
        if not hasattr(rows, "query"):
            return super().counted
        bounded = rows.order_by().values("pk")[: self.limit + 1]
        try:
            sql, params = bounded.query.sql_with_params()
        except EmptyResultSet:  # A filter no row can match (an id past every column).
            return 0
        digest = hashlib.sha256(repr((bounded.db, sql, params)).encode()).hexdigest()[:32]
        return remembered(f"count:{digest}", bounded.count)


class PageNumberPagination(pagination.PageNumberPagination):
    """Numbered pages, counted as the HTML lists count (crosscheck.lists.BoundedPaginator).

    `count` stops at settings.LIST_COUNT_LIMIT; `count_is_capped` says there
    are more rows than that, and pages stop there: narrow the filters (or
    download the list, crosscheck.exports, which is not bounded).
    """

    django_paginator_class = RememberedCountPaginator
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200
    # The schema says `page` is a number: no "last" (a capped count has no last page).
    last_page_strings = ()

    def get_page_size(self, request) -> int:
        size = self.whole_number(request, self.page_size_query_param)
        return self.page_size if size is None else min(size, self.max_page_size)

    def get_page_number(self, request, paginator) -> int:
        number = self.whole_number(request, self.page_query_param)
        return 1 if number is None else number

    @staticmethod
    def whole_number(request, name: str) -> int | None:
        """Return a query parameter's whole number (1 or more), None if absent, or answer 400."""
        raw = request.query_params.get(name)
        if raw is None or raw == "":
            return None
        if raw.isascii() and raw.isdigit() and int(raw[:19]) >= 1:
            # Past 19 digits the number is past every page (and int() has a digit limit).
            return int(raw[:19])
        raise exceptions.ValidationError({name: ["Enter a whole number, 1 or more."]})

    def get_schema_operation_parameters(self, view) -> list[dict]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1
            if parameter["name"] == self.page_size_query_param:
                parameter["description"] = (
                    f"Rows a page, {self.page_size} by default; more than "
                    f"{self.max_page_size} is read as {self.max_page_size}."
                )
        return parameters

    def get_next_link(self) -> str | None:
        if not self.page.has_next():
            return None
        return replace_query_param(
            self.canonical_url(), self.page_query_param, self.page.next_page_number()
        )

    def get_previous_link(self) -> str | None:
        if not self.page.has_previous():
            return None
        number = self.page.previous_page_number()
        if number == 1:
            return remove_query_param(self.canonical_url(), self.page_query_param)
        return replace_query_param(self.canonical_url(), self.page_query_param, number)

    def canonical_url(self) -> str:
        """Return the page's address on settings.SITE_URL, not on the request's Host header.

        DRF builds `next` and `previous` with `build_absolute_uri`, from the
        Host a client sent: as the feeds, downloads and ClaimReview, the API
        links to the site's one canonical address.
        """
        return settings.SITE_URL + self.request.get_full_path()

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

    if isinstance(exc, RequestDataTooBig):
        # Django's own bound on a body, met when DRF reads `request.body`.
        exc = BodyTooLarge(too_large_message(settings.DATA_UPLOAD_MAX_MEMORY_SIZE))
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


@csrf_exempt  # As DRF's views are: a POST to no endpoint is a 404, not the CSRF page's 403.
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
