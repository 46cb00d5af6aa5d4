from django.urls import path

from posts import views

app_name = "posts"

urlpatterns = [
    path("", views.feed, name="feed"),
    path("posts/<uuid:post_id>", views.post_detail, name="detail"),
]
