import io
import re

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
