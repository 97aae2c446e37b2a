from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

from claims.models import Claim, Conflict, Detainee, Document, Topic, four_eyes_refusal
from sources.admin import NoDeleteAdmin


@admin.register(Document)
class DocumentAdmin(NoDeleteAdmin):
    list_display = ("title", "kind", "publisher", "published_on")
    list_filter = ("kind", "published_on")
    search_fields = ("title", "publisher", "url")
    date_hierarchy = "published_on"


@admin.register(Topic)
class TopicAdmin(NoDeleteAdmin):
    list_display = ("title", "question", "quantity_label", "quantity_min", "quantity_max")
    search_fields = ("title", "question")
    readonly_fields = ("slug",)


@admin.register(Detainee)
class DetaineeAdmin(NoDeleteAdmin):
    list_display = ("name", "arrested_on", "place_of_detention")
    list_filter = ("topics",)
    search_fields = ("name", "aliases", "charges", "place_of_detention")
    filter_horizontal = ("topics",)


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
    readonly_fields = (
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
        else:
            # Stale editor forms must not overwrite an admin's edit.
            obj.version += 1
        super().save_model(request, obj, form, change)

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

    def save_model(self, request, obj, form, change) -> None:
        if "status" in form.changed_data:
            obj.status_changed_by, obj.status_changed_at = request.user, timezone.now()
        super().save_model(request, obj, form, change)
