import logging

from django.db import DatabaseError, transaction

from posts import jobs
from posts.models import Post

logger = logging.getLogger(__name__)


def post_create(*, author, title, render_model, code, description="", capture_time=None):
    """Create a post and queue its two images in the same transaction.

    Queueing runs in a savepoint: if it fails the post is still saved, and the worker's
    sweep for posts without images or jobs queues it later.
    """
    fields = {"author": author, "title": title, "render_model": render_model, "code": code, "description": description}
    if capture_time is not None:
        fields["capture_time"] = capture_time
    with transaction.atomic():
        post = Post.objects.create(**fields)
        try:
            with transaction.atomic():
                jobs.enqueue_for_post(post)
        except DatabaseError:
            logger.exception("could not queue images for post %s; the worker's sweep will queue them", post.pk)
    return post
