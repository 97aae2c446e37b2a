"""
The web forms, fed with JSON: one validation for both front ends.

A JSON body is checked for types first (a number where a date's text is
expected, a list where a name is expected), because a form would read
`["a"]` as the text "['a']" and accept it; each wrong type is named by its
field. Then the body is bound to the same form class the web page uses, and
the form's own messages are the API's 400.

The request bodies the OpenAPI schema documents are derived from the same
form classes (`body_serializer`), so the schema cannot drift from what the
forms accept.
"""

from __future__ import annotations

from django import forms
from django.core import validators
from django.core.exceptions import ValidationError
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from claims.forms import AliasesField
from crosscheck.text import FORBIDDEN
from sources.forms import WebLinkField

NULL_AS_EMPTY = ""


def kind_of(field: forms.Field) -> str:
    """Return the JSON type a form field takes: text, integer, boolean, id, ids or names."""
    if isinstance(field, forms.BooleanField):
        return "boolean"
    if isinstance(field, forms.ModelMultipleChoiceField):
        return "ids"
    if isinstance(field, forms.ModelChoiceField):
        return "id"
    if isinstance(field, forms.IntegerField):
        return "integer"
    if isinstance(field, AliasesField):
        return "names"
    return "text"


EXPECTED = {
    "text": "Expected text (a JSON string).",
    "integer": "Expected a whole number.",
    "boolean": "Expected true or false.",
    "id": "Expected an id (a whole number) or null.",
    "ids": "Expected a list of ids (whole numbers).",
    "names": "Expected a list of names (strings).",
}


# What a database column holds at most (64 bits); beyond it SQLite cannot even be asked.
LARGEST = 2**63 - 1


def is_int(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def too_large(value) -> bool:
    numbers = value if isinstance(value, list) else [value]
    return any(is_int(n) and abs(n) > LARGEST for n in numbers)


def fits(kind: str, value) -> bool:
    if value is None:
        return kind != "boolean"
    return {
        "text": lambda v: isinstance(v, str),
        "integer": is_int,
        "boolean": lambda v: isinstance(v, bool),
        "id": is_int,
        "ids": lambda v: isinstance(v, list) and all(is_int(i) for i in v),
        "names": lambda v: isinstance(v, list) and all(isinstance(i, str) for i in v),
    }[kind](value)


def too_long(field: forms.Field, value) -> str:
    """Return Django's message for text longer than the field's max_length, as sent; or "".

    A form field strips white space (and the text policy folds CRLF to LF)
    before it counts, so "  " + 200 letters passed a 200-character field: the
    schema's maxLength counts the JSON string as sent, and so does this check.
    """
    limit = getattr(field, "max_length", None)
    if not limit or not isinstance(value, str):
        return ""
    try:
        validators.MaxLengthValidator(limit)(value)
    except ValidationError as error:
        return " ".join(error.messages)
    return ""


def form_data(
    fields: dict[str, forms.Field], payload: dict, *, extra: tuple[str, ...] = ()
) -> tuple[dict, dict[str, list[str]]]:
    """Return (data to bind a form with, type errors by field) for a JSON object.

    `extra` names keys the view reads itself (an `action`, a `version`); any
    other key that is not a field of the form is refused, so that a typo is
    not silently ignored.
    """
    data, errors = {}, {}
    for name, value in payload.items():
        if name in extra:
            data[name] = value
            continue
        field = fields.get(name)
        if field is None:
            errors[name] = ["Unknown field."]
            continue
        kind = kind_of(field)
        if not fits(kind, value):
            errors[name] = [EXPECTED[kind]]
        elif problem := too_long(field, value):
            errors[name] = [problem]
        elif too_large(value):
            errors[name] = [f"Ensure this value is at most {LARGEST} (and at least -{LARGEST})."]
        elif value is None:
            data[name] = NULL_AS_EMPTY
        elif kind == "names":
            data[name] = "\n".join(value)
        else:
            data[name] = value
    return data, errors


# The schema's view of the forms ---------------------------------------------

# What every form text field takes, as JSON Schema patterns (ECMA 262): none
# of the characters the text policy refuses (crosscheck.text.FORBIDDEN: NUL,
# lone surrogates, the C0 and C1 control characters but tab and newline; the
# API's parser refuses a lone surrogate first, api.conventions), and for a
# required field some character that is not white space, since the form
# strips the value first ("  " is blank). The class is the policy's own, so
# the schema keeps saying what the forms accept.
REFUSED = FORBIDDEN.pattern.removeprefix("[").removesuffix("]")
CHAR = rf"[^{REFUSED}]"
TEXT = rf"^{CHAR}*$"
REQUIRED_TEXT = rf"^{CHAR}*[^\s{REFUSED}]{CHAR}*$"
# A WebLinkField: http or https, in any case, or nothing when it is optional.
LINK = rf"^(?:[Hh][Tt][Tt][Pp][Ss]?://[^\s{REFUSED}]+)?$"
REQUIRED_LINK = rf"^[Hh][Tt][Tt][Pp][Ss]?://[^\s{REFUSED}]+$"
# A query string's free text (a search, a slug): the filters' fields refuse a
# NUL only (Django's ProhibitNullCharactersValidator); a query string cannot
# carry a lone surrogate (Django decodes it as UTF-8, with replacement).
QUERY_TEXT = r"^[^\u0000\ud800-\udfff]*$"


def link_field(*, blank_refused: bool, max_length: int | None, **common) -> serializers.Field:
    """Return the serializer field that documents a web link: a URI, http or https.

    An optional link may be empty (or null), which is no URI: it has the
    pattern, not the format.
    """
    if blank_refused:
        schema = {"type": "string", "format": "uri", "pattern": REQUIRED_LINK, "minLength": 1}
    else:
        schema = {"type": "string", "pattern": LINK, "nullable": True}
    if max_length:
        schema["maxLength"] = max_length
    return extend_schema_field(schema)(type("Link", (serializers.CharField,), {}))(**common)


def optional_date_field(**common) -> serializers.Field:
    """Return the serializer field that documents an optional date: a date, null or "".

    The form reads "" as no date, as the web form sends an empty date box.
    """
    schema = {
        "anyOf": [
            {"type": "string", "format": "date", "nullable": True},
            {"type": "string", "enum": [""]},
        ]
    }
    return extend_schema_field(schema)(type("OptionalDate", (serializers.CharField,), {}))(**common)


def bound(field: forms.Field, *, lowest: bool, model_field=None) -> int:
    """Return an integer field's lowest (or highest) value, as its validators check it.

    From its validators and its model field's (which the form runs when it
    cleans the instance), within what a database column holds (LARGEST,
    form_data).
    """
    wanted = validators.MinValueValidator if lowest else validators.MaxValueValidator
    limits = [-LARGEST if lowest else LARGEST]
    for validator in [*field.validators, *getattr(model_field, "validators", [])]:
        if isinstance(validator, wanted) and not callable(validator.limit_value):
            limits.append(validator.limit_value)
    return max(limits) if lowest else min(limits)


def schema_field(field: forms.Field, *, required: bool, model_field=None) -> serializers.Field:
    """Return the serializer field that documents one form field.

    Strings say what the form refuses: a required one is no blank (minLength
    and REQUIRED_TEXT), a link starts with its scheme (LINK), a choice is one
    of its values (enum).
    """
    common = {"required": required, "help_text": str(field.help_text or "") or None}
    label = field.label
    if label:
        common["label"] = str(label)
    kind = kind_of(field)
    if kind == "boolean":
        return serializers.BooleanField(**common)
    # null is "empty" for every optional field (form_data: NULL_AS_EMPTY), a list's too.
    nullable = not field.required
    if kind == "ids":
        return serializers.ListField(
            child=serializers.IntegerField(), allow_null=nullable, **common
        )
    if kind == "names":
        return serializers.ListField(
            child=serializers.RegexField(TEXT), allow_null=nullable, **common
        )
    if kind == "id":
        return serializers.IntegerField(allow_null=nullable, **common)
    if kind == "integer":
        return serializers.IntegerField(
            allow_null=nullable,
            min_value=bound(field, lowest=True, model_field=model_field),
            max_value=bound(field, lowest=False, model_field=model_field),
            **common,
        )
    if isinstance(field, forms.ChoiceField):
        choices = [(value, str(label)) for value, label in field.choices]
        return serializers.ChoiceField(
            choices=[(value, label) for value, label in choices if value != ""],
            # The empty option ("---------") of a required choice is refused.
            allow_blank=nullable,
            allow_null=nullable,
            **common,
        )
    if isinstance(field, forms.DateField):
        if nullable:
            return optional_date_field(**common)
        return serializers.DateField(**common)
    max_length = getattr(field, "max_length", None)
    if isinstance(field, WebLinkField | forms.URLField):
        return link_field(blank_refused=field.required, max_length=max_length, **common)
    # Not allow_blank, which drf-spectacular writes as oneOf(pattern, maxLength 0):
    # TEXT matches "" as well, so "" would match both and oneOf neither.
    return serializers.RegexField(
        REQUIRED_TEXT if field.required else TEXT,
        max_length=max_length,
        min_length=1 if field.required else None,
        allow_null=nullable,
        **common,
    )


def body_serializer(
    name: str,
    form_class: type[forms.BaseForm],
    *,
    exclude: tuple[str, ...] = (),
    required: bool = True,
    extra: dict[str, serializers.Field] | None = None,
) -> type[serializers.Serializer]:
    """Return a serializer class that documents the JSON body a form class accepts.

    A field the blank form fills in (a model default) may be left out. With
    `required=False` (a PATCH) every field is optional. Only the schema uses
    it: validation is the form's.
    """
    fields = form_class.base_fields
    model = getattr(getattr(form_class, "_meta", None), "model", None)
    model_fields = {f.name: f for f in model._meta.get_fields()} if model else {}
    attrs = {
        field_name: schema_field(
            field,
            required=required and field.required and field.initial is None,
            model_field=model_fields.get(field_name),
        )
        for field_name, field in fields.items()
        if field_name not in exclude
    }
    attrs.update(extra or {})
    return type(name, (serializers.Serializer,), attrs)
