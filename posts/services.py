"""Workflows that touch more than one model: creating, editing, recapturing and deleting posts."""

import logging

from django.conf import settings
from django.db import DatabaseError, transaction
from django.db.models import Sum
from django.utils.translation import gettext as _

from posts import jobs
from posts.images import storage
from posts.models import RENDERED_FIELDS, JobStatus, Post, PostImage

logger = logging.getLogger(__name__)


class PostingLimit(Exception):
    """The user may not queue more captures now; the message says why and what to do.

    `status` is the HTTP answer: 429 for "wait until your posts are captured", 400 for "your
    images take all the space you have".
    """

    def __init__(self, message, *, status):
        super().__init__(message)
        self.status = status


def check_posting_allowed(user):
    """Raise PostingLimit if `user` has too many posts waiting for images, or too many image bytes stored."""
    if user is None or not user.is_authenticated or user.is_staff:
        return
    waiting = (
        Post.objects.filter(author=user, jobs__status__in=[JobStatus.PENDING, JobStatus.RUNNING])
        .values("pk")
        .distinct()
        .count()
    )
    if waiting >= settings.CAPTURE_MAX_PENDING_PER_USER:
        raise PostingLimit(
            _(
                "%(count)s of your posts are still waiting for their images (the limit is %(limit)s); "
                "try again once they are captured."
            )
            % {"count": waiting, "limit": settings.CAPTURE_MAX_PENDING_PER_USER},
            status=429,
        )
    stored = PostImage.objects.filter(post__author=user).aggregate(total=Sum("bytes"))["total"] or 0
    if stored >= settings.IMAGE_QUOTA_BYTES_PER_USER:
        raise PostingLimit(
            _(
                "Your posts' images take %(stored)s MB, the most one person may store (%(limit)s MB); "
                "delete posts you no longer need to publish more."
            )
            % {"stored": stored // 2**20, "limit": settings.IMAGE_QUOTA_BYTES_PER_USER // 2**20},
            status=400,
        )


def post_create(*, author, **fields):
    """Create a post and queue its two images in the same transaction.

    Queueing runs in a savepoint: if it fails the post is still saved, and the worker's
    sweep for posts without images or jobs queues it later. (The pages and the API ask
    check_posting_allowed() first; the demo, benchmarks and tests publish unlimited.)
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
            if post.moves is not None:  # whether it moves is known again once its animation is captured
                post.moves = None
                post.save(update_fields=["moves"])
            jobs.enqueue_for_post(post)
    return post


def post_recapture(post, *, priority=None):
    """Capture a post's images again; asking again before it happens leaves one job per image.

    Queued in the author's fair place unless `priority` says otherwise (the admin's actions do).
    """
    return jobs.enqueue_for_post(post, priority=priority)


def post_delete(post):
    """Delete a post with its images and jobs; its image objects are retired, for images_sweep to delete."""
    with transaction.atomic():
        storage.retire_post(post)
        post.delete()
