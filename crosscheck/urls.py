from django.contrib import admin
from django.urls import include, path

from claims.views import history
from crosscheck import health
from crosscheck import views as accounts

# The database gone away answers 503 with a plain page; anything else, Django's 500.
handler500 = health.handler500

urlpatterns = [
    path("", include("claims.urls")),
    path("sources/", include("sources.urls")),
    path("api/", include("api.urls")),
    path("admin/", admin.site.urls),
    path("accounts/login/", accounts.login, name="login"),
    path("accounts/logout/", accounts.logout, name="logout"),
    path("history/<str:model>/<int:pk>/", history.object_history, name="history"),
    path("healthz", health.healthz, name="healthz"),
    path("readyz", health.readyz, name="readyz"),
]
