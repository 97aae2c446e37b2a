"""
The moderators' pages: the queue of pending claims, the conflicts that need a
decision, retraction, and hiding credibility notes.

Choices made here (DESIGN.md leaves them open):

- Rejecting, retracting, dismissing and reopening need a reason; approving
  takes an optional note (the claim was already checked by its editor, and a
  bulk approval would otherwise need one reason for many claims).
- Every action is a POST that acts only from the state it is meant for: a
  replayed or stale POST (approving an approved claim, resolving a resolved
  conflict) changes nothing and says so in a message. The row is locked
  (SELECT ... FOR UPDATE on PostgreSQL) while the state is checked, so two
  moderators clicking at once cannot both act; its topic is locked before
  it (claims/locks.py), so that two actions on one topic never deadlock.
- Every action's form carries a one-time token (claims/submissions.py): the
  same form sent twice at once acts once, and the second is sent where the
  first led.
- Restoring a retracted claim is an admin's undo: superusers and members of
  the Admin group only. Restoring a hidden note needs only the permission to
  hide notes (sources.hide_credibilitynote, "hide and restore"): a hidden note
  changes what readers see beside a claim, not the record or detection.
- Resolving with an outcome that gives verdicts (A right, B right, both partly
  right) needs an evidence URL (http or https); "cannot be resolved yet" may
  go without.
- The queue marks near-duplicates: a pending claim with the same source,
  topic, detainee and day as another stored claim (not a draft) and the same
  quote once normalised, or one quote inside the other
  (`ClaimQuerySet.same_statements`, one query for the page).
- The queue pages by 25. Everything on it is read in a fixed number of
  queries, the conflict preview included: `claims.detection.preview_approvals`
  previews the whole page at once from the live approved claims its claims
  can touch (one query, two when a claim is dated before its source's latest
  word), whatever the number of pending claims and the size of their
  variables.
- Drafts are the editor's own until submitted: moderation pages answer 404
  for them.
- Bulk decisions (issue 11: one new claim can open a dozen conflicts, one
  per other source). On the conflicts page a moderator ticks several open
  conflicts and resolves them with one outcome, rationale and evidence URL,
  or dismisses them with one reason. Each goes through `Conflict.resolve` or
  `Conflict.dismiss`, so each is recorded separately in its history with who,
  when and why, and gets its verdicts. "A is right" means each conflict's own
  claim A (the older claim of its pair, as every conflict page labels it).
  All or nothing: the form is checked once, then every ticked conflict is
  locked; any that is no longer open is left as it is and counted in a
  warning, like a stale single decision.
- Access, as in claims.views.editing: an anonymous visitor is sent to log
  in; then a wrong method answers 405; then a user without the permission
  gets 403.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST, require_safe

from claims import detection, locks
from claims.models import QUANTITY_LIMIT, Claim, Conflict, four_eyes_refusal
from claims.submissions import submitted_once
from claims.views.common import conflicts_for_display, source_notes
from claims.views.editing import kept_form, login_keeping_form
from crosscheck.lists import BoundedPaginator
from crosscheck.text import REASON_MAX_LENGTH, TextPolicyForm
from sources.models import CredibilityNote, Source, http_url

PAGE_SIZE = 25
ADMIN_GROUP = "Admin"


# Access ---------------------------------------------------------------------


def is_admin(user) -> bool:
    """Return whether the user is an admin: a superuser or a member of the Admin group."""
    if not user.is_authenticated:
        return False
    return user.is_superuser or user.groups.filter(name=ADMIN_GROUP).exists()


def admin_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Refuse (403) anyone who is not an admin; put login_required before it."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if not is_admin(request.user):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def back(request: HttpRequest, default: str) -> HttpResponseRedirect:
    """Redirect to the page the form came from (its `next` field), if it is on this site."""
    target = request.POST.get("next", "")
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(target)
    return redirect(default)


# Forms ----------------------------------------------------------------------


# The pages a decision's form is on: where a decision sent after the session
# ended leads back to, with the form as it was typed (claims.views.editing).


def moderation_page(pk: int) -> str:
    return reverse("claims:claim_moderate", args=[pk])


def decision_page(pk: int) -> str:
    return reverse("claims:conflict_decide", args=[pk])


def notes_page_of(pk: int) -> str:
    """The moderation page of the notes of note `pk`'s source (the login's start if none)."""
    source = CredibilityNote.objects.filter(pk=pk).values_list("source_id", flat=True).first()
    return reverse("claims:source_notes", args=[source]) if source else reverse("claims:home")


class ReasonForm(TextPolicyForm, forms.Form):
    reason = forms.CharField(
        max_length=REASON_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 2, "cols": 50})
    )

    def __init__(self, *args, label: str = "Reason", required: bool = True, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["reason"].label = label
        self.fields["reason"].required = required


def evidence_url_field() -> forms.URLField:
    """Return the evidence link of a resolution: one for a single decision or several."""
    return forms.URLField(
        label="Evidence URL",
        max_length=1000,
        required=False,
        assume_scheme="https",
        validators=[http_url],
        help_text="An http or https link; only “cannot be resolved yet” may go without.",
    )


def true_value_fields() -> dict[str, forms.Field]:
    """Return the fields of the value a resolution found to be true (docs/verdicts.md)."""
    return {
        "true_quantity": forms.IntegerField(
            label="Count found to be true",
            required=False,
            min_value=0,
            max_value=QUANTITY_LIMIT,
            help_text="Optional, on a quantity topic: the count the evidence shows. It gives "
            "every claim on the topic inside its window a verdict; leave the outcome to it.",
        ),
        "true_status": forms.ChoiceField(
            label="Status found to be true",
            required=False,
            choices=[("", "—"), *Claim.Status.choices],
            help_text="Optional, on a detainee: the status the evidence shows. It gives every "
            "claim on the detainee inside the window a verdict; leave the outcome to it.",
        ),
    }


def check_outcome(form: forms.Form, data: dict, *, needed: bool = True) -> None:
    """Require an outcome (unless a true value gives it) and the evidence for it."""
    outcome = data.get("outcome")
    has_truth = data.get("true_quantity") is not None or bool(data.get("true_status"))
    if not outcome and not has_truth and needed:
        form.add_error(
            "outcome", "Choose the outcome, or record the value found to be true (it gives one)."
        )
    elif (has_truth or outcome != Conflict.Outcome.UNRESOLVABLE) and not data.get("evidence_url"):
        form.add_error(
            "evidence_url",
            "Link the evidence for this outcome; only “cannot be resolved yet” may go without.",
        )


class ResolveForm(TextPolicyForm, forms.Form):
    outcome = forms.ChoiceField(
        choices=Conflict.Outcome.choices,
        widget=forms.RadioSelect,
        required=False,
        help_text="Required unless you record the value found to be true, which gives it.",
    )
    rationale = forms.CharField(
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 50}),
        help_text="Why this outcome: what the evidence shows.",
    )
    evidence_url = evidence_url_field()
    true_quantity, true_status = true_value_fields().values()

    def __init__(self, *args, conflict: Conflict, **kwargs) -> None:
        kwargs.setdefault("auto_id", f"id_conflict{conflict.pk}_%s")
        super().__init__(*args, **kwargs)
        a, b = conflict.claim_a, conflict.claim_b
        self.fields["outcome"].choices = [
            (Conflict.Outcome.A_RIGHT, f"A is right: {a.source.name}, “{a.summary}”"),
            (Conflict.Outcome.B_RIGHT, f"B is right: {b.source.name}, “{b.summary}”"),
            (Conflict.Outcome.BOTH_PARTLY, Conflict.Outcome.BOTH_PARTLY.label),
            (Conflict.Outcome.BOTH_WRONG, Conflict.Outcome.BOTH_WRONG.label),
            (Conflict.Outcome.UNRESOLVABLE, Conflict.Outcome.UNRESOLVABLE.label),
        ]
        # Only the true value this conflict's variable takes is shown; the model
        # refuses the other with a message if a hand-made request sends it.
        takes = "true_status" if conflict.detainee_id else "true_quantity"
        if not conflict.detainee_id and not conflict.topic.has_quantity:
            takes = ""
        for name in ("true_quantity", "true_status"):
            if name != takes:
                self.fields[name].widget = forms.HiddenInput()
        if takes == "true_quantity":
            topic = conflict.topic
            self.fields["true_quantity"].help_text = (
                f"Optional: the number of {topic.quantity_label} the evidence shows "
                f"({topic.quantity_range_display()}). It gives every claim on the topic inside "
                "its window a verdict; leave the outcome to it."
            )

    def clean(self) -> dict:
        data = super().clean()
        check_outcome(self, data)
        return data


class BulkDecisionForm(TextPolicyForm, forms.Form):
    """One decision for several open conflicts: resolve them alike, or dismiss them alike."""

    decision = forms.ChoiceField(
        choices=[("resolve", "Resolve them"), ("dismiss", "Dismiss them")],
        widget=forms.RadioSelect,
    )
    outcome = forms.ChoiceField(
        choices=[("", "—"), *Conflict.Outcome.choices],
        required=False,
        help_text="For a resolution. A and B are each conflict's own claims A and B. With a "
        "value found to be true, leave it empty: each conflict gets the outcome the value gives.",
    )
    rationale = forms.CharField(
        label="Rationale or reason",
        max_length=REASON_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3, "cols": 50}),
        help_text="Recorded on each conflict: why this outcome, or why they are not real.",
    )
    evidence_url = evidence_url_field()
    true_quantity, true_status = true_value_fields().values()

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("auto_id", "id_bulk_%s")
        super().__init__(*args, **kwargs)

    def clean(self) -> dict:
        data = super().clean()
        if data.get("decision") != "resolve":
            return data
        check_outcome(self, data)
        return data


# Model fields whose errors a resolve form shows on its own fields.
RESOLVE_FIELDS = {
    "status_reason": "rationale",
    "evidence_url": "evidence_url",
    "outcome": "outcome",
    "true_quantity": "true_quantity",
    "true_status": "true_status",
}


def add_model_errors(form: forms.Form, error: ValidationError, fields: dict[str, str]) -> None:
    """Put a model's ValidationError on the form, mapping model fields to form fields."""
    if hasattr(error, "error_dict"):
        for field, errors in error.error_dict.items():
            for message in errors:
                form.add_error(fields.get(field), message)
    else:
        for message in error.messages:
            form.add_error(None, message)


# The queue of pending claims -------------------------------------------------


def pending_claims():
    """Return the pending claims, oldest submission first.

    In the order of the partial index claim_pending_queue_idx (migration
    0017): the page is read from the index, not sorted from every pending claim.
    """
    return (
        Claim.objects.filter(state=Claim.State.PENDING)
        .for_display()
        .select_related("created_by", "state_changed_by")
        .order_by(F("state_changed_at").asc(nulls_first=True), "created_at", "pk")
    )


def previews_for(claims) -> list[tuple[Claim, list[tuple[Claim, Conflict.Kind]]]]:
    """Pair each pending claim with the conflicts it would raise if approved.

    `detection.preview_approvals` for the whole page at once: one query for
    the live approved claims the page's claims can touch (and one more only
    when one of them is dated before its source's latest word there),
    whatever the size of their variables.
    """
    claims = list(claims)
    return [
        (claim, [(other, Conflict.Kind(kind)) for other, kind in preview.conflicts])
        for claim, preview in zip(claims, detection.preview_approvals(claims), strict=True)
    ]


@login_required
@require_safe
@permission_required("claims.moderate_claim", raise_exception=True)
def queue(request: HttpRequest) -> HttpResponse:
    # Counted up to settings.LIST_COUNT_LIMIT, as the reading lists are (crosscheck.lists).
    page = BoundedPaginator(pending_claims(), PAGE_SIZE).get_page(request.GET.get("page"))
    # Near-duplicates among all stored claims, for the whole page in one query.
    duplicates = Claim.objects.exclude(state=Claim.State.DRAFT).same_statements(page.object_list)
    for claim in page.object_list:
        claim.near_duplicates = duplicates[claim.pk]
    context = {"page": page, "items": previews_for(page.object_list)}
    return render(request, "claims/moderation/queue.html", context)


def _locked_claim(pk: int) -> Claim:
    """Lock the claim's topic, then the claim: the lock order of claims/locks.py."""
    locks.lock_claims([pk])
    return get_object_or_404(
        Claim.objects.select_for_update().exclude(state=Claim.State.DRAFT), pk=pk
    )


def _pending_or_refuse(request: HttpRequest, claim: Claim, action: str) -> bool:
    if claim.state == Claim.State.PENDING:
        return True
    messages.error(
        request,
        f"Claim #{claim.pk} is {claim.get_state_display().lower()}, not pending: "
        f"it was not {action} again, and nothing was changed.",
    )
    return False


@login_keeping_form(page=moderation_page, form="approve_form")
@require_POST
@permission_required("claims.moderate_claim", raise_exception=True)
@submitted_once
def claim_approve(request: HttpRequest, pk: int) -> HttpResponse:
    form = ReasonForm(request.POST, label="Note (optional)", required=False)
    form.is_valid()
    with transaction.atomic():
        claim = _locked_claim(pk)
        if _pending_or_refuse(request, claim, "approved"):
            if refusal := four_eyes_refusal(request.user, claim):
                raise PermissionDenied(refusal)
            claim.approve(by=request.user, reason=form.cleaned_data.get("reason", ""))
            messages.success(request, f"Approved: “{claim.summary}”. It is now public.")
    return back(request, reverse("claims:moderation_queue"))


@login_keeping_form(page=moderation_page, form="reject_form")
@require_POST
@permission_required("claims.moderate_claim", raise_exception=True)
@submitted_once
def claim_reject(request: HttpRequest, pk: int) -> HttpResponse:
    form = ReasonForm(request.POST, label="Why is it rejected?", auto_id="id_reject_%s")
    with transaction.atomic():
        claim = _locked_claim(pk)
        if not _pending_or_refuse(request, claim, "rejected"):
            return back(request, reverse("claims:moderation_queue"))
        if form.is_valid():
            claim.reject(by=request.user, reason=form.cleaned_data["reason"])
            messages.success(request, f"Rejected: “{claim.summary}”. Its editor sees why.")
            return back(request, reverse("claims:moderation_queue"))
    return claim_page(request, claim, reject_form=form)


@login_required
@require_POST
@permission_required("claims.moderate_claim", raise_exception=True)
@submitted_once
def claims_bulk_approve(request: HttpRequest) -> HttpResponse:
    ids, bad = claim_ids(request.POST.getlist("claims"))
    if bad is not None:
        # Only a hand-made request sends one: the queue's checkboxes carry ids.
        shown = bad if len(bad) <= 20 else bad[:20] + "…"
        return HttpResponseBadRequest(
            f"“{shown}” is not a claim id: tick claims in the moderation queue. "
            "Nothing was approved.",
            content_type="text/plain; charset=utf-8",
        )
    if not ids:
        messages.error(request, "Tick at least one claim to approve.")
        return back(request, reverse("claims:moderation_queue"))
    form = ReasonForm(request.POST, label="Note (optional)", required=False)
    form.is_valid()
    reason = form.cleaned_data.get("reason", "")
    # Each approval re-examines its variable; deferred() does it once per
    # variable at the end, inside the same transaction.
    with transaction.atomic(), detection.deferred():
        locks.lock_claims(ids)  # Their topics, in order, before their rows.
        claims = list(
            Claim.objects.select_for_update()
            .filter(pk__in=ids, state=Claim.State.PENDING)
            .order_by("pk")
        )
        refusals = [r for c in claims if (r := four_eyes_refusal(request.user, c))]
        claims = [c for c in claims if not four_eyes_refusal(request.user, c)]
        for claim in claims:
            claim.approve(by=request.user, reason=reason)
    for refusal in refusals:
        messages.error(request, f"{refusal} It was left pending.")
    skipped = len(set(ids)) - len(claims)
    if claims:
        messages.success(request, f"Approved {len(claims)} claim{'s' * (len(claims) != 1)}.")
    if skipped:
        messages.warning(
            request,
            f"{skipped} of the ticked claims {'was' if skipped == 1 else 'were'} no longer "
            "pending and left as they were.",
        )
    return back(request, reverse("claims:moderation_queue"))


def claim_ids(values: list[str]) -> tuple[list[int], str | None]:
    """Return the ids ticked, or ([], the first value that is no id).

    ASCII digits only, at most 18 of them (a 64-bit id): str.isdigit() also
    takes "²", which int() refuses (a 500), and "١", which it reads as 1.
    """
    ids = []
    for value in values:
        if not (value.isascii() and value.isdigit() and len(value) <= 18):
            return [], value
        ids.append(int(value))
    return ids, None


# One claim: approve, reject, retract, restore ---------------------------------


def decision_forms(request: HttpRequest, bound: dict, **makers) -> dict[str, forms.Form]:
    """Each of a page's forms: bound to the POST that failed, to the form kept while the
    session had ended (claims.views.editing.kept_form), or blank."""
    return {
        name: bound.get(name) or make(kept_form(request, form=name))
        for name, make in makers.items()
    }


def claim_page(request: HttpRequest, claim: Claim, **forms_) -> HttpResponse:
    """Render the moderation page of one claim, with any bound forms given."""
    claim = get_object_or_404(
        Claim.objects.for_display()
        .select_related("created_by", "state_changed_by")
        .prefetch_related(*source_notes()),
        pk=claim.pk,
    )
    preview = []
    if claim.state == Claim.State.PENDING:
        [(_, preview)] = previews_for([claim])
    conflicts = conflicts_for_display(
        Conflict.objects.filter(Q(claim_a=claim) | Q(claim_b=claim)).order_by("-opened_at")
    )
    context = {
        "claim": claim,
        "preview": preview,
        "conflicts": conflicts,
        "can_restore": is_admin(request.user),
        **decision_forms(
            request,
            forms_,
            approve_form=lambda data: ReasonForm(
                data, label="Note (optional)", required=False, auto_id="id_approve_%s"
            ),
            reject_form=lambda data: ReasonForm(
                data, label="Why is it rejected?", auto_id="id_reject_%s"
            ),
            retract_form=lambda data: ReasonForm(
                data, label="Why is it retracted?", auto_id="id_retract_%s"
            ),
            restore_form=lambda data: ReasonForm(
                data, label="Note (optional)", required=False, auto_id="id_restore_%s"
            ),
        ),
    }
    status = 400 if forms_ else 200
    return render(request, "claims/moderation/claim.html", context, status=status)


@login_required
@require_safe
@permission_required("claims.moderate_claim", raise_exception=True)
def claim_moderate(request: HttpRequest, pk: int) -> HttpResponse:
    claim = get_object_or_404(Claim.objects.exclude(state=Claim.State.DRAFT), pk=pk)
    return claim_page(request, claim)


@login_keeping_form(page=moderation_page, form="retract_form")
@require_POST
@permission_required("claims.moderate_claim", raise_exception=True)
@submitted_once
def claim_retract(request: HttpRequest, pk: int) -> HttpResponse:
    form = ReasonForm(request.POST, label="Why is it retracted?", auto_id="id_retract_%s")
    with transaction.atomic():
        claim = _locked_claim(pk)
        if claim.state != Claim.State.APPROVED:
            messages.error(
                request,
                f"Claim #{claim.pk} is {claim.get_state_display().lower()}: only an approved "
                "claim can be retracted. Nothing was changed.",
            )
            return redirect("claims:claim_moderate", claim.pk)
        if form.is_valid():
            # The model re-runs detection on the claim's variable: its
            # conflicts lapse in the same transaction.
            claim.retract(by=request.user, reason=form.cleaned_data["reason"])
            messages.success(
                request,
                f"Retracted: “{claim.summary}”. Its permalink shows the retraction and why.",
            )
            return back(request, reverse("claims:claim_moderate", args=[claim.pk]))
    return claim_page(request, claim, retract_form=form)


@login_keeping_form(page=moderation_page, form="restore_form")
@require_POST
@admin_only
@submitted_once
def claim_restore(request: HttpRequest, pk: int) -> HttpResponse:
    form = ReasonForm(request.POST, label="Note (optional)", required=False)
    form.is_valid()
    with transaction.atomic():
        claim = _locked_claim(pk)
        if claim.state != Claim.State.RETRACTED:
            messages.error(
                request,
                f"Claim #{claim.pk} is {claim.get_state_display().lower()}, not retracted: "
                "nothing was changed.",
            )
        else:
            claim.restore(by=request.user, reason=form.cleaned_data.get("reason") or "Restored")
            messages.success(request, f"Restored: “{claim.summary}” is public again.")
    return back(request, reverse("claims:claim_moderate", args=[claim.pk]))


# Conflicts that need a decision ------------------------------------------------


def records_for(conflicts) -> dict[int, Source]:
    """Return the track record of every source in these conflicts, by source id, in one query."""
    ids = {c.claim_a.source_id for c in conflicts} | {c.claim_b.source_id for c in conflicts}
    return Source.objects.with_record().in_bulk(ids)


@login_required
@require_safe
@permission_required("claims.resolve_conflict", raise_exception=True)
def conflicts_to_decide(request: HttpRequest) -> HttpResponse:
    conflicts = conflicts_for_display(Conflict.objects.open().order_by("opened_at", "pk"))
    page = BoundedPaginator(conflicts, PAGE_SIZE).get_page(request.GET.get("page"))
    records = records_for(page.object_list)
    items = [
        {
            "conflict": conflict,
            "record_a": records[conflict.claim_a.source_id],
            "record_b": records[conflict.claim_b.source_id],
            "resolve_form": ResolveForm(conflict=conflict),
        }
        for conflict in page.object_list
    ]
    context = {
        "page": page,
        "items": items,
        "formula": Source.RELIABILITY_FORMULA,
        "bulk_form": BulkDecisionForm(),
    }
    return render(request, "claims/moderation/conflicts.html", context)


@login_required
@require_POST
@permission_required("claims.resolve_conflict", raise_exception=True)
@submitted_once
def conflicts_bulk_decide(request: HttpRequest) -> HttpResponse:
    """Resolve or dismiss the ticked open conflicts alike, each recorded on its own.

    The same rules as one decision: the topics are locked before the
    conflicts (claims/locks.py), and a conflict on a claim the moderator
    wrote or last edited is left open for another moderator (four eyes).
    """
    default = reverse("claims:moderation_conflicts")
    ids, bad = claim_ids(request.POST.getlist("conflicts"))
    if bad is not None:
        shown = bad if len(bad) <= 20 else bad[:20] + "…"
        return HttpResponseBadRequest(
            f"“{shown}” is not a conflict id: tick conflicts on the moderation page. "
            "Nothing was changed.",
            content_type="text/plain; charset=utf-8",
        )
    ids = sorted(set(ids))
    form = BulkDecisionForm(request.POST)
    if not ids:
        messages.error(request, "Tick at least one conflict to decide. Nothing was changed.")
        return back(request, default)
    if not form.is_valid():
        errors = "; ".join(m for messages_ in form.errors.values() for m in messages_)
        messages.error(request, f"Nothing was changed: {errors}")
        return back(request, default)
    data = form.cleaned_data
    decided, refused = [], []
    with transaction.atomic():
        locks.lock_conflicts(ids)
        conflicts = list(
            Conflict.objects.select_for_update()
            .select_related("claim_a", "claim_b")
            .filter(pk__in=ids, status=Conflict.Status.OPEN)
            .order_by("pk")
        )
        for conflict in conflicts:
            if refusal := four_eyes_refusal(request.user, *conflict.claims):
                refused.append(refusal)
                continue
            if data["decision"] == "resolve":
                try:
                    with transaction.atomic():
                        conflict.resolve(
                            by=request.user,
                            outcome=data["outcome"],
                            rationale=data["rationale"],
                            evidence_url=data["evidence_url"],
                            true_quantity=data.get("true_quantity"),
                            true_status=data.get("true_status") or "",
                        )
                except ValidationError as error:
                    # All or nothing: one conflict the decision does not fit undoes them all.
                    transaction.set_rollback(True)
                    messages.error(
                        request,
                        f"Nothing was changed: conflict #{conflict.pk}: "
                        + " ".join(error.messages),
                    )
                    return back(request, default)
            else:
                conflict.dismiss(by=request.user, reason=data["rationale"])
            decided.append(conflict)
    done = "resolved" if data["decision"] == "resolve" else "dismissed"
    if decided:
        numbers = ", ".join(f"#{c.pk}" for c in decided)
        messages.success(request, f"{len(decided)} conflicts {done}: {numbers}.")
    for refusal in refused:
        messages.error(request, f"Left open: {refusal}")
    skipped = len(ids) - len(conflicts)
    if skipped:
        messages.warning(
            request,
            f"{skipped} of the ticked conflicts {'was' if skipped == 1 else 'were'} no longer "
            "open and left as they were.",
        )
    return back(request, default)


def conflict_page(request: HttpRequest, pk: int, **forms_) -> HttpResponse:
    """Render the decision page of one conflict, with any bound forms given."""
    conflict = get_object_or_404(conflicts_for_display(Conflict.objects.all()), pk=pk)
    records = records_for([conflict])
    context = {
        "conflict": conflict,
        "record_a": records[conflict.claim_a.source_id],
        "record_b": records[conflict.claim_b.source_id],
        "formula": Source.RELIABILITY_FORMULA,
        **decision_forms(
            request,
            forms_,
            resolve_form=lambda data: ResolveForm(data, conflict=conflict),
            dismiss_form=lambda data: ReasonForm(
                data, label="Why is this not a real conflict?", auto_id="id_dismiss_%s"
            ),
            reopen_form=lambda data: ReasonForm(
                data, label="Why reopen it?", auto_id="id_reopen_%s"
            ),
        ),
        "human_closed": conflict.status in Conflict.HUMAN_CLOSED,
    }
    status = 400 if forms_ else 200
    return render(request, "claims/moderation/conflict.html", context, status=status)


@login_required
@require_safe
@permission_required("claims.resolve_conflict", raise_exception=True)
def conflict_decide(request: HttpRequest, pk: int) -> HttpResponse:
    return conflict_page(request, pk)


def _locked_conflict(pk: int) -> Conflict:
    """Lock the conflict's topic, then the conflict: the lock order of claims/locks.py."""
    locks.lock_conflicts([pk])
    return get_object_or_404(Conflict.objects.select_for_update(), pk=pk)


def _refuse(request: HttpRequest, conflict: Conflict, action: str) -> HttpResponse:
    messages.error(
        request,
        f"Conflict #{conflict.pk} is {conflict.get_status_display().lower()}: it cannot be "
        f"{action} now, and nothing was changed.",
    )
    return redirect("claims:conflict_decide", conflict.pk)


@login_keeping_form(page=decision_page, form="resolve_form")
@require_POST
@permission_required("claims.resolve_conflict", raise_exception=True)
@submitted_once
def conflict_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    with transaction.atomic():
        conflict = _locked_conflict(pk)
        if not conflict.is_open:
            return _refuse(request, conflict, "resolved")
        if refusal := four_eyes_refusal(request.user, *conflict.claims):
            raise PermissionDenied(refusal)
        form = ResolveForm(request.POST, conflict=conflict)
        if form.is_valid():
            try:
                with transaction.atomic():
                    conflict.resolve(
                        by=request.user,
                        outcome=form.cleaned_data["outcome"],
                        rationale=form.cleaned_data["rationale"],
                        evidence_url=form.cleaned_data["evidence_url"],
                        true_quantity=form.cleaned_data["true_quantity"],
                        true_status=form.cleaned_data["true_status"],
                    )
            except ValidationError as error:
                add_model_errors(form, error, RESOLVE_FIELDS)
            else:
                messages.success(
                    request,
                    f"Conflict #{conflict.pk} resolved: {conflict.get_outcome_display()}. "
                    "The claims’ verdicts and their sources’ records are updated.",
                )
                return back(request, conflict.get_absolute_url())
    return conflict_page(request, pk, resolve_form=form)


@login_keeping_form(page=decision_page, form="dismiss_form")
@require_POST
@permission_required("claims.resolve_conflict", raise_exception=True)
@submitted_once
def conflict_dismiss(request: HttpRequest, pk: int) -> HttpResponse:
    form = ReasonForm(
        request.POST, label="Why is this not a real conflict?", auto_id="id_dismiss_%s"
    )
    with transaction.atomic():
        conflict = _locked_conflict(pk)
        if not conflict.is_open:
            return _refuse(request, conflict, "dismissed")
        if refusal := four_eyes_refusal(request.user, *conflict.claims):
            raise PermissionDenied(refusal)
        if form.is_valid():
            conflict.dismiss(by=request.user, reason=form.cleaned_data["reason"])
            messages.success(request, f"Conflict #{conflict.pk} dismissed as not a real conflict.")
            return back(request, conflict.get_absolute_url())
    return conflict_page(request, pk, dismiss_form=form)


@login_keeping_form(page=decision_page, form="reopen_form")
@require_POST
@permission_required("claims.resolve_conflict", raise_exception=True)
@submitted_once
def conflict_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    form = ReasonForm(request.POST, label="Why reopen it?", auto_id="id_reopen_%s")
    with transaction.atomic():
        conflict = _locked_conflict(pk)
        if conflict.status not in Conflict.HUMAN_CLOSED:
            return _refuse(request, conflict, "reopened")
        refusal = conflict.reopen_refusal()
        if refusal:
            messages.error(request, refusal)
            return redirect("claims:conflict_decide", conflict.pk)
        if form.is_valid():
            # Reopening clears the verdicts this resolution gave.
            conflict.reopen(by=request.user, reason=form.cleaned_data["reason"])
            messages.success(request, f"Conflict #{conflict.pk} reopened: it needs a decision.")
            return back(request, reverse("claims:conflict_decide", args=[conflict.pk]))
    return conflict_page(request, pk, reopen_form=form)


# Credibility notes: hide and restore -------------------------------------------


def notes_page(request: HttpRequest, source: Source, **forms_) -> HttpResponse:
    notes = source.notes.select_related("created_by", "hidden_by").order_by("-written_on", "-pk")
    failed = forms_.get("note_pk")
    items = [
        (
            note,
            forms_["hide_form"]
            if note.pk == failed
            else ReasonForm(
                kept_form(request, form=f"hide_form_{note.pk}"),
                label="Why hide it?",
                auto_id=f"id_note{note.pk}_%s",
            ),
        )
        for note in notes
    ]
    context = {"source": source, "items": items}
    return render(request, "claims/moderation/notes.html", context, status=400 if failed else 200)


@login_required
@require_safe
@permission_required("sources.hide_credibilitynote", raise_exception=True)
def source_notes_moderate(request: HttpRequest, pk: int) -> HttpResponse:
    return notes_page(request, get_object_or_404(Source, pk=pk))


@login_keeping_form(page=notes_page_of, form="hide_form_{pk}")
@require_POST
@permission_required("sources.hide_credibilitynote", raise_exception=True)
@submitted_once
def note_hide(request: HttpRequest, pk: int) -> HttpResponse:
    form = ReasonForm(request.POST, label="Why hide it?", auto_id=f"id_note{pk}_%s")
    with transaction.atomic():
        note = get_object_or_404(CredibilityNote.objects.select_for_update(), pk=pk)
        default = reverse("claims:source_notes", args=[note.source_id])
        if note.hidden:
            messages.error(request, "This note is already hidden: nothing was changed.")
            return back(request, default)
        if form.is_valid():
            note.hide(by=request.user, reason=form.cleaned_data["reason"])
            messages.success(
                request, "Note hidden from readers. It stays in history, with the reason."
            )
            return back(request, default)
    return notes_page(request, note.source, hide_form=form, note_pk=note.pk)


@login_required
@require_POST
@permission_required("sources.hide_credibilitynote", raise_exception=True)
@submitted_once
def note_restore(request: HttpRequest, pk: int) -> HttpResponse:
    with transaction.atomic():
        note = get_object_or_404(CredibilityNote.objects.select_for_update(), pk=pk)
        if not note.hidden:
            messages.error(request, "This note is not hidden: nothing was changed.")
        else:
            note.restore(by=request.user)
            messages.success(request, "Note shown to readers again.")
    return back(request, reverse("claims:source_notes", args=[note.source_id]))
