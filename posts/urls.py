from django.urls import path

from posts import harness, views

app_name = "posts"

urlpatterns = [
    path("", views.feed, name="feed"),
    path("posts/new", views.PostCreateView.as_view(), name="new"),
    path("posts/preview", views.preview, name="preview"),
    path("posts/<uuid:post_id>", views.PostDetailView.as_view(), name="detail"),
    path("posts/<uuid:post_id>/render", harness.render, name="render"),
    path("posts/<uuid:post_id>/opengraph-image", views.opengraph_image, name="og-image"),
]
