from django.urls import path

from watching import views

app_name = "watching"

urlpatterns = [
    path(
        "watch/<str:kind>/<int:pk>/",
        views.watch,
        name="watch",
    ),
    path("notifications/", views.notification_list, name="notifications"),
    path("notifications/read/", views.notifications_read, name="read"),
    path("notifications/settings/", views.email_settings, name="settings"),
]
