from django.urls import path

from posts import api, images

app_name = "api"

urlpatterns = [
    path("posts", api.PostListCreate.as_view(), name="post-list"),
    path("posts/<str:post_id>", api.PostDetail.as_view(), name="post-detail"),
    path("posts/<str:post_id>/image", images.post_image, name="post-image"),
]
