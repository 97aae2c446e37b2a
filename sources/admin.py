from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from sources.forms import SourceForm
from sources.models import CredibilityNote, Source


class NoDeleteAdmin(SimpleHistoryAdmin):
    """Nothing is hard-deleted in normal use: claims are retracted, notes hidden."""

    def has_delete_permission(self, request, obj=None) -> bool:
        return False


class CredibilityNoteInline(admin.TabularInline):
    model = CredibilityNote
    extra = 0
    fields = ("written_on", "aspect", "body", "signed_by", "hidden", "hidden_reason")
    readonly_fields = ("written_on", "aspect", "body", "signed_by")
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None) -> bool:
        return False


@admin.register(Source)
class SourceAdmin(NoDeleteAdmin):
    list_display = ("name", "kind", "affiliation", "country")
    list_filter = ("kind", "country")
    search_fields = ("name", "description", "affiliation__name")
    autocomplete_fields = ("affiliation",)
    inlines = [CredibilityNoteInline]
    # The web form: its checks, and no save over a change made since it was opened.
    form = SourceForm


@admin.register(CredibilityNote)
class CredibilityNoteAdmin(NoDeleteAdmin):
    list_display = ("source", "aspect", "written_on", "signed_by", "hidden")
    list_filter = ("aspect", "hidden", "written_on")
    search_fields = ("body", "source__name", "signed_by")
    autocomplete_fields = ("source",)
    list_select_related = ("source",)
    readonly_fields = ("created_by", "created_at", "hidden_by", "hidden_at")

    def get_readonly_fields(self, request, obj=None):
        # Notes are never edited: once written, only hiding can change.
        if obj is not None:
            return (*CredibilityNote.IMMUTABLE_FIELDS_DISPLAY, *self.readonly_fields)
        return self.readonly_fields

    def save_model(self, request, obj, form, change) -> None:
        if not change:
            obj.created_by = request.user
        elif "hidden" in form.changed_data:
            obj.hidden_by = request.user if obj.hidden else None
        super().save_model(request, obj, form, change)
