from django.urls import path

from claims import views

app_name = "claims"

urlpatterns = [
    path("", views.home, name="home"),
    path("topics/<slug:slug>/", views.topic_detail, name="topic"),
    path("claims/<int:pk>/", views.claim_detail, name="detail"),
    path("conflicts/<int:pk>/", views.conflict_detail, name="conflict"),
    path("detainees/<int:pk>/", views.detainee_detail, name="detainee"),
]
