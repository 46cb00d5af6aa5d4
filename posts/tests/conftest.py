import io
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import boto3
import pytest
from django.contrib.auth import get_user_model
from PIL import Image
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from posts.images.storage import image_fields
from posts.models import Post, PostImage

CIRCLE_SVG = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 100 100"><circle cx="50" cy="50" r="40" fill="#e33"/></svg>'
)


def png_bytes(size=(64, 48), color=(200, 30, 30)):
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "PNG")
    return buffer.getvalue()


def gradient_png(size=(640, 480), scale=1):
    """A smooth picture like most captures (a gradient and a circle), so lossy formats have work to do."""
    width, height = size[0] * scale, size[1] * scale
    image = Image.linear_gradient("L").resize((width, height)).convert("RGB")
    image.paste((220, 40, 90), (width // 4, height // 4, width // 2, height // 2))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


@pytest.fixture
def user(db):
    return get_user_model().objects.create_user("ada", password="correct horse battery staple")


@pytest.fixture
def token(user):
    return Token.objects.create(user=user)


@pytest.fixture
def client_api():
    return APIClient()


@pytest.fixture
def author_api(token):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {token.key}")
    return client


@pytest.fixture
def post(user):
    return Post.objects.create(author=user, title="Red circle", render_model="svg", code=CIRCLE_SVG)


@pytest.fixture
def thumb(post):
    return PostImage.objects.create(post=post, kind="thumb", **image_fields(png_bytes()))


@pytest.fixture
def og(post):
    return PostImage.objects.create(post=post, kind="og", **image_fields(png_bytes((120, 63), (30, 30, 200))))


def selects_image_data(queries):
    """True if any captured SQL on post_image names its data column (quoted or not, qualified or not)."""
    for query in queries:
        tokens = re.findall(r'[\w"`.]+', query["sql"])
        if "post_image" in query["sql"] and any(token.split(".")[-1].strip('"`') == "data" for token in tokens):
            return True
    return False


PUBLIC_IMAGES_POLICY = """{
  "Version": "2012-10-17",
  "Statement": [
    {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::BUCKET/images/*"}
  ]
}"""


@pytest.fixture(scope="session")
def s3_endpoint():
    """A real S3-compatible server (moto's, in its own process) on a loopback port, for the s3 backend."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    endpoint = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            urllib.request.urlopen(endpoint, timeout=1).close()
            break
        except urllib.error.HTTPError:
            break  # it answers
        except OSError:
            if time.monotonic() > deadline or server.poll() is not None:
                server.kill()
                raise RuntimeError("moto_server did not start") from None
            time.sleep(0.2)
    yield endpoint
    server.terminate()
    server.wait(10)


def s3_storage_settings(endpoint, bucket):
    """A new bucket whose images/ anyone may read (the bucket policy docs/storage.md gives), as storage settings."""
    client = boto3.client(
        "s3", endpoint_url=endpoint, region_name="us-east-1", aws_access_key_id="test", aws_secret_access_key="test"
    )
    client.create_bucket(Bucket=bucket)
    client.put_bucket_policy(Bucket=bucket, Policy=PUBLIC_IMAGES_POLICY.replace("BUCKET", bucket))
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            "endpoint_url": endpoint,
            "region_name": "us-east-1",
            "access_key": "test",
            "secret_key": "test",
            "location": "images",
            "querystring_auth": False,
            "file_overwrite": False,
            "object_parameters": {"CacheControl": "public, max-age=31536000, immutable"},
        },
    }


@pytest.fixture
def image_storages(settings, tmp_path, request):
    """Every backend configured (files in a temporary directory, s3 in a fresh bucket on moto's server)."""
    endpoint = request.getfixturevalue("s3_endpoint")
    settings.STORAGES = {
        **settings.STORAGES,
        "images-files": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": tmp_path / "images", "base_url": "/images/"},
        },
        "images-s3": s3_storage_settings(endpoint, f"test-{uuid.uuid4().hex[:12]}"),
    }
    return settings


@pytest.fixture(params=["db", "files", "s3"])
def image_backend(request, image_storages):
    """Each IMAGE_STORAGE in turn, with all backends configured."""
    image_storages.IMAGE_STORAGE = request.param
    return request.param
