from django.utils.functional import SimpleLazyObject

# The header says "99+" past this many: the count reads at most this many rows.
UNREAD_SHOWN = 99


def notifications(request) -> dict:
    """The header's unread count, for a logged-in user: one query, only when the page shows it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}

    def unread() -> str:
        from watching.models import Notification

        count = Notification.objects.filter(user=user).unread()[: UNREAD_SHOWN + 1].count()
        return f"{UNREAD_SHOWN}+" if count > UNREAD_SHOWN else str(count)

    return {"unread_notifications": SimpleLazyObject(unread)}
