from django.urls import path

from posts import views
from posts.images.views import opengraph_image
from posts.render import views as render

app_name = "posts"

urlpatterns = [
    path("", views.feed, name="feed"),
    path("posts/new", views.PostCreateView.as_view(), name="new"),
    path("posts/preview", render.preview, name="preview"),
    path("posts/<uuid:post_id>", views.PostDetailView.as_view(), name="detail"),
    path("posts/<uuid:post_id>/edit", views.PostUpdateView.as_view(), name="edit"),
    path("posts/<uuid:post_id>/render", render.render, name="render"),
    path("posts/<uuid:post_id>/opengraph-image", opengraph_image, name="og-image"),
]
