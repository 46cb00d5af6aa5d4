from django.urls import path

from posts import harness, views

app_name = "posts"

urlpatterns = [
    path("", views.feed, name="feed"),
    path("posts/<uuid:post_id>", views.post_detail, name="detail"),
    path("posts/<uuid:post_id>/render", harness.render, name="render"),
]
