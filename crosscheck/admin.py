"""Users in the admin: deactivated, never deleted, so every history keeps its "who"."""

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from django.db.models import ProtectedError, QuerySet
from django.db.models.signals import pre_delete
from django.dispatch import receiver
from django.http import HttpRequest

User = get_user_model()

admin.site.unregister(User)


@admin.register(User)
class CrosscheckUserAdmin(UserAdmin):
    """Offer "deactivate" instead of "delete": a deactivated user cannot log in, and stays named."""

    actions = ["deactivate_selected"]

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    @admin.action(description="Deactivate the selected users", permissions=["change"])
    def deactivate_selected(self, request: HttpRequest, queryset: QuerySet) -> None:
        mine = queryset.filter(pk=request.user.pk).exists()
        count = queryset.exclude(pk=request.user.pk).filter(is_active=True).update(is_active=False)
        self.message_user(
            request, f"Deactivated {count} user{'s' * (count != 1)}.", messages.SUCCESS
        )
        if mine:
            self.message_user(request, "You cannot deactivate yourself.", messages.WARNING)


def has_history(user) -> bool:
    """Return whether any kept history names the user as the one who made a change."""
    from django.apps import apps

    historical = [
        m for m in apps.get_models() if any(f.name == "history_user" for f in m._meta.fields)
    ]
    return any(m._default_manager.filter(history_user=user).exists() for m in historical)


@receiver(pre_delete, sender=User, dispatch_uid="refuse-deleting-users-with-history")
def refuse_deleting_users_with_history(sender, instance, **kwargs) -> None:
    """Refuse deleting a user who changed anything: deactivate them instead."""
    if has_history(instance):
        raise ProtectedError(
            f"{instance.get_username()} made changes kept in history: deactivate the user "
            "(the admin's user list offers it) instead of deleting them.",
            set(),
        )
