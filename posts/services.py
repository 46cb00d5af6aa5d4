"""Workflows that touch more than one model: creating, editing, recapturing and deleting posts."""

import logging

from django.db import DatabaseError, transaction

from posts import jobs
from posts.models import RENDERED_FIELDS, JobPriority, Post

logger = logging.getLogger(__name__)


def post_create(*, author, **fields):
    """Create a post and queue its two images in the same transaction.

    Queueing runs in a savepoint: if it fails the post is still saved, and the worker's
    sweep for posts without images or jobs queues it later.
    """
    with transaction.atomic():
        post = Post.objects.create(author=author, **fields)
        try:
            with transaction.atomic():
                jobs.enqueue_for_post(post)
        except DatabaseError:
            logger.exception("could not queue images for post %s; the worker's sweep will queue them", post.pk)
    return post


def post_update(post, **changes):
    """Save the changed fields; a change to what is rendered queues both images again, atomically.

    The old images keep being served (under their own versioned URLs) until the new ones land.
    """
    changed = [name for name, value in changes.items() if getattr(post, name) != value]
    with transaction.atomic():
        for name in changed:
            setattr(post, name, changes[name])
        if changed:
            post.save(update_fields=[*changed, "updated_at"])
        if set(changed) & set(RENDERED_FIELDS):
            jobs.enqueue_for_post(post)
    return post


def post_recapture(post, *, priority=JobPriority.NEW):
    """Capture a post's images again; asking again before it happens leaves one job per image."""
    return jobs.enqueue_for_post(post, priority=priority)


def post_delete(post):
    """Delete a post with its images and jobs."""
    post.delete()
