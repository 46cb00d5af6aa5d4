from django.shortcuts import get_object_or_404, render

from posts.models import Post


def feed(request):
    posts = Post.objects.for_listing()[:24]
    return render(request, "posts/feed.html", {"posts": posts})


def post_detail(request, post_id):
    post = get_object_or_404(Post.objects.select_related("author"), pk=post_id)
    return render(request, "posts/detail.html", {"post": post})
