"""
The editors' pages: add and edit documents, topics, detainees and claims, and
the editor's own dashboard.

Choices made here (DESIGN.md and the issue leave them open):

- Access: an anonymous visitor is sent to log in; a logged-in user without the
  model permission gets 403; a POST-only action answers GET with 405 (after
  the login check, so an anonymous GET still goes to the login page).
- Which claims a user may edit. An editor edits only the claims they created,
  while they are drafts, pending or rejected. A moderator (claims.moderate_claim)
  may also edit anyone's pending or approved claim (an approved claim's edit
  re-runs detection, through Claim.save). Others' drafts and rejected claims
  are private to their editor: 404, for moderators too. A claim the user may
  see but no longer edit (an editor's own claim once approved or retracted; a
  retracted claim for a moderator, who restores it first) answers 409 with a
  page that says why.
- Buttons. On a new claim and on one's own draft, pending or rejected claim:
  "Save draft" (back to draft: a pending claim leaves the queue, a rejected one
  is reworked) and "Submit for review" (`claim.submit`, once: a pending claim
  is not submitted again). On someone else's claim, or an approved one, a
  moderator has "Save changes", which keeps the state. "Preview conflicts"
  saves nothing, and is also what pressing Enter does.
- Replays. The new-claim form carries a one-time token, written with the
  claim (claims/submissions.py), so the same form sent twice, even at the
  same moment (a double click, a reload), adds one claim and leads to it;
  the session also keeps the last 50 saved with the claim each created. An edit sent twice
  is refused by the version check below; a submission sent twice leaves the
  claim pending once.
- Drafts are whole claims: the same validation as a submitted one, so a
  draft can always be submitted as it is.
- No lost updates. The form carries the version and the state the editor
  saw; `Claim.save_checked` writes only if the row still has both, in the
  UPDATE itself. A refused save changes nothing, answers 409, lists what
  changed in between field by field (from the claim's history at the version
  the editor started from), and keeps the editor's input with the new version,
  so that saving again is a deliberate choice made after seeing the changes.
- The preview is computed by `claims.detection.preview_approval`. Without
  JavaScript the "Preview conflicts" button re-renders the page with it; with
  htmx the same view, POSTed with action=preview on every change, returns
  only the preview fragment (the `preview` partial).
- Duplicates. A new claim with the same source, topic, detainee, day and
  quote (normalised: case, accents, spaces, curly quotes) as a stored claim
  the editor may see is not saved at first: the form comes back with a
  warning linking to the stored claim. The editor may still confirm (the
  same statement recorded from another document, say): the warning puts a
  confirmation in the form, and saving again saves it. Nothing is lost either
  way: the form keeps what was typed.
- A session that ends mid-edit (it expired, or the editor logged out in
  another tab) loses nothing: a form POSTed without a login is kept in the
  session (`login_keeping_form`; logging in keeps the session's data) and
  the editor is sent to log in with next= the form's page. Back on that page
  (a GET, within an hour), the form is shown bound to what they typed, with
  its errors and preview as usual, and never submitted by itself: the editor
  reviews it and saves. The kept copy is used once, and only on the page it
  came from; the CSRF token and the button pressed are not kept.
- A document has no page of its own: saving one leads to a new claim citing
  it (added) or to the dashboard (edited).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from functools import wraps
from urllib.parse import urlsplit

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.contrib.auth.views import redirect_to_login
from django.db import IntegrityError, transaction
from django.db.models import Case, Count, F, IntegerField, Value, When, Window
from django.db.models.functions import RowNumber
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from claims import detection, locks
from claims.forms import ClaimForm, DetaineeForm, DocumentForm, TopicForm
from claims.models import STATE_FIELDS, Claim, Detainee, Document, StaleClaimError, Topic
from claims.submissions import submitted_once
from crosscheck import versions
from sources.models import Source

# How many names each autocomplete list offers; a longer name is still found when typed.
SUGGESTIONS = 1000

# The session remembers the last new-claim forms saved, by their token.
SAVED_FORMS, SAVED_FORMS_KEPT = "saved_claim_forms", 50
ALREADY_SAVED = "This form was already saved; nothing was added twice."

OWN_STATES = (Claim.State.DRAFT, Claim.State.PENDING, Claim.State.REJECTED)
MODERATED_STATES = (Claim.State.PENDING, Claim.State.APPROVED)


# A form sent after the session ended ------------------------------------------

KEPT_FORM, KEPT_FORM_SECONDS = "kept_form", 3600


def login_keeping_form(view=None, *, page=None, form: str = ""):
    """login_required that keeps a POSTed form for after the login, instead of losing it.

    A form page (GET and POST at one URL) needs no arguments. A view that only
    takes the POST of a form shown on another page (a moderator's decision)
    names that page, `page(**kwargs)` giving its URL, and which of its forms it
    was, `form` (formatted with the view's kwargs, for pages with one form per
    row): the login then leads back to that page, which asks `kept_form` for it.
    """

    def decorator(view):
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if request.user.is_authenticated:
                return view(request, *args, **kwargs)
            back_to = page(**kwargs) if page else request.get_full_path()
            if request.method == "POST":
                data = {
                    key: request.POST.getlist(key)
                    for key in request.POST
                    if key not in ("csrfmiddlewaretoken", "action")
                }
                request.session[KEPT_FORM] = {
                    "path": urlsplit(back_to).path,
                    "form": form.format(**kwargs),
                    "data": data,
                    "at": timezone.now().timestamp(),
                }
                messages.info(
                    request,
                    "Your session had ended, so nothing was saved. Log in again: "
                    "the form will be back as you typed it, for you to check and save.",
                )
            return redirect_to_login(back_to)

        return wrapper

    return decorator(view) if view is not None else decorator


def kept_form(request: HttpRequest, form: str = "") -> QueryDict | None:
    """Return, once, the form (named `form` on a page of several) this page was sent while
    logged out, or None."""
    if request.method != "GET":
        return None
    kept = request.session.get(KEPT_FORM)
    if not kept or kept.get("path") != request.path or kept.get("form", "") != form:
        return None
    del request.session[KEPT_FORM]
    if timezone.now().timestamp() - kept.get("at", 0) > KEPT_FORM_SECONDS:
        return None
    data = QueryDict(mutable=True)
    for key, values in kept["data"].items():
        data.setlist(key, values)
    messages.info(request, "This is the form as you typed it before your session ended: "
                  "check it and save.")  # fmt: skip
    return data


# Documents, topics and detainees ---------------------------------------------


def form_page(
    request: HttpRequest,
    form_class,
    instance,
    *,
    title: str,
    saved: str,
    next_url,
    intro: str = "",
    cancel_url: str = "",
    template: str = "claims/editing/object_form.html",
    extra: dict | None = None,
) -> HttpResponse:
    """Show a model form; on a valid POST save it, say so, and redirect to `next_url(obj)`."""
    data = request.POST if request.method == "POST" else kept_form(request)
    form = form_class(data, instance=instance)
    # Validated and saved in one transaction: the version check (crosscheck/versions.py)
    # holds the row until the write.
    if request.method == "POST" and (obj := versions.save_checked(form)) is not None:
        messages.success(request, saved.format(obj=obj))
        return redirect(next_url(obj))
    context = {
        "form": form,
        "title": title,
        "intro": intro,
        "cancel_url": cancel_url or reverse("claims:dashboard"),
        **(extra or {}),
    }
    return render(request, template, context)


@login_keeping_form
@require_http_methods(["GET", "POST"])
@permission_required("claims.add_document", raise_exception=True)
@submitted_once
def document_create(request: HttpRequest) -> HttpResponse:
    return form_page(
        request,
        DocumentForm,
        Document(),
        title="New document",
        intro="Where claims were published or heard: an article, a briefing transcript, "
        "a report, a post.",
        saved="Document “{obj.title}” added. Add a claim it carries.",
        next_url=lambda doc: (
            f"{reverse('claims:claim_create')}?{urlencode({'document': doc.title})}"
        ),
    )


@login_keeping_form
@require_http_methods(["GET", "POST"])
@permission_required("claims.change_document", raise_exception=True)
@submitted_once
def document_edit(request: HttpRequest, pk: int) -> HttpResponse:
    document = get_object_or_404(Document, pk=pk)
    return form_page(
        request,
        DocumentForm,
        document,
        title=f"Edit document “{document.title}”",
        saved="Document “{obj.title}” saved.",
        next_url=lambda doc: reverse("claims:dashboard"),
    )


@login_keeping_form
@require_http_methods(["GET", "POST"])
@permission_required("claims.add_topic", raise_exception=True)
@submitted_once
def topic_create(request: HttpRequest) -> HttpResponse:
    return form_page(
        request,
        TopicForm,
        Topic(),
        title="New topic",
        intro="A matter on which sources make claims, phrased as a question. Give a count "
        "(what is counted and its bounds) when claims give numbers.",
        saved="Topic “{obj.title}” added.",
        next_url=lambda topic: topic.get_absolute_url(),
    )


@login_keeping_form
@require_http_methods(["GET", "POST"])
@permission_required("claims.change_topic", raise_exception=True)
@submitted_once
def topic_edit(request: HttpRequest, slug: str) -> HttpResponse:
    topic = get_object_or_404(Topic, slug=slug)
    return form_page(
        request,
        TopicForm,
        topic,
        title=f"Edit topic “{topic.title}”",
        intro="Changing the count or the window re-examines every approved claim on the topic.",
        saved="Topic “{obj.title}” saved.",
        next_url=lambda topic: topic.get_absolute_url(),
        cancel_url=topic.get_absolute_url(),
    )


@login_keeping_form
@require_http_methods(["GET", "POST"])
@permission_required("claims.add_detainee", raise_exception=True)
@submitted_once
def detainee_create(request: HttpRequest) -> HttpResponse:
    return form_page(
        request,
        DetaineeForm,
        Detainee(),
        title="New detainee",
        intro="A person whose status is in question. When the name is withheld, use a "
        "placeholder such as “Unidentified prisoner 12”.",
        saved="Detainee “{obj.name}” added.",
        next_url=lambda detainee: detainee.get_absolute_url(),
    )


@login_keeping_form
@require_http_methods(["GET", "POST"])
@permission_required("claims.change_detainee", raise_exception=True)
@submitted_once
def detainee_edit(request: HttpRequest, pk: int) -> HttpResponse:
    detainee = get_object_or_404(Detainee, pk=pk)
    return form_page(
        request,
        DetaineeForm,
        detainee,
        title=f"Edit detainee “{detainee.name}”",
        saved="Detainee “{obj.name}” saved.",
        next_url=lambda detainee: detainee.get_absolute_url(),
        cancel_url=detainee.get_absolute_url(),
    )


# Claims -------------------------------------------------------------------


def editable_states(user, claim: Claim) -> set[str]:
    """Return the states in which `user` may edit `claim` (empty: not at all)."""
    states: set[str] = set()
    if claim.pk is None or claim.created_by_id == user.pk:
        states.update(OWN_STATES)
    if user.has_perm("claims.moderate_claim"):
        states.update(MODERATED_STATES)
    return states


def claim_for_editing(user, pk: int) -> Claim:
    """Return a claim the user may open for editing; 404 for others' drafts and rejections."""
    claim = get_object_or_404(
        Claim.objects.select_related("source", "topic", "detainee", "document"), pk=pk
    )
    private = claim.state in (Claim.State.DRAFT, Claim.State.REJECTED)
    if claim.created_by_id != user.pk and (private or not user.has_perm("claims.moderate_claim")):
        raise Http404("No claim of yours with this number.")
    return claim


def actions_for(user, claim: Claim) -> list[str]:
    """Return the buttons a user has on a claim's form, besides "Preview conflicts"."""
    if claim.pk is None or (claim.created_by_id == user.pk and claim.state in OWN_STATES):
        return ["draft", "submit"]
    return ["save"]


def locked(request: HttpRequest, claim: Claim, *, lost_edit: bool = False) -> HttpResponse:
    """Explain why a claim can no longer be edited by this user (409)."""
    context = {"claim": claim, "lost_edit": lost_edit}
    return render(request, "claims/editing/claim_locked.html", context, status=409)


@login_keeping_form
@require_http_methods(["GET", "POST"])
@permission_required("claims.add_claim", raise_exception=True)
@submitted_once(field="form_token", message=ALREADY_SAVED)
def claim_create(request: HttpRequest) -> HttpResponse:
    claim = Claim(created_by=request.user, state=Claim.State.DRAFT)
    token = request.POST.get("form_token", "")
    saved = request.session.get(SAVED_FORMS, {})
    if request.method == "POST" and token in saved:
        # The same form sent again (a double click, a reload): no second claim.
        messages.info(request, ALREADY_SAVED)
        return redirect("claims:claim_edit", saved[token])
    initial = {
        name: request.GET[name][:300]
        for name in ("source", "topic", "document")
        if name in request.GET
    }
    initial["form_token"] = uuid.uuid4().hex
    return claim_form_page(request, claim, initial=initial)


@login_keeping_form
@require_http_methods(["GET", "POST"])
@permission_required("claims.change_claim", raise_exception=True)
def claim_edit(request: HttpRequest, pk: int) -> HttpResponse:
    claim = claim_for_editing(request.user, pk)
    if claim.state not in editable_states(request.user, claim):
        return locked(request, claim, lost_edit=request.method == "POST")
    return claim_form_page(request, claim)


def claim_form_page(
    request: HttpRequest, claim: Claim, initial: dict | None = None
) -> HttpResponse:
    """The claim form, new or existing: preview, save as draft, submit, or save changes."""
    actions = actions_for(request.user, claim)
    if request.method != "POST":
        kept = kept_form(request)
        if kept is not None:
            form = ClaimForm(kept, instance=claim)
            form.is_valid()
            return render_claim_form(request, form, actions)
        return render_claim_form(request, ClaimForm(instance=claim, initial=initial), actions)

    form = ClaimForm(request.POST, instance=claim)
    action = request.POST.get("action", "")
    valid = form.is_valid()
    if action not in actions or not valid:
        # Preview, Enter in a text box, or errors: show the form again, saving nothing.
        show_preview = action == "preview" or action not in actions
        if request.htmx and action == "preview":
            return render_claim_form(request, form, actions, preview=True, partial="preview")
        return render_claim_form(request, form, actions, preview=show_preview)

    is_new = claim.pk is None
    if is_new and not request.POST.get("confirm_duplicate"):
        duplicates = claim.duplicates(visible_to=request.user)
        if duplicates:
            # Saving nothing: the editor opens the stored claim, or confirms.
            return render_claim_form(request, form, actions, duplicates=duplicates)
    try:
        save_claim_form(form, claim, request.user, action)
    except StaleClaimError:
        return stale(request, claim.pk, form)
    except IntegrityError:
        if form.new_source is None and form.new_document is None:
            raise
        # Someone added a source or document of that name in the meantime.
        if is_new:
            claim.pk = None  # The insert was rolled back with the rest.
        form.add_error(
            None,
            "A source or document of that name was just added by someone else: "
            "choose it from the suggestions and save again.",
        )
        return render_claim_form(request, form, actions)

    token = form.cleaned_data.get("form_token")
    if is_new and token:
        saved = request.session.get(SAVED_FORMS, {})
        saved[token] = claim.pk
        request.session[SAVED_FORMS] = dict(list(saved.items())[-SAVED_FORMS_KEPT:])
        # A replay of this form, even one sent at the same moment, leads to the claim.
        request.submission_result = reverse("claims:claim_edit", args=[claim.pk])
    if action == "submit":
        messages.success(request, f"“{claim.summary}” is submitted for review.")
        return redirect("claims:dashboard")
    if action == "draft":
        messages.success(request, f"Draft “{claim.summary}” saved.")
        return redirect("claims:claim_edit", claim.pk)
    messages.success(request, f"Changes to “{claim.summary}” saved.")
    if claim.is_public:
        return redirect(claim)
    return redirect("claims:dashboard")


def save_claim_form(form: ClaimForm, claim: Claim, user, action: str) -> None:
    """Save a valid claim form as its button says: "draft", "submit" or "save".

    Raises StaleClaimError when the claim moved on since the form's version
    and state, and IntegrityError when a source or document typed as new was
    added by someone else meanwhile; either way nothing is saved. Shared by
    the web page and the API (api.views), so that both save alike.
    """
    with transaction.atomic():
        form.save_records()
        if action == "draft" and claim.state != Claim.State.DRAFT:
            claim.state, claim.state_changed_at = Claim.State.DRAFT, timezone.now()
            claim.state_changed_by, claim.state_reason = user, ""
        if claim.pk is None:
            claim.save()
        else:
            fields = [*ClaimForm.CONTENT_FIELDS, "updated_at"]
            if action == "draft":
                fields += STATE_FIELDS
            claim.save_checked(
                form.cleaned_data["version"],
                states=[form.cleaned_data["seen_state"]],
                update_fields=fields,
            )
        if action == "submit" and claim.state != Claim.State.PENDING:
            claim.submit(by=user)


def render_claim_form(
    request: HttpRequest,
    form: ClaimForm,
    actions: list[str],
    *,
    preview: bool = False,
    partial: str = "",
    stale_changes: list | None = None,
    duplicates: list | None = None,
    status: int = 200,
) -> HttpResponse:
    # An existing claim opens with its preview; a typed one shows it when asked.
    opened = not form.is_bound and form.instance.pk is not None
    asked = preview and form.is_bound and form.previewable()
    shown = detection.preview_approval(form.instance) if opened or asked else None
    context = {
        "form": form,
        "claim": form.instance,
        "actions": actions,
        "preview_requested": preview,
        "preview": shown,
        "stale_changes": stale_changes,
        "duplicates": [(c, duplicate_link(request.user, c)) for c in duplicates or ()],
    }
    template = "claims/editing/claim_form.html"
    if partial:
        return render(request, f"{template}#{partial}", context, status=status)
    context.update(
        source_names=Source.objects.values_list("name", flat=True)[:SUGGESTIONS],
        topics=Topic.objects.all()[:SUGGESTIONS],
        detainee_names=Detainee.objects.values_list("name", flat=True)[:SUGGESTIONS],
        document_titles=Document.objects.values_list("title", flat=True)[:SUGGESTIONS],
    )
    return render(request, template, context, status=status)


def duplicate_link(user, claim: Claim) -> str:
    """Return where the editor can open a stored claim that repeats theirs, or ""."""
    if claim.created_by_id == user.pk and claim.state in OWN_STATES:
        return reverse("claims:claim_edit", args=[claim.pk])
    if claim.state in (Claim.State.APPROVED, Claim.State.RETRACTED):
        return claim.get_absolute_url()
    if user.has_perm("claims.moderate_claim"):
        return reverse("claims:claim_moderate", args=[claim.pk])
    return ""


# Fields compared when a save is refused; the state is compared separately.
DIFF_FIELDS = ClaimForm.CONTENT_FIELDS


def shown_value(record, name: str) -> str:
    """Return a field of a claim or of a historical claim as a reader would read it."""
    field = Claim._meta.get_field(name)
    if field.is_relation:
        return str(getattr(record, name)) if getattr(record, field.attname) is not None else "—"
    value = getattr(record, name)
    if value in (None, ""):
        return "—"
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if hasattr(value, "isoformat"):
        return f"{value:%b %-d, %Y}"
    return str(value)


def changes_since(claim: Claim, version: int, seen_state: str) -> list[tuple[str, str, str]]:
    """Return (field, when you opened it, now) for each field changed since `version`."""
    then = claim.history.filter(version=version).order_by("-history_date", "-history_id").first()
    rows = []
    if then is not None:
        for name in DIFF_FIELDS:
            old, new = shown_value(then, name), shown_value(claim, name)
            if old != new:
                rows.append((Claim._meta.get_field(name).verbose_name.capitalize(), old, new))
    if seen_state and seen_state != claim.state:
        rows.append(("State", Claim.State(seen_state).label, claim.get_state_display()))
    return rows


def stale(request: HttpRequest, pk: int, form: ClaimForm) -> HttpResponse:
    """Refuse a save made from an outdated page: show what changed, keep the editor's input."""
    current = Claim.objects.select_related("source", "topic", "detainee", "document").get(pk=pk)
    if current.state not in editable_states(request.user, current):
        return locked(request, current, lost_edit=True)
    changes = changes_since(current, form.cleaned_data["version"], form.cleaned_data["seen_state"])
    data = request.POST.copy()
    data["version"], data["seen_state"] = str(current.version), current.state
    again = ClaimForm(data, instance=current)
    again.is_valid()
    actions = actions_for(request.user, current)
    return render_claim_form(request, again, actions, stale_changes=changes, status=409)


@login_required
@require_POST
@permission_required("claims.change_claim", raise_exception=True)
@submitted_once
def claim_submit(request: HttpRequest, pk: int) -> HttpResponse:
    """Send one's own draft or rejected claim to the moderators, once."""
    with transaction.atomic():
        claim = claim_for_editing(request.user, pk)
        locks.lock_claims([claim.pk])  # Its topic first: claims/locks.py.
        claim = Claim.objects.select_for_update().get(pk=claim.pk)
        if claim.created_by_id != request.user.pk or claim.state not in OWN_STATES:
            return locked(request, claim, lost_edit=True)
        if claim.state == Claim.State.PENDING:
            messages.info(request, f"“{claim.summary}” is already waiting for review.")
        else:
            claim.submit(by=request.user)
            messages.success(request, f"“{claim.summary}” is submitted for review.")
    return redirect("claims:dashboard")


# The editor's dashboard ------------------------------------------------------


# Each section of the dashboard shows this many claims a page.
DASHBOARD_SECTION = 50
DASHBOARD_PARAMS = {
    Claim.State.DRAFT: "drafts",
    Claim.State.PENDING: "pending",
    Claim.State.REJECTED: "rejected",
}


@dataclass
class Section:
    """One section of the dashboard: a page of the editor's claims in one state."""

    state: str
    param: str
    total: int
    number: int
    claims: list[Claim] = field(default_factory=list)
    newer: str = ""
    older: str = ""

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // DASHBOARD_SECTION))

    @property
    def first_shown(self) -> int:
        return (self.number - 1) * DASHBOARD_SECTION + 1 if self.claims else 0

    @property
    def last_shown(self) -> int:
        return (self.number - 1) * DASHBOARD_SECTION + len(self.claims)

    @property
    def paged(self) -> bool:
        return self.total > DASHBOARD_SECTION

    def link(self, query: QueryDict, number: int) -> str:
        """Return the query string of this section's page `number`, the others' pages kept."""
        query = query.copy()
        query[self.param] = str(number)
        return "?" + query.urlencode()


def _page_number(raw: str | None) -> int:
    return int(raw) if raw and raw.isascii() and raw.isdigit() and len(raw) <= 6 else 1


@login_required
@require_safe
@permission_required("claims.add_claim", raise_exception=True)
def dashboard(request: HttpRequest) -> HttpResponse:
    """The editor's own claims still in the works: drafts, pending and rejected, newest first.

    Each state is a section paged by DASHBOARD_SECTION (`?drafts=2`): an
    editor with 10,000 claims in the works got all of them on one page. Two
    queries whatever the numbers: the count of each state (the partial index
    claim_own_idx, migration 0017), then one page of each, numbered within
    its state by a window function over the same index.
    """
    own = Claim.objects.filter(created_by=request.user, state__in=OWN_STATES)
    totals = dict(own.order_by().values_list("state").annotate(n=Count("pk")))
    sections = {}
    for state, param in DASHBOARD_PARAMS.items():
        section = Section(state, param, totals.get(state, 0), 1)
        section.number = min(_page_number(request.GET.get(param)), section.pages)
        if section.number > 1:
            section.newer = section.link(request.GET, section.number - 1)
        if section.number < section.pages:
            section.older = section.link(request.GET, section.number + 1)
        sections[state] = section
    # Each claim numbered within its state, newest first; then only the rows
    # of each state's page (a window filter: Django runs it over a subquery).
    starts = Case(
        *(
            When(state=state, then=Value((s.number - 1) * DASHBOARD_SECTION))
            for state, s in sections.items()
        ),
        output_field=IntegerField(),
    )
    page_ids = (
        own.annotate(
            position=Window(
                RowNumber(),
                partition_by=[F("state")],
                order_by=[F("created_at").desc(), F("pk").desc()],
            ),
            start=starts,
        )
        .filter(position__gt=F("start"), position__lte=F("start") + DASHBOARD_SECTION)
        .values("pk")
    )
    # Joined for display only once numbered: the page's rows, not every claim.
    claims = (
        Claim.objects.filter(pk__in=page_ids)
        .select_related("source__affiliation", "topic", "detainee", "document", "state_changed_by")
        .order_by("-created_at", "-pk")
    )
    if totals:
        for claim in claims:
            sections[claim.state].claims.append(claim)
    context = {
        "drafts": sections[Claim.State.DRAFT].claims,
        "pending": sections[Claim.State.PENDING].claims,
        "rejected": sections[Claim.State.REJECTED].claims,
        "sections": sections,
        "section_size": DASHBOARD_SECTION,
    }
    return render(request, "claims/editing/dashboard.html", context)
