from django.urls import path, re_path
from rest_framework.routers import SimpleRouter

from api import conventions, docs, views, watching
from crosscheck.cache import cacheable

app_name = "api"

router = SimpleRouter()
router.register("sources", views.SourceViewSet, basename="source")
router.register("notes", views.NoteViewSet, basename="note")
router.register("documents", views.DocumentViewSet, basename="document")
router.register("topics", views.TopicViewSet, basename="topic")
router.register("detainees", views.DetaineeViewSet, basename="detainee")
router.register("claims", views.ClaimViewSet, basename="claim")
router.register("conflicts", views.ConflictViewSet, basename="conflict")
# One's own watches and notifications (api/watching.py): logged in only.
router.register("watches", watching.WatchViewSet, basename="watch")
router.register("notifications", watching.NotificationViewSet, basename="notification")

# Anonymous reads of the lists and records come from the page cache
# (crosscheck/cache.py), keyed on Accept too: DRF answers 406 to an Accept it
# cannot render and honours `application/json; indent=4`. Only GET and HEAD
# are ever served from it; a request with a token never is.
for route in router.urls:
    if route.name.endswith(("-list", "-detail")):
        cacheable(route.callback, key_headers=("Accept",))

urlpatterns = [
    path("schema/", docs.SchemaView.as_view(), name="schema"),
    path("docs/", docs.SwaggerView.as_view(url_name="api:schema"), name="docs"),
    *router.urls,
    # Last: any other /api/ path is a JSON 404, not Django's HTML page.
    re_path(r"^(?P<rest>.*)$", conventions.not_found, name="not-found"),
]
