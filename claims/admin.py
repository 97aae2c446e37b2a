from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest

from claims.forms import DetaineeForm, DocumentForm, TopicForm
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
from sources.admin import NoDeleteAdmin


@admin.register(Document)
class DocumentAdmin(NoDeleteAdmin):
    list_display = ("title", "kind", "publisher", "published_on")
    list_filter = ("kind", "published_on")
    search_fields = ("title", "publisher", "url")
    date_hierarchy = "published_on"
    # The web form: its checks, and no save over a change made since it was opened.
    form = DocumentForm


@admin.register(Topic)
class TopicAdmin(NoDeleteAdmin):
    list_display = ("title", "question", "quantity_label", "quantity_min", "quantity_max")
    search_fields = ("title", "question")
    readonly_fields = ("slug",)
    form = TopicForm


@admin.register(TopicParty)
class TopicPartyAdmin(NoDeleteAdmin):
    """Parties to a topic: withdrawn with a reason, never deleted (history keeps both)."""

    list_display = ("topic", "source", "reason", "withdrawn")
    list_filter = ("withdrawn",)


@admin.register(Detainee)
class DetaineeAdmin(NoDeleteAdmin):
    list_display = ("name", "arrested_on", "place_of_detention")
    list_filter = ("topics",)
    search_fields = ("name", "aliases", "charges", "place_of_detention")
    filter_horizontal = ("topics",)
    form = DetaineeForm


class ClaimAdminForm(forms.ModelForm):
    """The admin's claim form: refuses to save over a change made since it was opened."""

    expected_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    class Meta:
        model = Claim
        # The admin passes its own list of fields (ClaimAdmin); this names one to be valid.
        fields = ["summary"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["expected_version"].initial = self.instance.version

    def clean(self):
        cleaned = super().clean()
        expected = cleaned.get("expected_version")
        if self.instance.pk is not None:
            stored = Claim.objects.filter(pk=self.instance.pk).values_list("version", flat=True)
            if expected is None or stored.first() != expected:
                raise ValidationError(
                    "Someone changed this claim since you opened it: nothing was saved. "
                    "Reload the page to see their change, then make yours again."
                )
        return cleaned


@admin.register(Claim)
class ClaimAdmin(NoDeleteAdmin):
    list_display = (
        "summary",
        "source",
        "topic",
        "detainee",
        "kind",
        "stance",
        "stated_on",
        "state",
    )
    list_filter = ("state", "kind", "stance", "source__kind", "topic", "language")
    search_fields = ("quote", "summary", "source__name", "detainee__name")
    autocomplete_fields = ("source", "topic", "detainee", "document")
    list_select_related = ("source", "topic", "detainee")
    date_hierarchy = "stated_on"
    form = ClaimAdminForm
    # The state and verdict move only through the workflow (the actions
    # below, the moderation pages): never typed in, so four eyes and detection hold.
    readonly_fields = (
        "state",
        "state_reason",
        "verdict",
        "state_changed_at",
        "state_changed_by",
        "superseded_by",
        "version",
        "created_by",
        "created_at",
        "updated_at",
    )
    actions = ["approve_selected"]

    def save_model(self, request, obj, form, change) -> None:
        if not change:
            obj.created_by = request.user
            super().save_model(request, obj, form, change)
            return
        # The same guarded UPDATE as the web form: a change since the form
        # was opened makes it fail, and nothing is overwritten.
        try:
            obj.save_checked(form.cleaned_data["expected_version"])
        except StaleClaimError:
            self.message_user(
                request,
                "Someone changed this claim a moment ago: nothing was saved. Reload it.",
                messages.ERROR,
            )

    @admin.action(description="Approve the selected claims", permissions=["change"])
    def approve_selected(self, request: HttpRequest, queryset: QuerySet[Claim]) -> None:
        # Through the workflow: only pending claims, and never by their author.
        count = 0
        for claim in queryset.order_by("pk"):
            if claim.state != Claim.State.PENDING:
                self.message_user(
                    request,
                    f"Claim #{claim.pk} is {claim.get_state_display().lower()}, not pending: "
                    "left as it was.",
                    messages.WARNING,
                )
            elif refusal := four_eyes_refusal(request.user, claim):
                self.message_user(request, f"{refusal} It was left pending.", messages.ERROR)
            else:
                claim.approve(by=request.user)
                count += 1
        self.message_user(request, f"Approved {count} claims.", messages.SUCCESS)


@admin.register(Conflict)
class ConflictAdmin(NoDeleteAdmin):
    list_display = ("__str__", "kind", "status", "topic", "detainee", "opened_at")
    list_filter = ("status", "kind", "topic")
    search_fields = ("claim_a__summary", "claim_b__summary", "topic__title", "status_reason")
    autocomplete_fields = ("claim_a", "claim_b", "topic", "detainee")
    list_select_related = ("topic", "detainee")
    readonly_fields = ("claim_a", "claim_b", "topic", "detainee", "kind", "opened_at")

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Conflicts are flagged by detection, never entered by hand.
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        # Resolving, dismissing and reopening go through Conflict's methods (the
        # moderation pages): verdicts, four eyes and the record of who follow.
        return False
