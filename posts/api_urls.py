from django.urls import path

from posts import api, images
from posts.listing_cache import cached_listing

app_name = "api"

urlpatterns = [
    path("posts", cached_listing(api.PostListCreate.as_view()), name="post-list"),
    path("posts/<str:post_id>", api.PostDetail.as_view(), name="post-detail"),
    path("posts/<str:post_id>/image", images.post_image, name="post-image"),
]
