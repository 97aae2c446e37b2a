"""
The floor: a bare Django project, one view answering "ok" to every path.

No app, no middleware, no database, no template: what Django itself costs
under gunicorn.conf.py's workers, for bench/pages.py to quote every page as a
ratio of it. The app's own /healthz (the same view behind the whole
middleware stack) is measured beside it.

    gunicorn -c gunicorn.conf.py --pythonpath bench floor_app:application
"""

from django.conf import settings

settings.configure(
    DEBUG=False,
    SECRET_KEY="floor-" + "x" * 60,
    ALLOWED_HOSTS=["*"],
    ROOT_URLCONF=__name__,
    MIDDLEWARE=[],
    INSTALLED_APPS=[],
    DATABASES={},
)

from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.http import HttpResponse  # noqa: E402
from django.urls import re_path  # noqa: E402


def ok(request):
    return HttpResponse("ok\n", content_type="text/plain")


urlpatterns = [re_path(r"", ok)]
application = get_wsgi_application()
