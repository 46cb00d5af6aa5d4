from django.urls import path

from posts.api import views
from posts.api.cache import cached_listing
from posts.images.views import post_image

app_name = "api"

urlpatterns = [
    path("posts", cached_listing(views.PostListCreate.as_view()), name="post-list"),
    path("posts/<str:post_id>", views.PostDetail.as_view(), name="post-detail"),
    path("posts/<str:post_id>/recapture", views.PostRecapture.as_view(), name="post-recapture"),
    path("internal/recapture", views.InternalRecapture.as_view(), name="internal-recapture"),
    # Answered earlier by posts.images.views.serve_images_early; routed here for reverse() and the schema.
    path("posts/<str:post_id>/image", post_image, name="post-image"),
]
