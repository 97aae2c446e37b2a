from django.contrib import admin
from django.urls import include, path

urlpatterns = [
    path("", include("claims.urls")),
    path("sources/", include("sources.urls")),
    path("admin/", admin.site.urls),
]
