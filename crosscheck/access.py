"""Who may read: public by default, or logged-in users only (READING_REQUIRES_LOGIN)."""

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse

from crosscheck.cache import cacheable


def reader_view(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Mark a read-only page: open to all unless reading requires a login.

    Anonymous readers' copies of it are served from the page cache
    (crosscheck/cache.py), which every write empties.
    """

    @wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        if settings.READING_REQUIRES_LOGIN and not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return cacheable(wrapper)
