from django.urls import path, re_path

from claims import feeds
from sources import exports, views

app_name = "sources"

urlpatterns = [
    path("", views.source_list, name="list"),
    path("<int:pk>/", views.source_detail, name="detail"),
    path("<int:pk>/conflicts.atom", feeds.source_conflicts, name="conflicts_feed"),
    re_path(r"^export\.(?P<fmt>csv|json)$", exports.source_export, name="export"),
    # Editing.
    path("new/", views.source_create, name="source_create"),
    path("<int:pk>/edit/", views.source_edit, name="source_edit"),
    path("<int:pk>/notes/new/", views.note_create, name="note_create"),
]
