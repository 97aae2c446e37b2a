"""The editors' forms for sources and credibility notes, and the pieces the claim forms share."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from django import forms
from django.core.exceptions import ValidationError

from crosscheck.text import TextPolicyForm
from crosscheck.versions import SeenVersionForm
from sources.models import CredibilityNote, Source, http_url


class WebLinkField(forms.CharField):
    """A link readers may follow: http or https only, never javascript:, data: or ftp:.

    A CharField rather than Django's URLField, so that a link with the wrong
    scheme is refused with a message that says so, not "Enter a valid URL.",
    and is never silently prefixed with https://.
    """

    widget = forms.URLInput

    def __init__(self, **kwargs) -> None:
        kwargs.setdefault("max_length", 1000)
        super().__init__(**kwargs)

    def validate(self, value: str) -> None:
        super().validate(value)
        if value in self.empty_values:
            return
        try:
            scheme = urlsplit(value).scheme.lower() if ":" in value else ""
        except ValueError:  # "https://x[": urlsplit's own refusal (a bad IPv6 host), was a 500.
            raise ValidationError("Enter a valid URL.", code="invalid") from None
        if scheme not in ("http", "https"):
            if scheme:
                raise ValidationError(
                    f"Only web links are accepted: start with https:// or http://, not {scheme}:.",
                    code="scheme",
                )
            raise ValidationError("Start the link with https:// or http://.", code="scheme")
        http_url(value)


class ModelForm(TextPolicyForm, forms.ModelForm):
    """A ModelForm that checks the database constraints only once clean() found nothing wrong.

    Each constraint restates a rule the model's clean() already words for
    people; checked after a failed clean() it would add "Constraint … is
    violated" beside the readable message. It stays the database's backstop.
    Text is taken by the app's text policy (crosscheck.text).
    """

    def validate_constraints(self) -> None:
        if not self.errors:
            super().validate_constraints()


class EditedRecordForm(SeenVersionForm, ModelForm):
    """A source's, document's, topic's or detainee's form, on the web, in the admin and the API.

    It refuses to save over a change made since it was opened (crosscheck/versions.py).
    """


class AliasesField(forms.CharField):
    """Aliases typed one per line or separated by commas; stored as a list of names."""

    widget = forms.Textarea(attrs={"rows": 3})

    def to_python(self, value) -> list[str]:
        text = super().to_python(value)
        return [alias.strip() for alias in re.split(r"[,\n]", text) if alias.strip()]

    def prepare_value(self, value) -> str:
        if isinstance(value, list):
            return "\n".join(value)
        return value or ""


class SourceForm(EditedRecordForm):
    url = WebLinkField(label="Website", required=False)
    aliases = AliasesField(
        label="Other names and acronyms",
        required=False,
        help_text="e.g. CCDHRN, State Dept; one per line or separated by commas. "
        "A search finds this source's claims by any of them.",
    )

    class Meta:
        model = Source
        fields = ["name", "aliases", "kind", "affiliation", "country", "url", "description"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        affiliation = self.fields["affiliation"]
        affiliation.label = "Speaks for"
        affiliation.empty_label = "— nobody (speaks for itself)"
        if self.instance.pk is not None:
            affiliation.queryset = Source.objects.exclude(pk=self.instance.pk)


class CredibilityNoteForm(ModelForm):
    class Meta:
        model = CredibilityNote
        fields = ["aspect", "body", "signed_by", "written_on"]
        labels = {"body": "Note", "written_on": "Dated"}
        widgets = {
            "body": forms.Textarea(attrs={"rows": 5}),
            "written_on": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }
        help_texts = {
            "body": "Track record, access to the facts, interest in the outcome or methodology. "
            "A note is never edited once saved: to correct it, add a new note (a moderator "
            "can hide the old one with a reason)."
        }
