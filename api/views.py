"""
The API's endpoints: reads through the HTML lists' FilterSets, writes through
the web forms and the models' own methods.

Choices made here (the issue leaves them open; README.md, section API, says
the same for users):

- Reads show what the HTML shows. Lists: the approved claims only (the claims
  browser), every conflict the conflicts list can show (open ones unless
  `status` says otherwise), visible notes only unless the user may hide notes.
  One claim or note: whoever may see its history page may read it
  (claims.views.history.may_see): approved and retracted claims for all, a
  draft to its editor, a pending or rejected claim to its editor and to
  moderators; anything else answers 404, as if it did not exist.
- A query string the FilterSet refuses answers 400 naming the filter (the
  HTML page shows the error beside the filter and applies the others).
- Order: each FilterSet's own sorts, which all end with the id; lists
  without a FilterSet sort by a fixed key ending with the id.
- Writes check, in the web's order: a login (401), the role's permission
  (403), then the object (404), then its state (409), then the body (400).
  DELETE answers 405 to every logged-in user: nothing is deleted; claims are
  retracted and notes hidden.
- Claims. A new claim and one's own draft, pending or rejected claim take an
  `action`, the web form's buttons: "draft" (the default; a pending claim
  goes back to draft) or "submit" (for review). Editing someone else's
  claim, or an approved one, takes "save" (the default there), which keeps
  the state. PATCH starts from the claim's current values, PUT from nothing
  (every required field must be sent); both require `version`, the one the
  client read. A stale version answers 409 with `current_version`, the claim
  as it is now (`current`) and what changed since (`changes`); a claim the
  user may no longer edit answers 409 with `current_version` too.
- Moderation actions are POSTs on sub-routes (approve, reject, retract,
  restore, submit; resolve, dismiss, reopen; hide, restore) with the web's
  forms and reasons. One asked of a record in the wrong state (approving an
  approved claim, resolving a resolved conflict) changes nothing and answers
  409 saying why, where the web page redirects with the same message.
- Credibility notes are created (POST /api/notes/ with `source`) and never
  edited: PUT and PATCH answer 405, as the web has no edit page.
- Bodies are closed: a key that is no field of the web form (or, for an
  action that takes no body, any key) answers 400 "Unknown field.", so a
  typo is never silently ignored; the schema says `additionalProperties:
  false` on every body (api/schema.py).
- Who changed what: every write runs as request.user, which DRF sets from
  the token as well as the session, so django-simple-history's middleware
  records the API user, as it does for the web's.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import OuterRef, Prefetch, Subquery
from django.urls import reverse
from django_filters.rest_framework import DjangoFilterBackend
from django_filters.utils import translate_validation
from drf_spectacular.utils import (
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.exceptions import PermissionDenied as Forbidden
from rest_framework.response import Response

from api.conventions import RememberedCountPaginator, form_errors
from api.forms import EXPECTED, LARGEST, body_serializer, form_data
from api.serializers import (
    ClaimSerializer,
    ConflictSerializer,
    DetailSerializer,
    DetaineeSerializer,
    DocumentSerializer,
    DuplicateClaimSerializer,
    NoteSerializer,
    SourceSerializer,
    StaleClaimSerializer,
    TopicSerializer,
)
from claims import locks
from claims.filters import ClaimFilterSet, ConflictFilterSet, DetaineeFilterSet
from claims.forms import ClaimForm, DetaineeForm, DocumentForm, TopicForm
from claims.models import (
    Claim,
    Conflict,
    Detainee,
    Document,
    StaleClaimError,
    Topic,
    TopicParty,
    four_eyes_refusal,
)
from claims.views.editing import (
    OWN_STATES,
    actions_for,
    changes_since,
    claim_for_editing,
    duplicate_link,
    editable_states,
    save_claim_form,
)
from claims.views.history import may_see
from claims.views.moderation import (
    RESOLVE_FIELDS,
    ReasonForm,
    ResolveForm,
    add_model_errors,
    is_admin,
)
from claims.voices import label_internal
from crosscheck import versions
from sources.filters import CredibilityNoteFilterSet, SourceFilterSet
from sources.forms import CredibilityNoteForm, SourceForm
from sources.models import CredibilityNote, Source, sees_unpublished

# What the schema says of the answers besides 200 and 201.
ERRORS = OpenApiResponse(
    {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}},
    description="The body or the query string is refused: the messages by field, as the web "
    "form words them; `non_field_errors` for the body as a whole.",
)
NOT_LOGGED_IN = OpenApiResponse(DetailSerializer, description="Not logged in (no or bad token).")
FORBIDDEN = OpenApiResponse(DetailSerializer, description="The role may not.")
NOT_FOUND = OpenApiResponse(DetailSerializer, description="No such record, or not yours to see.")
WRONG_STATE = OpenApiResponse(
    DetailSerializer, description="The record is not in a state this action applies to."
)
TOO_LARGE = OpenApiResponse(
    DetailSerializer,
    description="The body is larger than the server reads (DATA_UPLOAD_MAX_MEMORY_SIZE).",
)
READ = {400: ERRORS, 401: NOT_LOGGED_IN, 404: NOT_FOUND}
WRITE = {400: ERRORS, 401: NOT_LOGGED_IN, 403: FORBIDDEN, 404: NOT_FOUND, 413: TOO_LARGE}


def require(request, permission: str) -> None:
    """Refuse (403) a user without the permission, as @permission_required does on the web."""
    if not request.user.has_perm(permission):
        raise PermissionDenied


def whole_number(pk) -> int:
    """Return the id in a path, or answer 404 for one that is no whole number in ASCII digits.

    int() would also read "١" or " 1" as 1: each record has one address. (An
    id with a dot, such as 0.5, matches no route: the JSON 404 of api.urls.)
    """
    if isinstance(pk, int) and not isinstance(pk, bool):
        return pk
    if isinstance(pk, str) and pk.isascii() and pk.isdigit():
        return int(pk)
    raise NotFound


def object_or_404(queryset, pk):
    """Return the row with this id, or answer 404 (for any id that is not a whole number too)."""
    try:
        return queryset.get(pk=whole_number(pk))
    except (OverflowError, queryset.model.DoesNotExist):
        raise NotFound from None


def refused(errors: dict) -> Response:
    return Response(errors, status=status.HTTP_400_BAD_REQUEST)


def conflict(detail: str, **extra) -> Response:
    return Response({"detail": detail, **extra}, status=status.HTTP_409_CONFLICT)


def no_body(payload: dict) -> dict[str, list[str]]:
    """Return the errors of a body sent to an action that takes none: each key is unknown."""
    return {name: ["Unknown field: this action takes no body."] for name in payload}


def bound(form_class, payload: dict, **kwargs) -> tuple[forms.BaseForm | None, dict]:
    """Bind a JSON body to a form; return (form, {}) or (None, type errors by field)."""
    data, errors = form_data(form_class.base_fields, payload)
    if errors:
        return None, errors
    return form_class(data, **kwargs), {}


# Records edited with a web form: sources, documents, topics, detainees ---------


class ReadViewSet(viewsets.GenericViewSet):
    """List (filtered, paginated) and read one record by id."""

    def get_object(self):
        # Not filter_queryset: a list's filters (the conflicts' "open unless asked")
        # must not hide a record asked for by id.
        return object_or_404(self.get_queryset(), self.kwargs["pk"])

    def list(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request, pk=None):
        return Response(self.get_serializer(self.get_object()).data)


class FormViewSet(ReadViewSet):
    """Read, create (POST) and edit (PUT, PATCH) records through a web form."""

    form_class: type[forms.ModelForm]
    add_permission = change_permission = ""

    def get_queryset(self):
        """Only what the user may see: unpublished research is for editors and up."""
        queryset = super().get_queryset()
        if hasattr(queryset, "visible_to"):
            queryset = queryset.visible_to(self.request.user)
        # The version an edit sends back (crosscheck/versions.py): a subquery, no query per row.
        history = queryset.model.history.model.objects.filter(id=OuterRef("pk"))
        return queryset.annotate(
            seen_version=Subquery(history.order_by("-history_id").values("history_id")[:1])
        )

    def new_instance(self):
        return self.form_class._meta.model()

    def create(self, request):
        require(request, self.add_permission)
        return self.save(request, self.new_instance(), partial=False, done=status.HTTP_201_CREATED)

    def update(self, request, pk=None):
        require(request, self.change_permission)
        instance = object_or_404(self.form_class._meta.model.objects.all(), pk)
        return self.save(request, instance, partial=False)

    def partial_update(self, request, pk=None):
        require(request, self.change_permission)
        instance = object_or_404(self.form_class._meta.model.objects.all(), pk)
        return self.save(request, instance, partial=True)

    def save(self, request, instance, *, partial: bool, done: int = status.HTTP_200_OK):
        data, errors = form_data(self.form_class.base_fields, request.data)
        if errors:
            return refused(errors)
        start = instance if partial else self.new_instance()
        data = {**current_values(self.form_class(instance=start)), **data}
        if "seen_version" not in request.data:
            # A client that sends no version is not checked (crosscheck/versions.py).
            data["seen_version"] = ""
        form = self.form_class(data, instance=instance)
        form.require_seen_version = False
        if (saved := versions.save_checked(form)) is None:
            if form.has_error(NON_FIELD_ERRORS, "stale"):
                return self.stale(instance, form)
            return refused(form_errors(form))
        fresh = object_or_404(self.get_queryset(), saved.pk)
        return Response(self.get_serializer(fresh).data, status=done)

    def stale(self, instance, form) -> Response:
        """Answer 409, as the web form does: the record changed since `seen_version`."""
        seen = form.cleaned_data.get("seen_version")
        what = instance._meta.verbose_name
        return conflict(
            f"This {what} changed since version {seen}: nothing was saved. Look at what "
            "changed, then send your edit again with the current version as `seen_version`.",
            current_version=versions.latest_version(instance),
            current=self.get_serializer(object_or_404(self.get_queryset(), instance.pk)).data,
            changes=versions.changed_fields(instance, seen, form.fields) if seen else [],
        )


def current_values(form: forms.BaseForm) -> dict:
    """Return what an unbound form shows, where a JSON body starts from.

    A PATCH starts from the record's values; a POST or a PUT from a blank
    form's (the model's defaults: a topic's 7-day window, today's date on a
    note), as the web page pre-fills them.
    """
    return {name: form[name].value() for name in form.fields}


def form_schema(name: str, form_class, serializer, *, exclude=(), extra=None) -> dict:
    """Return extend_schema_view arguments for a FormViewSet: bodies from the form."""
    full = body_serializer(f"{name}Request", form_class, exclude=exclude, extra=extra)
    patch = body_serializer(
        f"Patched{name}Request", form_class, exclude=exclude, extra=extra, required=False
    )
    stale = OpenApiResponse(
        inline_serializer(
            f"Stale{name}",
            fields={
                "detail": serializers.CharField(),
                "current_version": serializers.IntegerField(
                    allow_null=True,
                    help_text="The record's version now: send it as `seen_version` "
                    "(null for a record written in bulk, with no history yet).",
                ),
                "current": serializer(),
                "changes": serializers.ListField(
                    child=serializers.CharField(),
                    help_text="Each field changed since `seen_version`: “then” → “now”.",
                ),
            },
        ),
        description="The record changed since the `seen_version` sent: nothing was saved.",
    )
    return {
        "list": extend_schema(responses={200: serializer(many=True), **READ}),
        "retrieve": extend_schema(responses={200: serializer, **READ}),
        "create": extend_schema(request=full, responses={201: serializer, **WRITE}),
        "update": extend_schema(request=full, responses={200: serializer, **WRITE, 409: stale}),
        "partial_update": extend_schema(
            request=patch, responses={200: serializer, **WRITE, 409: stale}
        ),
    }


@extend_schema_view(**form_schema("Source", SourceForm, SourceSerializer))
class SourceViewSet(FormViewSet):
    """Sources with their track record; the sources list's filters and sorts."""

    queryset = Source.objects.with_record().with_party_record().select_related("affiliation")
    serializer_class = SourceSerializer
    filterset_class = SourceFilterSet
    form_class = SourceForm
    add_permission, change_permission = "sources.add_source", "sources.change_source"


@extend_schema_view(**form_schema("Document", DocumentForm, DocumentSerializer))
class DocumentViewSet(FormViewSet):
    """Documents, newest publication first."""

    queryset = Document.objects.order_by("-published_on", "title", "pk")
    serializer_class = DocumentSerializer
    form_class = DocumentForm
    add_permission, change_permission = "claims.add_document", "claims.change_document"


@extend_schema_view(**form_schema("Topic", TopicForm, TopicSerializer))
class TopicViewSet(FormViewSet):
    """Topics, by title."""

    queryset = Topic.objects.order_by("title", "pk").prefetch_related(
        Prefetch("parties", queryset=TopicParty.objects.select_related("source"))
    )
    serializer_class = TopicSerializer
    form_class = TopicForm
    add_permission, change_permission = "claims.add_topic", "claims.change_topic"


@extend_schema_view(**form_schema("Detainee", DetaineeForm, DetaineeSerializer))
class DetaineeViewSet(FormViewSet):
    """Detainees, by name, with the detainees list's filters."""

    queryset = Detainee.objects.prefetch_related(
        Prefetch("topics", queryset=Topic.objects.public().order_by("title"))
    ).order_by("name", "pk")
    serializer_class = DetaineeSerializer
    filterset_class = DetaineeFilterSet
    form_class = DetaineeForm
    add_permission, change_permission = "claims.add_detainee", "claims.change_detainee"


# Credibility notes: created, hidden and restored; never edited ------------------

NoteRequest = body_serializer(
    "NoteRequest",
    CredibilityNoteForm,
    extra={"source": serializers.IntegerField(help_text="The id of the source the note is on.")},
)
REASON = body_serializer("ReasonRequest", ReasonForm)
OPTIONAL_REASON = body_serializer("OptionalReasonRequest", ReasonForm, required=False)
NO_BODY = inline_serializer("EmptyRequest", fields={})


@extend_schema_view(
    list=extend_schema(responses={200: NoteSerializer(many=True), **READ}),
    retrieve=extend_schema(responses={200: NoteSerializer, **READ}),
    create=extend_schema(request=NoteRequest, responses={201: NoteSerializer, **WRITE}),
    hide=extend_schema(request=REASON, responses={200: NoteSerializer, **WRITE, 409: WRONG_STATE}),
    restore=extend_schema(
        request=NO_BODY, responses={200: NoteSerializer, **WRITE, 409: WRONG_STATE}
    ),
)
class NoteViewSet(ReadViewSet):
    """Credibility notes, newest first; hidden ones only for those who may hide notes.

    No update: a note is never edited (PUT and PATCH answer 405).
    """

    serializer_class = NoteSerializer
    filterset_class = CredibilityNoteFilterSet
    form_class = CredibilityNoteForm
    add_permission = "sources.add_credibilitynote"

    def get_queryset(self):
        notes = CredibilityNote.objects.select_related("source", "created_by").order_by(
            "-written_on", "-pk"
        )
        if not self.request.user.has_perm("sources.hide_credibilitynote"):
            notes = notes.visible()
        if not sees_unpublished(self.request.user):
            # A note names its source: none on research no approved claim has published.
            notes = notes.filter(source__published_at__isnull=False)
        return notes

    def create(self, request):
        require(request, self.add_permission)
        payload = dict(request.data)
        source_id = payload.pop("source", None)
        data, errors = form_data(self.form_class.base_fields, payload)
        source = None
        if source_id in (None, ""):
            errors["source"] = ["This field is required."]
        else:
            source = Source.objects.filter(pk=source_id).first() if is_id(source_id) else None
            if source is None:
                errors["source"] = ["No source has this id."]
        if errors:
            return refused(errors)
        note = CredibilityNote(source=source, created_by=request.user)
        form = self.form_class(data, instance=note)
        if not form.is_valid():
            return refused(form_errors(form))
        with transaction.atomic():
            form.save()
        return Response(self.get_serializer(note).data, status=status.HTTP_201_CREATED)

    @action(detail=True, methods=["post"])
    def hide(self, request, pk=None):
        """Hide a note from readers, with a reason (kept in history)."""
        require(request, "sources.hide_credibilitynote")
        form, errors = bound(ReasonForm, request.data)
        with transaction.atomic():
            note = object_or_404(CredibilityNote.objects.select_for_update(), pk)
            if note.hidden:
                return conflict("This note is already hidden: nothing was changed.")
            if errors:
                return refused(errors)
            if not form.is_valid():
                return refused(form_errors(form))
            note.hide(by=request.user, reason=form.cleaned_data["reason"])
        return Response(self.get_serializer(self.get_object()).data)

    @action(detail=True, methods=["post"])
    def restore(self, request, pk=None):
        """Show a hidden note to readers again."""
        require(request, "sources.hide_credibilitynote")
        with transaction.atomic():
            note = object_or_404(CredibilityNote.objects.select_for_update(), pk)
            if not note.hidden:
                return conflict("This note is not hidden: nothing was changed.")
            if errors := no_body(request.data):
                return refused(errors)
            note.restore(by=request.user)
        return Response(self.get_serializer(self.get_object()).data)


def is_id(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


# Claims ---------------------------------------------------------------------

CLAIM_EXCLUDE = ("seen_state", "form_token", "version")
VERSION = serializers.IntegerField(
    min_value=-LARGEST,
    max_value=LARGEST,
    help_text="The claim's version when the client read it; a stale one answers 409.",
)
ACTION = serializers.ChoiceField(
    choices=["draft", "submit", "save"],
    required=False,
    help_text="The web form's button: draft or submit on a new claim and on one's own "
    "draft, pending or rejected claim; save on others' and approved claims (moderators).",
)
CONFIRM_DUPLICATE = serializers.BooleanField(
    required=False,
    default=False,
    help_text="Save the claim even though a stored claim records the same statement (the "
    "web form's confirmation after its duplicate warning). Without it such a claim answers "
    "409 with the stored claims, and nothing is saved.",
)
ClaimRequest = body_serializer(
    "ClaimRequest",
    ClaimForm,
    exclude=CLAIM_EXCLUDE,
    extra={"action": ACTION, "confirm_duplicate": CONFIRM_DUPLICATE},
)
ClaimEditRequest = body_serializer(
    "ClaimEditRequest",
    ClaimForm,
    exclude=CLAIM_EXCLUDE,
    extra={"action": ACTION, "version": VERSION},
)
PatchedClaimRequest = body_serializer(
    "PatchedClaimRequest",
    ClaimForm,
    exclude=CLAIM_EXCLUDE,
    required=False,
    extra={"action": ACTION, "version": VERSION},
)
STALE = OpenApiResponse(
    StaleClaimSerializer,
    description="The claim changed since `version` (or may no longer be edited by this user): "
    "nothing was saved.",
)
DUPLICATE = OpenApiResponse(
    DuplicateClaimSerializer,
    description="A stored claim the user may see records the same statement (same source, "
    "topic, detainee, day and quote, compared without case, accents or extra spaces): "
    "nothing was saved. Open the stored claim, or send the body again with "
    "`confirm_duplicate: true`.",
)
CLAIM_STATE = OpenApiResponse(
    DetailSerializer, description="The claim is not in a state this action applies to."
)
# A claim the user may no longer edit; `current_version` comes with it.
LOCKED = "This claim can no longer be edited by you in its present state"


@extend_schema_view(
    list=extend_schema(responses={200: ClaimSerializer(many=True), **READ}),
    retrieve=extend_schema(responses={200: ClaimSerializer, **READ}),
    create=extend_schema(
        description="Add a claim through the web's claim form: `action` draft (the default) "
        "or submit. A claim that repeats a stored one answers 409 listing it, unless "
        "`confirm_duplicate` is true.",
        request=ClaimRequest,
        responses={201: ClaimSerializer, **WRITE, 409: DUPLICATE},
    ),
    update=extend_schema(
        description="Replace a claim's content (as the edit form sends it), at `version`.",
        request=ClaimEditRequest,
        responses={200: ClaimSerializer, **WRITE, 409: STALE},
    ),
    partial_update=extend_schema(
        description="Change some of a claim's fields, at `version`; the rest stay as they are.",
        request=PatchedClaimRequest,
        responses={200: ClaimSerializer, **WRITE, 409: STALE},
    ),
    submit=extend_schema(request=NO_BODY, responses={200: ClaimSerializer, **WRITE, 409: STALE}),
    approve=extend_schema(
        request=OPTIONAL_REASON, responses={200: ClaimSerializer, **WRITE, 409: CLAIM_STATE}
    ),
    reject=extend_schema(
        request=REASON, responses={200: ClaimSerializer, **WRITE, 409: CLAIM_STATE}
    ),
    retract=extend_schema(
        request=REASON, responses={200: ClaimSerializer, **WRITE, 409: CLAIM_STATE}
    ),
    restore=extend_schema(
        request=OPTIONAL_REASON, responses={200: ClaimSerializer, **WRITE, 409: CLAIM_STATE}
    ),
)
class ClaimViewSet(ReadViewSet):
    """Claims: the approved ones listed with the claims browser's filters, sorts and search."""

    serializer_class = ClaimSerializer
    filterset_class = ClaimFilterSet

    def get_queryset(self):
        return Claim.objects.public().for_display()

    def list(self, request):
        """Count and page as the HTML list (claims.views.claims.claim_list) does.

        The count reads `rows_to_count` (a search counted through its index,
        up to the list's bound), and past RANK_LIMIT matches a search lists
        newest first, decided on that same bounded count: no second COUNT.
        """
        filterset = DjangoFilterBackend().get_filterset(request, self.get_queryset(), self)
        if not filterset.is_valid():
            raise translate_validation(filterset.errors)
        claims = filterset.qs
        paginator = RememberedCountPaginator(
            claims, self.paginator.get_page_size(request), count_rows=filterset.rows_to_count()
        )
        if filterset.ranks_by_relevance() and paginator.count > ClaimFilterSet.RANK_LIMIT:
            paginator.object_list = claims.order_by(*ClaimFilterSet.SORTS["newest"])
        self.paginator.django_paginator_class = lambda rows, per_page: paginator
        page = self.paginate_queryset(paginator.object_list)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request, pk=None):
        claim = object_or_404(Claim.objects.for_display(), pk)
        if not may_see(request.user, claim):
            raise NotFound
        return Response(self.get_serializer(claim).data)

    def shown(self, claim: Claim, done: int = status.HTTP_200_OK) -> Response:
        return Response(
            self.get_serializer(Claim.objects.for_display().get(pk=claim.pk)).data, status=done
        )

    # Writing, as the claim form does ------------------------------------------

    def create(self, request):
        require(request, "claims.add_claim")
        claim = Claim(created_by=request.user, state=Claim.State.DRAFT)
        return self.save(request, claim, partial=False)

    def update(self, request, pk=None):
        return self.edit(request, pk, partial=False)

    def partial_update(self, request, pk=None):
        return self.edit(request, pk, partial=True)

    def edit(self, request, pk, *, partial: bool):
        require(request, "claims.change_claim")
        claim = claim_for_editing(request.user, whole_number(pk))
        if claim.state not in editable_states(request.user, claim):
            return self.locked(claim)
        return self.save(request, claim, partial=partial)

    def locked(self, claim: Claim) -> Response:
        return conflict(
            f"{LOCKED} ({claim.get_state_display().lower()}).",
            current_version=claim.version,
            current=self.get_serializer(Claim.objects.for_display().get(pk=claim.pk)).data,
            changes=[],
        )

    def save(self, request, claim: Claim, *, partial: bool) -> Response:
        user, is_new = request.user, claim.pk is None
        fields = {n: f for n, f in ClaimForm.base_fields.items() if n not in CLAIM_EXCLUDE}
        if not is_new:
            fields["version"] = ClaimForm.base_fields["version"]
        payload = dict(request.data)
        actions = actions_for(user, claim)
        chosen = payload.pop("action", None)
        confirmed = payload.pop("confirm_duplicate", False) if is_new else False
        data, errors = form_data(fields, payload)
        if not isinstance(confirmed, bool):
            errors["confirm_duplicate"] = [EXPECTED["boolean"]]
        if chosen is None:
            chosen = self.default_action(claim, actions)
        if chosen not in actions:
            errors["action"] = [f"Choose one of: {', '.join(actions)}."]
        if errors:
            return refused(errors)
        start = current_values(ClaimForm(instance=claim if partial else Claim()))
        for name in CLAIM_EXCLUDE:
            start.pop(name, None)
        data = {**start, **data}
        if not is_new:
            # The version is the client's; the state it saw is the one it read with it
            # (every state change bumps the version).
            data["seen_state"] = claim.state
        form = ClaimForm(data, instance=claim)
        if not form.is_valid():
            return refused(form_errors(form))
        if is_new and not confirmed and (duplicates := claim.duplicates(visible_to=user)):
            return self.duplicated(user, duplicates)
        try:
            save_claim_form(form, claim, user, chosen)
        except StaleClaimError:
            return self.stale(request, claim.pk, form)
        except IntegrityError:
            if form.new_source is None and form.new_document is None:
                raise
            return refused(
                {
                    "non_field_errors": [
                        "A source or document of that name was just added by someone else: "
                        "choose it from the suggestions and save again."
                    ]
                }
            )
        return self.shown(claim, status.HTTP_201_CREATED if is_new else status.HTTP_200_OK)

    @staticmethod
    def duplicated(user, duplicates: list[Claim]) -> Response:
        """Answer 409 with the stored claims a new one repeats, where the user can open each."""
        listed = [
            {
                "id": stored.pk,
                "state": stored.state,
                "summary": stored.summary,
                "url": (settings.SITE_URL + link)
                if (link := duplicate_link(user, stored))
                else None,
                "api_url": (
                    settings.SITE_URL + reverse("api:claim-detail", args=[stored.pk])
                    if may_see(user, stored)
                    else None
                ),
            }
            for stored in duplicates
        ]
        count = (
            "A stored claim records" if len(listed) == 1 else f"{len(listed)} stored claims record"
        )
        return conflict(
            f"{count} the same statement (same source, topic, detainee, day and quote): "
            "nothing was saved. Open it, or send the claim again with "
            '"confirm_duplicate": true to save it anyway (the same statement from another '
            "document, say).",
            duplicates=listed,
        )

    @staticmethod
    def default_action(claim: Claim, actions: list[str]) -> str:
        """Keep the state when no action is given: save, or draft, or submit for a pending one."""
        if "save" in actions:
            return "save"
        return "submit" if claim.state == Claim.State.PENDING else "draft"

    def stale(self, request, pk: int, form: ClaimForm) -> Response:
        current = Claim.objects.for_display().get(pk=pk)
        if current.state not in editable_states(request.user, current):
            return self.locked(current)
        changes = changes_since(
            current, form.cleaned_data["version"], form.cleaned_data["seen_state"]
        )
        return conflict(
            f"Claim #{pk} changed since version {form.cleaned_data['version']}: nothing was "
            "saved. Look at what changed, then send your edit again with the current version.",
            current_version=current.version,
            current=self.get_serializer(current).data,
            changes=[{"field": f, "then": then, "now": now} for f, then, now in changes],
        )

    # Moderation, as the moderation pages do --------------------------------

    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None):
        """Send one's own draft or rejected claim to the moderators, once."""
        require(request, "claims.change_claim")
        with transaction.atomic():
            claim = claim_for_editing(request.user, whole_number(pk))
            locks.lock_claims([claim.pk])  # Its topic first: claims/locks.py.
            claim = Claim.objects.select_for_update().get(pk=claim.pk)
            if claim.created_by_id != request.user.pk or claim.state not in OWN_STATES:
                return self.locked(claim)
            if errors := no_body(request.data):
                return refused(errors)
            if claim.state != Claim.State.PENDING:
                claim.submit(by=request.user)
        return self.shown(claim)

    def moderated(self, pk) -> Claim:
        """Return the claim to act on, locked; drafts are their editor's: 404."""
        locks.lock_claims([pk])  # Its topic first: claims/locks.py.
        claims = Claim.objects.select_for_update().exclude(state=Claim.State.DRAFT)
        return object_or_404(claims, pk)

    @action(detail=True, methods=["post"])
    def approve(self, request, pk=None):
        """Make a pending claim public, with an optional note."""
        require(request, "claims.moderate_claim")
        form, errors = bound(ReasonForm, request.data, required=False)
        if errors:
            return refused(errors)
        form.is_valid()
        with transaction.atomic():
            claim = self.moderated(pk)
            if claim.state != Claim.State.PENDING:
                return self.not_pending(claim, "approved")
            if refusal := four_eyes_refusal(request.user, claim):
                raise Forbidden(refusal)
            claim.approve(by=request.user, reason=form.cleaned_data.get("reason", ""))
        return self.shown(claim)

    @action(detail=True, methods=["post"])
    def reject(self, request, pk=None):
        """Send a pending claim back to its editor, with the reason."""
        require(request, "claims.moderate_claim")
        form, errors = bound(ReasonForm, request.data)
        with transaction.atomic():
            claim = self.moderated(pk)
            if claim.state != Claim.State.PENDING:
                return self.not_pending(claim, "rejected")
            if errors:
                return refused(errors)
            if not form.is_valid():
                return refused(form_errors(form))
            claim.reject(by=request.user, reason=form.cleaned_data["reason"])
        return self.shown(claim)

    def not_pending(self, claim: Claim, action: str) -> Response:
        return conflict(
            f"Claim #{claim.pk} is {claim.get_state_display().lower()}, not pending: "
            f"it was not {action} again, and nothing was changed."
        )

    @action(detail=True, methods=["post"])
    def retract(self, request, pk=None):
        """Withdraw an approved claim from public view, with the reason."""
        require(request, "claims.moderate_claim")
        form, errors = bound(ReasonForm, request.data)
        with transaction.atomic():
            claim = self.moderated(pk)
            if claim.state != Claim.State.APPROVED:
                return conflict(
                    f"Claim #{claim.pk} is {claim.get_state_display().lower()}: only an "
                    "approved claim can be retracted. Nothing was changed."
                )
            if errors:
                return refused(errors)
            if not form.is_valid():
                return refused(form_errors(form))
            claim.retract(by=request.user, reason=form.cleaned_data["reason"])
        return self.shown(claim)

    @action(detail=True, methods=["post"])
    def restore(self, request, pk=None):
        """Bring a retracted claim back (admins only)."""
        if not is_admin(request.user):
            raise PermissionDenied
        form, errors = bound(ReasonForm, request.data, required=False)
        if errors:
            return refused(errors)
        form.is_valid()
        with transaction.atomic():
            claim = self.moderated(pk)
            if claim.state != Claim.State.RETRACTED:
                return conflict(
                    f"Claim #{claim.pk} is {claim.get_state_display().lower()}, not retracted: "
                    "nothing was changed."
                )
            claim.restore(by=request.user, reason=form.cleaned_data.get("reason") or "Restored")
        return self.shown(claim)


# Conflicts --------------------------------------------------------------------

ResolveRequest = body_serializer("ResolveRequest", ResolveForm)


@extend_schema_view(
    list=extend_schema(responses={200: ConflictSerializer(many=True), **READ}),
    retrieve=extend_schema(responses={200: ConflictSerializer, **READ}),
    resolve=extend_schema(
        request=ResolveRequest, responses={200: ConflictSerializer, **WRITE, 409: WRONG_STATE}
    ),
    dismiss=extend_schema(
        request=REASON, responses={200: ConflictSerializer, **WRITE, 409: WRONG_STATE}
    ),
    reopen=extend_schema(
        request=REASON, responses={200: ConflictSerializer, **WRITE, 409: WRONG_STATE}
    ),
)
class ConflictViewSet(ReadViewSet):
    """Conflicts, newest first, with the conflicts list's filters (open ones unless asked)."""

    serializer_class = ConflictSerializer
    filterset_class = ConflictFilterSet

    def get_queryset(self):
        return (
            Conflict.objects.for_display()
            .prefetch_related("witnesses")
            .order_by("-opened_at", "-pk")
        )

    def list(self, request):
        page = self.paginate_queryset(self.filter_queryset(self.get_queryset()))
        # Two voices of one organisation, for the page at once (claims.voices).
        page = label_internal(page)
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    def retrieve(self, request, pk=None):
        return Response(self.get_serializer(label_internal([self.get_object()])[0]).data)

    def shown(self, conflict_: Conflict) -> Response:
        found = object_or_404(self.get_queryset(), conflict_.pk)
        return Response(self.get_serializer(label_internal([found])[0]).data)

    def locked(self, pk) -> Conflict:
        locks.lock_conflicts([pk])  # Its topic first: claims/locks.py.
        return object_or_404(Conflict.objects.select_for_update(), pk)

    def refuse(self, conflict_: Conflict, action: str) -> Response:
        return conflict(
            f"Conflict #{conflict_.pk} is {conflict_.get_status_display().lower()}: it cannot "
            f"be {action} now, and nothing was changed."
        )

    @action(detail=True, methods=["post"])
    def resolve(self, request, pk=None):
        """Record the outcome, the rationale and the evidence; the claims get their verdicts."""
        require(request, "claims.resolve_conflict")
        with transaction.atomic():
            found = self.locked(pk)
            if not found.is_open:
                return self.refuse(found, "resolved")
            if refusal := four_eyes_refusal(request.user, *found.claims):
                raise Forbidden(refusal)
            form, errors = bound(ResolveForm, request.data, conflict=found)
            if errors:
                return refused(errors)
            if not form.is_valid():
                return refused(form_errors(form))
            try:
                with transaction.atomic():
                    found.resolve(
                        by=request.user,
                        outcome=form.cleaned_data["outcome"],
                        rationale=form.cleaned_data["rationale"],
                        evidence_url=form.cleaned_data["evidence_url"],
                        true_quantity=form.cleaned_data["true_quantity"],
                        true_status=form.cleaned_data["true_status"],
                    )
            except ValidationError as error:
                add_model_errors(form, error, RESOLVE_FIELDS)
                return refused(form_errors(form))
        return self.shown(found)

    @action(detail=True, methods=["post"])
    def dismiss(self, request, pk=None):
        """Close a conflict that is not a real one, with the reason."""
        return self.close(request, pk, "dismissed", Conflict.dismiss, open_only=True)

    @action(detail=True, methods=["post"])
    def reopen(self, request, pk=None):
        """Reopen a resolved or dismissed conflict, with the reason."""
        return self.close(request, pk, "reopened", Conflict.reopen, open_only=False)

    def close(self, request, pk, verb: str, change, *, open_only: bool) -> Response:
        require(request, "claims.resolve_conflict")
        form, errors = bound(ReasonForm, request.data)
        with transaction.atomic():
            found = self.locked(pk)
            allowed = found.is_open if open_only else found.status in Conflict.HUMAN_CLOSED
            if not allowed:
                return self.refuse(found, verb)
            refusal = "" if open_only else found.reopen_refusal()
            if refusal:
                return conflict(refusal)
            if open_only and (refusal := four_eyes_refusal(request.user, *found.claims)):
                raise Forbidden(refusal)
            if errors:
                return refused(errors)
            if not form.is_valid():
                return refused(form_errors(form))
            change(found, by=request.user, reason=form.cleaned_data["reason"])
        return self.shown(found)
