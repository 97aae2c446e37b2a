"""
What the OpenAPI schema says that drf-spectacular cannot infer from the views
(a postprocessing hook, settings.SPECTACULAR_SETTINGS):

- Who may call: reads are public unless READING_REQUIRES_LOGIN, so a GET
  lists the empty security requirement `{}` beside the token and the
  session; writes need one of the two (api.conventions.ReadingPermission).
- Bodies: every request body is a web form's (api.forms.body_serializer),
  and api.forms.form_data refuses a key that is no field of the form (400,
  "Unknown field."), so each body component says `additionalProperties:
  false`. The empty bodies (a claim's submit, a note's restore) refuse any
  key too (api.views.no_body).
- Filters: a choice filter lists its choices (enum), and "" with them,
  which every list reads as "any" (the HTML form's empty option); every
  other query parameter takes "" too (`?source=`, `?page=`), read as not
  given, since the HTML forms send their empty fields. Choices
  read from the data (a claim's languages, a source's countries), which
  drf-spectacular does not look up, are listed as they are when the schema
  is asked for: the schema is made per request, so the list is true then.
- Links, for schemathesis's stateful phase and for readers: a record's id,
  from the answer that created or listed it, feeds the operations on that
  record (read, edit, its actions).
"""

from __future__ import annotations

from django.conf import settings
from django.db import DatabaseError, connection

from api.forms import QUERY_TEXT
from claims.filters import SearchField

READ_METHODS = ("get", "head")
WRITE_METHODS = ("post", "put", "patch", "delete")
LOGIN_ONLY = ("/api/watches/", "/api/notifications/")


def truths(result: dict, generator, request, public) -> dict:
    """Add what drf-spectacular does not say: auth per method, closed bodies, choices, links."""
    paths = result.get("paths", {})
    for path, operations in paths.items():
        for method, operation in operations.items():
            # One's own watches and notifications need a login to read too (api/watching.py).
            if path.startswith(LOGIN_ONLY):
                continue
            if method in READ_METHODS and not settings.READING_REQUIRES_LOGIN:
                security = operation.setdefault("security", [])
                if {} not in security:
                    security.append({})
    for name in request_components(paths):
        result["components"]["schemas"][name]["additionalProperties"] = False
    add_filter_choices(paths, generator)
    add_query_text(paths)
    add_empty_query_values(paths)
    add_links(paths)
    return result


def add_filter_choices(paths: dict, generator) -> None:
    """List every choice filter's choices, "" (any) included, those read from the data too."""
    # Without the tables (`check --deploy`, which drf-spectacular makes build
    # the schema, on a fresh clone), choices read from the data are left open
    # rather than asked of a database that has none to give.
    try:
        migrated = "claims_claim" in connection.introspection.table_names()
    except DatabaseError:  # No database at all (a check before `createdb`).
        migrated = False
    for path, _, method, callback in generator.endpoints:
        filterset_class = getattr(getattr(callback, "cls", None), "filterset_class", None)
        operation = paths.get(path, {}).get(method.lower())
        if filterset_class is None or operation is None:
            continue
        filters = filterset_class.base_filters
        for parameter in operation.get("parameters", []):
            found = filters.get(parameter["name"])
            choices = found.extra.get("choices") if found is not None else None
            if parameter["in"] != "query" or choices is None:
                continue
            if callable(choices) and not migrated:
                continue
            try:
                values = [str(value) for value, _ in (choices() if callable(choices) else choices)]
            except DatabaseError:
                continue  # `manage.py spectacular` without a database: an open string.
            # Every choice is text (in_open_conflict's "yes" and "no" too, not its model boolean).
            parameter["schema"] = {"type": "string", "enum": ["", *sorted(set(values) - {""})]}


def request_components(paths: dict) -> set[str]:
    """Return the names of the components that are request bodies."""
    names = set()
    for operations in paths.values():
        for operation in operations.values():
            for content in operation.get("requestBody", {}).get("content", {}).values():
                ref = content.get("schema", {}).get("$ref", "")
                if ref:
                    names.add(ref.rsplit("/", 1)[1])
    return names


def add_query_text(paths: dict) -> None:
    """Say that a free-text query parameter (a search, a slug) takes text without NUL.

    The filters' form fields refuse a NUL (api.forms.QUERY_TEXT);
    a search box takes at most 200 characters (claims.filters.SearchField).
    """
    for operations in paths.values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                schema = parameter["schema"]
                if parameter["in"] != "query" or schema.get("type") != "string":
                    continue
                if "enum" in schema or "format" in schema:
                    continue
                schema["pattern"] = QUERY_TEXT
                if parameter["name"] == "q":
                    schema["maxLength"] = SearchField().max_length


def add_empty_query_values(paths: dict) -> None:
    """Say that every query parameter may be empty (`?source=`), read as not given.

    The HTML lists' forms send every filter, the unused ones empty, and the
    API reads the same query strings (page 2 of the API is page 2 of the
    list): an empty value is "any", for numbers and dates as for choices,
    and an empty `page` or `page_size` is the default. A parameter whose
    schema refuses "" (a number, a date) is given "" beside it.
    """
    for operations in paths.values():
        for operation in operations.values():
            for parameter in operation.get("parameters", []):
                schema = parameter["schema"]
                if parameter["in"] != "query" or takes_empty_text(schema):
                    continue
                parameter["schema"] = {"anyOf": [schema, EMPTY]}
                description = parameter.get("description", "")
                parameter["description"] = f"{description} Empty: not given.".strip()


EMPTY = {"type": "string", "enum": [""]}


def takes_empty_text(schema: dict) -> bool:
    """Whether a parameter's schema already allows "" (free text, or a choice listing it)."""
    if schema.get("type") != "string" or schema.get("minLength") or "format" in schema:
        return False
    return "enum" not in schema or "" in schema["enum"]


def add_links(paths: dict) -> None:
    """Link the answers that carry a record's id to the operations on that record."""
    for collection, operations in paths.items():
        record = f"{collection}{{id}}/"
        if record not in paths:
            continue
        targets = [
            operation["operationId"]
            for path, record_operations in paths.items()
            if path.startswith(record)
            for operation in record_operations.values()
        ]
        sources = [
            (operations.get("post"), "201", "$response.body#/id"),
            (operations.get("get"), "200", "$response.body#/results/0/id"),
            (paths[record].get("get"), "200", "$response.body#/id"),
        ]
        for operation, status, expression in sources:
            response = (operation or {}).get("responses", {}).get(status)
            if response is None:
                continue
            links = response.setdefault("links", {})
            for operation_id in targets:
                links[operation_id] = {
                    "operationId": operation_id,
                    "parameters": {"id": expression},
                }
