from django.urls import path

from claims.views import claims, conflicts, detainees, topics

app_name = "claims"

urlpatterns = [
    path("", topics.home, name="home"),
    path("topics/<slug:slug>/", topics.topic_detail, name="topic"),
    path("claims/<int:pk>/", claims.claim_detail, name="detail"),
    path("conflicts/<int:pk>/", conflicts.conflict_detail, name="conflict"),
    path("detainees/<int:pk>/", detainees.detainee_detail, name="detainee"),
]
