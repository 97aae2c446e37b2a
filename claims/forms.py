"""
The editors' forms: documents, topics, detainees, and the claim form.

Validity has one definition, the models' clean(): these forms add only what a
form must decide (names typed into a text box, the quantity phrasings, the
required citation) and hand every model message to the field it names.

- Source, topic, detainee and document are typed by name, with the names
  offered in a <datalist> (no script needed), and matched exactly, then
  ignoring case when that finds one row.
- A source or document not found is created with the claim when its "create"
  box is ticked; topics and detainees are added on their own pages first,
  since their count and topics need more thought than a checkbox.
- A citation (a document, a link, or both) is required by this form; the
  model does not check it.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.utils.text import slugify

from claims.models import (
    QUANTITY_LIMIT,
    QUANTITY_LIMIT_MESSAGE,
    QUOTE_MAX_LENGTH,
    Claim,
    Detainee,
    Document,
    Topic,
)
from sources.forms import AliasesField, EditedRecordForm, ModelForm, WebLinkField
from sources.models import Source, SourceKind

DATE_WIDGET = {"attrs": {"type": "date"}, "format": "%Y-%m-%d"}

# The address /topics/new/ is the page that adds a topic.
RESERVED_TOPIC_SLUGS = {"new"}


class DocumentForm(EditedRecordForm):
    url = WebLinkField(label="URL", required=False)
    archive_url = WebLinkField(label="Archive URL", required=False)

    class Meta:
        model = Document
        fields = ["title", "kind", "publisher", "url", "published_on", "archive_url"]
        widgets = {"published_on": forms.DateInput(**DATE_WIDGET)}


def count_field(label: str, **kwargs) -> forms.IntegerField:
    """Return a form field for a count, bounded by QUANTITY_LIMIT with the model's message."""
    return forms.IntegerField(
        label=label,
        required=False,
        min_value=0,
        max_value=QUANTITY_LIMIT,
        error_messages={
            "max_value": QUANTITY_LIMIT_MESSAGE,
            "min_value": "A count cannot be negative.",
        },
        **kwargs,
    )


class TopicForm(EditedRecordForm):
    quantity_min = count_field("Lowest count", help_text="Usually 0.")
    quantity_max = count_field(
        "Highest count", help_text="Leave empty when there is no upper bound."
    )
    # A comparison window of at most a century: timedelta(days=...) overflows
    # past 999,999,999 days, which made a 500 (found by schemathesis). The
    # integer widths of the counts are chosen elsewhere; this is the window's.
    WINDOW_DAYS_MAX = 36_500

    window_days = forms.IntegerField(
        min_value=0,
        max_value=WINDOW_DAYS_MAX,
        initial=Topic._meta.get_field("window_days").default,
        label="Comparison window (days)",
        help_text=Topic._meta.get_field("window_days").help_text,
    )

    class Meta:
        model = Topic
        fields = [
            "title",
            "question",
            "quantity_label",
            "quantity_min",
            "quantity_max",
            "counts_status",
            "window_days",
            "tolerance",
            "tolerance_percent",
        ]
        labels = {
            "tolerance": "Counts agree within",
            "tolerance_percent": "Or within (percent)",
            "quantity_label": "What is counted",
            "window_days": "Comparison window (days)",
        }

    change_reason = forms.CharField(
        label="Why change the comparison rules?",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="Needed when approved claims use this topic: changing what is counted, "
        "its bounds, the window or the tolerance opens or closes their conflicts, and "
        "each one records who changed the rules and this reason.",
    )

    RULE_FIELDS = (
        "quantity_label",
        "quantity_min",
        "quantity_max",
        "window_days",
        "tolerance",
        "tolerance_percent",
    )

    def clean(self):
        cleaned = super().clean()
        # Compared as stored (a blank tolerance is 0, a blank lowest count of a count is 0).
        rules_moved = [
            name
            for name in self.RULE_FIELDS
            if name in cleaned
            and self.rule_value(name, cleaned[name], cleaned)
            != self.rule_value(name, getattr(self.instance, name), vars(self.instance))
        ]
        if (
            self.instance.pk is not None
            and rules_moved
            and not cleaned.get("change_reason", "").strip()
            and not self.has_error("change_reason")
        ):
            used = self.instance.claims.approved().count()
            if used:
                self.add_error(
                    "change_reason",
                    f"{used:,} approved claim{'s' if used != 1 else ''} use this topic: "
                    "changing its comparison rules may open or close their conflicts. "
                    "Say why, so that each conflict it opens or closes records your reason.",
                )
        return cleaned

    @staticmethod
    def rule_value(name: str, value, values):
        if name in ("tolerance", "tolerance_percent") and value in (None, ""):
            return 0
        if name == "quantity_min" and value is None and values.get("quantity_label"):
            return 0
        return value

    def save(self, commit: bool = True):
        self.instance.rule_change_reason = self.cleaned_data.get("change_reason", "").strip()
        return super().save(commit)

    def clean_tolerance(self) -> int:
        # Left empty: exact counts.
        return self.cleaned_data.get("tolerance") or 0

    def clean_tolerance_percent(self):
        return self.cleaned_data.get("tolerance_percent") or 0

    def clean_title(self) -> str:
        title = self.cleaned_data["title"]
        if self.instance.pk is None and slugify(title) in RESERVED_TOPIC_SLUGS:
            raise ValidationError(f"“{title}” is reserved for the page that adds topics.")
        return title


class DetaineeForm(EditedRecordForm):
    aliases = AliasesField(
        required=False, help_text="Other names or spellings, one per line or separated by commas."
    )

    class Meta:
        model = Detainee
        fields = ["name", "aliases", "arrested_on", "charges", "place_of_detention", "topics"]
        widgets = {
            "arrested_on": forms.DateInput(**DATE_WIDGET),
            "charges": forms.Textarea(attrs={"rows": 2}),
            "topics": forms.CheckboxSelectMultiple,
        }


# The quantity helper --------------------------------------------------------

QUANTITY_PHRASES = [
    ("", "no number"),
    ("some", "some"),
    ("all", "all"),
    ("none", "none"),
    ("at_least", "at least N"),
    ("exactly", "exactly N"),
    ("between", "between N and M"),
    ("at_most", "at most N"),
]
NEEDS_N = {"at_least", "exactly", "between", "at_most"}


def quantity_bounds(phrase: str, n: int | None, m: int | None, topic: Topic) -> tuple:
    """Return the interval (quantity_min, quantity_max) a phrasing stands for on a topic.

    "some" is [1, topic max], "all" [max, max], "none" [0, 0], "at least N"
    [N, max], "at most N" [topic min, N]. The bounds themselves are the
    model's to check, so an out-of-range N gets the model's message.
    """
    lo, hi = topic.quantity_min, topic.quantity_max
    if not topic.has_quantity and phrase:
        return (1, None)  # The model explains that the topic counts nothing.
    return {
        "": (None, None),
        "some": (max(1, lo or 0), hi),
        "all": (hi, hi),
        "none": (0, 0),
        "at_least": (n, hi),
        "exactly": (n, n),
        "between": (n, m),
        "at_most": (lo, n),
    }[phrase]


def quantity_phrase(claim: Claim) -> tuple[str, int | None, int | None]:
    """Return the phrasing, N and M that give back a claim's stored interval."""
    lo, hi = claim.quantity_min, claim.quantity_max
    if lo is None and hi is None:
        return ("", None, None)
    topic = claim.topic
    top, bottom = topic.quantity_max, topic.quantity_min
    if lo == hi == 0:
        return ("none", None, None)
    if top is not None and lo == hi == top:
        return ("all", None, None)
    if lo == max(1, bottom or 0) and hi == top:
        return ("some", None, None)
    if lo == hi:
        return ("exactly", lo, None)
    if hi == top:
        return ("at_least", lo, None)
    if lo is None or lo == bottom:
        return ("at_most", hi, None)
    return ("between", lo, hi)


# The claim form -------------------------------------------------------------


def find_named(queryset, field: str, value: str):
    """Return the one row whose `field` is `value`, exactly or else ignoring case; or None."""
    exact = queryset.filter(**{field: value}).first()
    if exact is not None:
        return exact
    matches = list(queryset.filter(**{f"{field}__iexact": value})[:2])
    return matches[0] if len(matches) == 1 else None


def named_input(datalist: str) -> forms.TextInput:
    return forms.TextInput(attrs={"list": datalist, "autocomplete": "off"})


class ClaimForm(ModelForm):
    """One sourced statement, with its source, topic, detainee and document typed by name.

    A source or document that does not exist yet is created with the claim,
    in the same transaction, when the editor ticks "create" (the view saves
    both or neither).
    """

    # The fields the conflict preview depends on: no preview while any is wrong.
    PREVIEW_FIELDS = (
        "source",
        "new_source_kind",
        "topic",
        "detainee",
        "kind",
        "stance",
        "quantity",
        "quantity_n",
        "quantity_m",
        "status",
        "stated_on",
        "as_of",
    )
    # Model fields an edit writes (with update_fields), besides the state.
    CONTENT_FIELDS = (
        "source",
        "topic",
        "detainee",
        "document",
        "kind",
        "stance",
        "quantity_min",
        "quantity_max",
        "status",
        "quote",
        "quote_kind",
        "summary",
        "stated_on",
        "as_of",
        "citation_url",
        "language",
        "relays",
        "relays_source",
    )
    # Model messages about fields entered through another control.
    ERROR_FIELDS = {
        "quantity_min": "quantity",
        "quantity_max": "quantity",
        "relays": "relays_claim",
        "relays_source": "relays_source_name",
    }

    source = forms.CharField(
        label="Source",
        max_length=200,
        widget=named_input("source-names"),
        help_text="Who said it: a person or an organisation, by name.",
    )
    create_source = forms.BooleanField(required=False, label="Create a new source with this name")
    new_source_kind = forms.ChoiceField(
        label="Kind of the new source",
        required=False,
        choices=[("", "—"), *SourceKind.choices],
    )
    new_source_affiliation = forms.CharField(
        label="The new source speaks for",
        required=False,
        max_length=200,
        widget=named_input("source-names"),
        help_text="Optional: an existing source, e.g. a spokeswoman’s department.",
    )
    topic = forms.CharField(label="Topic", max_length=200, widget=named_input("topic-titles"))
    detainee = forms.CharField(
        label="Detainee",
        required=False,
        max_length=200,
        widget=named_input("detainee-names"),
        help_text="Only when the claim is about one person; leave empty otherwise.",
    )
    quantity = forms.ChoiceField(
        label="How many",
        required=False,
        choices=QUANTITY_PHRASES,
        help_text="Bounded by the topic’s count.",
    )
    # Bounded like the stored counts: a larger N is refused here, not by the database.
    quantity_n = count_field("N")
    quantity_m = count_field("M")
    quote = forms.CharField(
        label="Quote",
        # Not required here: the model's "cannot be empty" message is the one shown.
        required=False,
        max_length=QUOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=f"Verbatim, as said or written, or a report of it (mark it below); "
        f"at most {QUOTE_MAX_LENGTH:,} characters.",
        error_messages={
            "max_length": "The quote is %(show_value)d characters long; the limit is "
            "%(limit_value)d. Quote the passage that makes the claim and cite the full text."
        },
    )
    document = forms.CharField(
        label="Document",
        required=False,
        max_length=300,
        widget=named_input("document-titles"),
        help_text="Where it was published or heard, by title.",
    )
    create_document = forms.BooleanField(
        required=False, label="Create a new document with this title"
    )
    new_document_kind = forms.ChoiceField(
        label="Kind of document", required=False, choices=Document.Kind.choices
    )
    new_document_publisher = forms.CharField(label="Publisher", required=False, max_length=200)
    new_document_url = WebLinkField(label="Document URL", required=False)
    new_document_published_on = forms.DateField(
        label="Published on", required=False, widget=forms.DateInput(**DATE_WIDGET)
    )
    citation_url = WebLinkField(
        label="Citation URL",
        required=False,
        help_text="A link to where it was said (http or https). A document, a link, or both.",
    )
    # A relay (claims/conflicts.py, "Relays"): whose words this claim repeats.
    relays_claim = forms.IntegerField(
        label="Relays claim #",
        required=False,
        min_value=1,
        max_value=2**62,
        help_text="When the speaker repeats a statement recorded here (“according to …”): "
        "that claim's number. A relay adds no corroboration and raises no conflict of its own.",
    )
    relays_source_name = forms.CharField(
        label="Relays the words of",
        required=False,
        max_length=200,
        widget=named_input("source-names"),
        help_text="Or, when that statement is not recorded: whose words they are, by name.",
    )
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    seen_state = forms.ChoiceField(
        widget=forms.HiddenInput, required=False, choices=Claim.State.choices
    )
    # Names one filling-in of the new-claim form, so that sending it twice adds one claim.
    form_token = forms.CharField(widget=forms.HiddenInput, required=False, max_length=64)

    class Meta:
        model = Claim
        fields = [
            "kind",
            "stance",
            "status",
            "quote",
            "quote_kind",
            "summary",
            "stated_on",
            "as_of",
            "citation_url",
            "language",
        ]
        labels = {"stated_on": "Said on", "as_of": "About the situation on"}
        widgets = {
            "kind": forms.RadioSelect,
            "quote_kind": forms.RadioSelect,
            "stated_on": forms.DateInput(**DATE_WIDGET),
            "as_of": forms.DateInput(**DATE_WIDGET),
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # A browser would cut a longer paste at maxlength without a word; the
        # server refuses it instead, and says what the limit is.
        self.fields["quote"].widget.attrs.pop("maxlength", None)
        self.fields["stance"].choices = [
            ("", "— none (a position takes no stance)"),
            *Claim.Stance.choices,
        ]
        self.fields["status"].choices = [("", "— none"), *Claim.Status.choices]
        self.fields["status"].help_text = "Only for a claim about one detainee."
        # Left out (an older client, a form without the choice), a quote is direct.
        self.fields["quote_kind"].required = False
        self.new_source: Source | None = None
        self.new_document: Document | None = None
        claim = self.instance
        if claim.pk is not None:
            self.fields["version"].required = True
            self.fields["seen_state"].required = True
            phrase, n, m = quantity_phrase(claim)
            self.initial.update(
                source=claim.source.name,
                topic=claim.topic.title,
                detainee=claim.detainee.name if claim.detainee_id else "",
                document=claim.document.title if claim.document_id else "",
                quantity=phrase,
                quantity_n=n,
                quantity_m=m,
                relays_claim=claim.relays_id,
                relays_source_name=claim.relays_source.name
                if claim.relays_source_id and not claim.relays_id
                else "",
                version=claim.version,
                seen_state=claim.state,
            )

    @property
    def topic_object(self) -> Topic | None:
        """Return the topic the form names, once validated, for showing its bounds."""
        return self.instance.topic if self.instance.topic_id else None

    def add_error(self, field, error) -> None:
        """Add errors, handing model messages to the control that entered the field.

        A model message about a field that already has the form's own error
        (a quote too long, a link with the wrong scheme) is dropped: the form's
        says more about what was typed.
        """
        if field is None and isinstance(error, ValidationError) and hasattr(error, "error_dict"):
            routed: dict[str, list] = {}
            for name, messages in error.error_dict.items():
                name = self.ERROR_FIELDS.get(name, name)
                if name != NON_FIELD_ERRORS and name not in self.fields:
                    name = NON_FIELD_ERRORS
                if name != NON_FIELD_ERRORS and name in self.errors:
                    continue
                routed.setdefault(name, []).extend(messages)
            if not routed:
                return
            error = ValidationError(routed)
        super().add_error(field, error)

    def clean_quote_kind(self) -> str:
        return self.cleaned_data.get("quote_kind") or Claim.QuoteKind.DIRECT

    def clean(self) -> dict:
        data = super().clean()
        claim = self.instance
        self._clean_source(data)
        topic = self._find("topic", Topic.objects.all(), "title", "No topic is titled")
        claim.topic = topic
        detainee = None
        if data.get("detainee"):
            detainee = self._find(
                "detainee", Detainee.objects.all(), "name", "No detainee is named"
            )
        claim.detainee = detainee
        self._clean_document(data)
        self._clean_relay(data)
        self._clean_quantity(data, topic)
        citation_given = data.get("document") or data.get("citation_url")
        if not citation_given and "citation_url" not in self.errors:
            self.add_error(
                "citation_url",
                "Give a citation: choose a document, or paste the link (http or https) "
                "to where it was said.",
            )
        return data

    def _clean_relay(self, data: dict) -> None:
        """Set whom the claim relays; Claim.clean refuses self-relays and loops."""
        claim = self.instance
        claim.relays_id = claim.relays_source_id = None
        number = data.get("relays_claim")
        if number:
            relayed = Claim.objects.filter(pk=number).first()
            if relayed is None:
                self.add_error("relays_claim", f"There is no claim #{number}.")
                return
            claim.relays = relayed
            claim.relays_source_id = relayed.source_id
            return
        if data.get("relays_source_name"):
            claim.relays_source = self._find(
                "relays_source_name", Source.objects.all(), "name", "No source is named"
            )

    def _find(self, field: str, queryset, attribute: str, missing: str):
        value = self.cleaned_data.get(field)
        if not value:
            return None
        found = find_named(queryset, attribute, value)
        if found is None:
            self.add_error(field, f"{missing} “{value}”: choose one from the suggestions.")
        return found

    def _clean_source(self, data: dict) -> None:
        name = data.get("source")
        self.instance.source_id = None
        if not name:
            return
        source = find_named(Source.objects.all(), "name", name)
        if source is not None:
            self.instance.source = source
            return
        if not data.get("create_source"):
            self.add_error(
                "source",
                f"No source is named “{name}”: choose one from the suggestions, or tick "
                "“Create a new source with this name” and give its kind.",
            )
            return
        if not data.get("new_source_kind"):
            self.add_error("new_source_kind", "Choose the kind of the new source.")
        affiliation = None
        if data.get("new_source_affiliation"):
            affiliation = self._find(
                "new_source_affiliation", Source.objects.all(), "name", "No source is named"
            )
        self.new_source = Source(
            name=name, kind=data.get("new_source_kind", ""), affiliation=affiliation
        )
        self._validate_new(
            self.new_source,
            {"name": "source", "kind": "new_source_kind", "affiliation": "new_source_affiliation"},
        )

    def _clean_document(self, data: dict) -> None:
        title = data.get("document")
        self.instance.document = None
        if not title:
            return
        document = find_named(Document.objects.all(), "title", title)
        if document is not None:
            self.instance.document = document
            return
        if not data.get("create_document"):
            self.add_error(
                "document",
                f"No document is titled “{title}”: choose one from the suggestions, or tick "
                "“Create a new document with this title”.",
            )
            return
        self.new_document = Document(
            title=title,
            kind=data.get("new_document_kind") or Document.Kind.ARTICLE,
            publisher=data.get("new_document_publisher", ""),
            url=data.get("new_document_url", ""),
            published_on=data.get("new_document_published_on"),
        )
        self._validate_new(
            self.new_document,
            {
                "title": "document",
                "kind": "new_document_kind",
                "publisher": "new_document_publisher",
                "url": "new_document_url",
                "published_on": "new_document_published_on",
            },
        )

    def _validate_new(self, record, fields: dict[str, str]) -> None:
        """Check a record to be created with the claim; put its messages on the form's fields."""
        try:
            record.full_clean()
        except ValidationError as error:
            for name, messages in error.message_dict.items():
                target = fields.get(name, next(iter(fields.values())))
                if target in self.errors:
                    continue
                for message in messages:
                    self.add_error(target, message)

    def _clean_quantity(self, data: dict, topic: Topic | None) -> None:
        phrase, n, m = data.get("quantity", ""), data.get("quantity_n"), data.get("quantity_m")
        claim = self.instance
        claim.quantity_min = claim.quantity_max = None
        if not phrase:
            if n is not None or m is not None:
                self.add_error(
                    "quantity",
                    "Choose how the number is phrased (“at least N”, “exactly N”…), "
                    "or clear the number.",
                )
            return
        if phrase in NEEDS_N and n is None:
            if "quantity_n" not in self.errors:  # Else N was given, and refused.
                self.add_error("quantity_n", f"Give N for “{dict(QUANTITY_PHRASES)[phrase]}”.")
            return
        if phrase == "between" and m is None:
            if "quantity_m" not in self.errors:
                self.add_error("quantity_m", "Give M for “between N and M”.")
            return
        if topic is None:
            return
        if phrase == "all" and topic.has_quantity and topic.quantity_max is None:
            self.add_error(
                "quantity",
                f"“All” needs a highest count, and the topic “{topic}” has none: use “at least N”.",
            )
            return
        claim.quantity_min, claim.quantity_max = quantity_bounds(phrase, n, m, topic)

    def previewable(self) -> bool:
        """Return whether what the preview depends on was entered without error."""
        return self.instance.topic_id is not None and not any(
            name in self.errors for name in self.PREVIEW_FIELDS
        )

    def save_records(self) -> None:
        """Create the source and document typed in as new, and attach them to the claim.

        Call inside the transaction that saves the claim.
        """
        if self.new_source is not None:
            self.new_source.save()
            self.instance.source = self.new_source
        if self.new_document is not None:
            self.new_document.save()
            self.instance.document = self.new_document
