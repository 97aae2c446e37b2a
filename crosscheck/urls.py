from django.contrib import admin
from django.urls import include, path
from django.views import defaults

from api.conventions import api_error, is_api
from claims.views import history
from crosscheck import health
from crosscheck import views as accounts

# The database gone away answers 503 with a plain page; anything else, Django's 500.
# Under /api/ every error Django answers itself is JSON (api.conventions).
handler500 = health.handler500


def handler400(request, exception):
    return api_error(400) if is_api(request) else defaults.bad_request(request, exception)


def handler403(request, exception):
    return api_error(403) if is_api(request) else defaults.permission_denied(request, exception)


def handler404(request, exception):
    return api_error(404) if is_api(request) else defaults.page_not_found(request, exception)


urlpatterns = [
    path("", include("claims.urls")),
    path("sources/", include("sources.urls")),
    path("", include("watching.urls")),
    path("api/", include("api.urls")),
    path("admin/", admin.site.urls),
    path("accounts/login/", accounts.login, name="login"),
    path("accounts/logout/", accounts.logout, name="logout"),
    path("history/<str:model>/<int:pk>/", history.object_history, name="history"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
]
