"""The app's URLs plus one view that fails, to reach the 500 page through handler500."""

from django.urls import path

from crosscheck import health
from crosscheck.urls import urlpatterns as app_urlpatterns


def fail(request):
    raise RuntimeError("A bug, for the 500 page's test.")


urlpatterns = [path("fail/", fail), *app_urlpatterns]
handler500 = health.handler500
