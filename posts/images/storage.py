"""Where captured images live (docs/storage.md): writing them, reading them back, moving and retiring them.

A database image keeps its bytes in its row; a files or s3 image is an object named
<sha256>.<extension> in that backend's Django storage ("images-files", "images-s3"). Objects are
written once and never overwritten; one that no row names any more is retired, and
`manage.py images_sweep` deletes it after IMAGE_RETIRED_GRACE_HOURS.
"""

import hashlib
import io
import logging
from datetime import timedelta

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import storages
from django.db import transaction
from django.utils import timezone
from PIL import Image

from posts.api.cache import bump_version
from posts.images import variants
from posts.models import EXTENSIONS, ImageStorage, PostImage, PostImageVariant, RetiredImageObject, object_name

logger = logging.getLogger(__name__)


class ObjectCorrupt(Exception):
    """An object's bytes do not hash to the sha256 its row records."""


def image_fields(data):
    """The stored columns of a PNG (or any Pillow-readable image): size, hash, flatness."""
    with Image.open(io.BytesIO(data)) as image:
        width, height = image.size
        mime = Image.MIME.get(image.format, "application/octet-stream")
        extrema = image.convert("RGBA").getextrema()
    is_flat = all(low == high for low, high in extrema)
    return {
        "mime": mime,
        "width": width,
        "height": height,
        "bytes": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "data": data,
        "is_flat": is_flat,
    }


def object_storage(backend):
    return storages[f"images-{backend}"]


def put_object(backend, name, data):
    """Write an object unless it exists (its name is its content); a retirement of that name is cancelled."""
    # Deleting the retirement first waits for a sweep that holds it, so the sweep never deletes an
    # object this capture is about to name.
    RetiredImageObject.objects.filter(storage=backend, name=name).delete()
    storage = object_storage(backend)
    if storage.exists(name):
        if storage.size(name) == len(data):
            return
        # A files-backend write cut short by a killed process (an S3 PUT is all or nothing).
        logger.warning(
            "replacing the torn object %s:%s (%d bytes, not %d)", backend, name, storage.size(name), len(data)
        )
        storage.delete(name)
    content = ContentFile(data)
    content.content_type = next(mime for mime, ext in EXTENSIONS.items() if name.endswith(f".{ext}"))
    saved = storage.save(name, content)
    if saved != name:  # another process wrote the same object meanwhile: keep theirs
        storage.delete(saved)


def stored(fields, backend):
    """The row's columns for bytes kept in `backend`, writing the object first when it is not the database."""
    if backend != ImageStorage.DB:
        put_object(backend, object_name(fields["sha256"], fields["mime"]), fields["data"])
        fields = {**fields, "data": None}
    return {**fields, "storage": backend}


def read_bytes(row):
    """The bytes of an image or variant row, wherever they are, checked against its sha256."""
    if row.storage == ImageStorage.DB:
        data = bytes(type(row).objects.values_list("data", flat=True).get(pk=row.pk))
    else:
        with object_storage(row.storage).open(row.object_name, "rb") as file:
            data = file.read()
    if hashlib.sha256(data).hexdigest() != row.sha256:
        raise ObjectCorrupt(f"{row.storage}:{row.object_name} does not match its sha256 ({row})")
    return data


def objects_of(rows):
    """The (storage, name) of each row's object, for rows kept outside the database."""
    return {(row.storage, row.object_name) for row in rows if row.storage != ImageStorage.DB}


def retire(objects):
    """Mark objects no row names any more, for images_sweep to delete after the grace period."""
    for backend, name in objects:
        RetiredImageObject.objects.get_or_create(storage=backend, name=name)


def prepare_image(*, kind, data, data_2x=None):
    """Describe a capture and encode its variants: the slow part of saving it, which needs no database.

    `data_2x` is the same capture at device scale factor 2, when the worker took one.
    """
    return image_fields(data), variants.derive(data, kind=kind, data_2x=data_2x)


def save_variants(image, derived):
    """Add the variants of a stored image, encoded after it landed; False (nothing kept) if it was replaced since."""
    rows = [
        PostImageVariant(post_id=image.post_id, kind=image.kind, version=image.sha256, **stored(variant, image.storage))
        for variant in derived
    ]
    with transaction.atomic():
        current = PostImage.objects.select_for_update().filter(pk=image.pk, sha256=image.sha256).exists()
        old = list(PostImageVariant.objects.without_data().filter(post_id=image.post_id, kind=image.kind))
        if current:
            PostImageVariant.objects.filter(post_id=image.post_id, kind=image.kind).delete()
            PostImageVariant.objects.bulk_create(rows)
            bump_version(PostImage)  # cached listings name the thumbnail without its <picture> sources
        retire(objects_of(old) - objects_of(rows) if current else objects_of(rows))
    return current


def save_image(*, post, kind, data=None, data_2x=None, prepared=None, **provenance):
    """Store a capture and its variants where IMAGE_STORAGE says, replacing (and retiring) the previous one.

    `provenance`: what made it (PostImage's chromium_version, webgl_renderer, harness_version,
    capture_size, capture_time, capture_ms); what is not given is stored blank.
    """
    backend = settings.IMAGE_STORAGE
    fields, derived = prepared or prepare_image(kind=kind, data=data, data_2x=data_2x)
    blank = {"chromium_version": "", "webgl_renderer": "", "harness_version": "", "capture_size": ""}
    image_columns = {**blank, "capture_time": None, "capture_ms": None, **provenance, **stored(fields, backend)}
    variant_rows = [
        PostImageVariant(post=post, kind=kind, version=fields["sha256"], **stored(variant, backend))
        for variant in derived
    ]
    with transaction.atomic():
        old = list(PostImage.objects.without_data().filter(post=post, kind=kind))
        old += PostImageVariant.objects.without_data().filter(post=post, kind=kind)
        image, _ = PostImage.objects.update_or_create(post=post, kind=kind, defaults=image_columns)
        PostImageVariant.objects.filter(post=post, kind=kind).delete()
        PostImageVariant.objects.bulk_create(variant_rows)
        retire(objects_of(old) - objects_of([image, *variant_rows]))
    return image


def retire_post(post):
    """Retire the objects of a post about to be deleted."""
    retire(objects_of([*post.images.without_data(), *post.variants.without_data()]))


def is_named(backend, name):
    sha256 = name.partition(".")[0]
    return any(model.objects.filter(storage=backend, sha256=sha256).exists() for model in (PostImage, PostImageVariant))


def sweep_retired(*, now=None):
    """Delete the retired objects whose grace period has passed and that no row names again; return the count."""
    cutoff = (now or timezone.now()) - timedelta(hours=settings.IMAGE_RETIRED_GRACE_HOURS)
    deleted = 0
    for pk in RetiredImageObject.objects.filter(retired_at__lte=cutoff).values_list("pk", flat=True):
        with transaction.atomic():
            retired = RetiredImageObject.objects.select_for_update().filter(pk=pk).first()
            if retired is None:
                continue  # a capture named it again meanwhile
            if not is_named(retired.storage, retired.name):
                object_storage(retired.storage).delete(retired.name)
                deleted += 1
            retired.delete()
    return deleted


def move(row, to):
    """Copy one image or variant row's bytes to backend `to`, verified, and point the row there.

    Returns False if the row changed meanwhile (a recapture): the new row is wherever
    IMAGE_STORAGE put it, and a later run moves it.
    """
    data = read_bytes(row)
    if to != ImageStorage.DB:
        put_object(to, row.object_name, data)
        with object_storage(to).open(row.object_name, "rb") as file:
            if hashlib.sha256(file.read()).hexdigest() != row.sha256:
                raise ObjectCorrupt(f"{to}:{row.object_name} does not match its sha256 after writing it")
    with transaction.atomic():
        changed = (
            type(row)
            .objects.filter(pk=row.pk, storage=row.storage, sha256=row.sha256)
            .update(storage=to, data=data if to == ImageStorage.DB else None)
        )
        if changed:
            retire(objects_of([row]))
            if isinstance(row, PostImage):
                bump_version(PostImage)  # cached listings name the thumbnail's old URL
    return bool(changed)
