from django.urls import path

from sources import views

app_name = "sources"

urlpatterns = [
    path("", views.source_list, name="list"),
    path("<int:pk>/", views.source_detail, name="detail"),
    # Editing.
    path("new/", views.source_create, name="source_create"),
    path("<int:pk>/edit/", views.source_edit, name="source_edit"),
    path("<int:pk>/notes/new/", views.note_create, name="note_create"),
]
