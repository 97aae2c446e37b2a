"""No silent overwrite for the records without a version column: sources,
documents, topics and detainees.

A claim carries a `version` that its web form and its admin form send back
(`Claim.save_checked`). The four other edited records are kept in history
(django-simple-history) on every save, so their latest history row is their
version: the form carries its id (`seen_version`, hidden) from when it was
opened; a save whose record has a newer history row since is refused with
the fields that changed, and the form comes back with what was typed and the
new version, so that saving again is a deliberate choice made after seeing
the change. The check reads the row locked (`select_for_update`) inside the
transaction that saves it: two saves of the same version cannot both pass.
The admin validates and saves in one transaction; `claims.views.editing.
form_page` and the API's form views do the same.

Without a version sent (an API client that does not send `seen_version`),
the web and admin forms refuse (a page always sends one); the API accepts,
as a client that never read the record has nothing to be stale against.
"""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.db import transaction


def latest_version(instance) -> int | None:
    """Return the id of the record's newest history row (None for a record never saved)."""
    if instance.pk is None:
        return None
    return (
        instance.history.model.objects.filter(id=instance.pk)
        .order_by("-history_id")
        .values_list("history_id", flat=True)
        .first()
    )


def changed_fields(instance, seen: int, names) -> list[str]:
    """Return "field: “then” → “now”" for each of `names` changed since history row `seen`."""
    then = instance.history.model.objects.filter(history_id=seen, id=instance.pk).first()
    if then is None:
        return []
    current = type(instance)._default_manager.filter(pk=instance.pk).first()
    rows = []
    for name in names:
        try:
            field = type(instance)._meta.get_field(name)
        except Exception:
            continue
        if field.many_to_many or not hasattr(then, field.attname):
            continue
        old, new = getattr(then, field.attname), getattr(current, field.attname)
        if old != new:
            label = str(field.verbose_name).capitalize()
            rows.append(f"{label}: “{old if old not in (None, '') else '—'}” → “{new or '—'}”")
    return rows


class SeenVersionForm(forms.Form):
    """A model form mixin: refuses to save over a change made since the form was opened."""

    seen_version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    # A page always sends the version it showed; an API client may leave it out.
    require_seen_version = True

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["seen_version"].initial = latest_version(self.instance)

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk is None:
            return cleaned
        seen = cleaned.get("seen_version")
        if seen is None and not self.require_seen_version:
            return cleaned
        # Locked until the transaction that saves commits (or rolls back).
        type(self.instance)._default_manager.select_for_update().filter(
            pk=self.instance.pk
        ).exists()
        current = latest_version(self.instance)
        if seen is None or seen != current:
            what = self.instance._meta.verbose_name
            changes = changed_fields(self.instance, seen, self.fields) if seen else []
            # The form shows what was typed, now with the current version: saving
            # again overwrites, knowingly.
            self.data = self.data.copy()
            self.data[self.add_prefix("seen_version")] = current
            raise ValidationError(
                f"Someone changed this {what} since you opened it: nothing was saved. "
                + (f"Changed: {'; '.join(changes)}. " if changes else "")
                + "What you typed is kept below: check their change, then save again "
                "to replace it with yours.",
                code="stale",
            )
        return cleaned


def save_checked(form) -> object:
    """Validate and save `form` in one transaction, so the version check holds to the write.

    Returns the saved object, or None when the form is invalid (stale included).
    """
    with transaction.atomic():
        if not form.is_valid():
            return None
        return form.save()
