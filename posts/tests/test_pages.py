import io
import re
from datetime import timedelta
from html.parser import HTMLParser

import pytest
from django.utils import timezone
from PIL import Image

from posts import jobs, services
from posts.api.pagination import NewestFirstPagination
from posts.images.storage import image_fields, save_image
from posts.models import Post, PostImage
from posts.tests.conftest import CIRCLE_SVG, png_bytes

HOSTILE_TITLE = 'Quote " apostrophe \' <b>bold</b> "><script>alert(1)</script>'
SHADER = "void mainImage(out vec4 c, in vec2 p) { c = vec4(1.0, 0.0, 0.0, 1.0); }"


class Elements(HTMLParser):
    """Every start tag of a page with its attributes, and the text of <title>."""

    def __init__(self, html):
        super().__init__()
        self.elements, self.title, self._in_title = [], "", False
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs)))
        self._in_title = tag == "title"

    def handle_endtag(self, tag):
        self._in_title = False

    def handle_data(self, data):
        if self._in_title:
            self.title += data

    def all(self, tag, **attrs):
        return [a for t, a in self.elements if t == tag and all(a.get(k) == v for k, v in attrs.items())]

    def meta(self):
        return {a.get("property") or a.get("name"): a.get("content") for a in self.all("meta") if "content" in a}


def page(client, url, **headers):
    response = client.get(url, **headers)
    assert response.status_code == 200, response.status_code
    return Elements(response.content.decode())


def make_posts(user, count, *, render_model="shader", start=None):
    start = start or timezone.now() - timedelta(days=1)
    return [
        Post.objects.create(
            author=user,
            title=f"post {number}",
            render_model=render_model,
            code=SHADER,
            created_at=start + timedelta(minutes=number),
        )
        for number in range(count)
    ]


def feed_titles(client, url):
    return [a["href"] for a in page(client, url).all("a") if a.get("class") == "card-link"]


# Feed


def test_feed_lists_newest_first_in_two_queries(client, user, django_assert_num_queries):
    posts = make_posts(user, 3)
    for post in posts:
        save_image(post=post, kind="thumb", data=png_bytes())
    with django_assert_num_queries(2):  # the posts with their thumbnails, and the thumbnails' variants
        response = client.get("/")
    links = [a["href"] for a in Elements(response.content.decode()).all("a", **{"class": "card-link"})]
    assert links == [p.get_absolute_url() for p in reversed(posts)]


def test_feed_filters_by_render_model(client, user):
    make_posts(user, 2, render_model="shader")
    svg = Post.objects.create(author=user, title="circle", render_model="svg", code=CIRCLE_SVG)
    elements = page(client, "/?render_model=svg")
    assert [a["href"] for a in elements.all("a", **{"class": "card-link"})] == [svg.get_absolute_url()]
    current = elements.all("a", **{"aria-current": "page"})
    assert [a["href"] for a in current] == ["/?render_model=svg"]


def test_feed_answers_404_for_an_unknown_render_model_or_cursor(client, db):
    assert client.get("/?render_model=flash").status_code == 404
    assert client.get("/?cursor=not-a-cursor").status_code == 404


def test_feed_pages_back_and_forth_with_cursors_keeping_the_filter(client, user, monkeypatch):
    monkeypatch.setattr(NewestFirstPagination, "page_size", 2)
    posts = make_posts(user, 5)
    make_posts(user, 3, render_model="canvas")  # filtered out
    urls = [p.get_absolute_url() for p in reversed(posts)]

    first = page(client, "/?render_model=shader")
    assert [a["href"] for a in first.all("a", **{"class": "card-link"})] == urls[:2]
    assert not first.all("a", rel="prev")
    (older,) = first.all("a", rel="next")
    assert "render_model=shader" in older["href"]

    second = page(client, "/" + older["href"])
    assert [a["href"] for a in second.all("a", **{"class": "card-link"})] == urls[2:4]
    third = page(client, "/" + second.all("a", rel="next")[0]["href"])
    assert [a["href"] for a in third.all("a", **{"class": "card-link"})] == urls[4:]
    assert not third.all("a", rel="next")

    back = page(client, "/" + second.all("a", rel="prev")[0]["href"])
    assert [a["href"] for a in back.all("a", **{"class": "card-link"})] == urls[:2]


def test_feed_cursor_is_stable_when_new_posts_arrive(client, user, monkeypatch):
    monkeypatch.setattr(NewestFirstPagination, "page_size", 2)
    posts = make_posts(user, 4)
    (older,) = page(client, "/").all("a", rel="next")
    make_posts(user, 3, start=timezone.now())  # published while the reader is on page one
    second = page(client, "/" + older["href"])
    assert [a["href"] for a in second.all("a", **{"class": "card-link"})] == [
        p.get_absolute_url() for p in reversed(posts[:2])
    ]


def test_card_with_a_thumbnail_shows_a_lazy_image_and_no_frame(client, post, thumb):
    elements = page(client, "/")
    (img,) = elements.all("img")
    assert img["loading"] == "lazy"
    assert (img["width"], img["height"]) == (str(thumb.width), str(thumb.height))
    assert img["src"] == thumb.url and "&v=" in img["src"]
    assert post.title in img["alt"]
    assert not elements.all("iframe")


def test_card_without_a_thumbnail_names_its_render_url_for_the_live_fallback(client, post):
    elements = page(client, "/")
    assert not elements.all("img") and not elements.all("iframe")
    (card,) = elements.all("li", **{"class": "card"})
    assert card["data-render-src"] == f"/posts/{post.pk}/render"


def test_render_origin_is_used_for_the_live_frames(client, post, settings):
    settings.RENDER_ORIGIN = "https://render.example.net"
    (card,) = page(client, "/").all("li", **{"class": "card"})
    assert card["data-render-src"] == f"https://render.example.net/posts/{post.pk}/render"
    (frame,) = page(client, post.get_absolute_url()).all("iframe")
    assert frame["data-src"] == f"https://render.example.net/posts/{post.pk}/render"


def test_feed_escapes_hostile_titles(client, user):
    Post.objects.create(author=user, title=HOSTILE_TITLE, render_model="svg", code=CIRCLE_SVG)
    html = client.get("/").content.decode()
    assert "<script>alert(1)" not in html
    assert "<b>bold</b>" not in html


def test_feed_speaks_korean_when_the_browser_asks(client, post):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="ko-KR,ko;q=0.9,en;q=0.5")
    html = response.content.decode()
    assert '<html lang="ko">' in html
    assert "최신 게시물" in html, "the Korean catalog is not compiled: run `make messages`"
    assert "전체" in html and "로그인" in html
    assert "Newest posts" not in html


def test_feed_stays_english_by_default(client, post):
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9").content.decode()
    assert "Newest posts" in html and "최신 게시물" not in html


# Post page


def test_post_page_shows_render_code_and_capture_status(client, user):
    post = services.post_create(
        author=user, title="Red", render_model="canvas", code="ctx.fillText('</code></pre><script>x</script>', 0, 0)"
    )
    (job,) = [j for j in jobs.claim_due_jobs(worker_id="w1", limit=2) if j.kind == "thumb"]
    jobs.mark_failed(job, worker_id="w1", error="boom <i>here</i>", transient=False)
    client.force_login(user)  # the capture jobs are shown to the author (and staff) only
    response = client.get(post.get_absolute_url())
    html = response.content.decode()
    elements = Elements(html)

    (frame,) = elements.all("iframe")
    assert frame["sandbox"] == "allow-scripts"
    assert frame["data-src"] == f"/posts/{post.pk}/render"
    assert "ctx.fillText(&#x27;&lt;/code&gt;&lt;/pre&gt;&lt;script&gt;x&lt;/script&gt;&#x27;, 0, 0)" in html
    assert "boom &lt;i&gt;here&lt;/i&gt;" in html
    assert 'class="status status-failed">failed<' in html
    assert 'class="status status-running">running<' in html  # the og job, claimed with it
    assert "not yet" in html
    assert elements.all("button", id="copy-code")


def test_post_page_reads_the_post_in_three_queries(client, post, thumb, django_assert_num_queries):
    with django_assert_num_queries(3):  # post with author, its images (without data), its jobs
        assert client.get(post.get_absolute_url()).status_code == 200


def test_post_page_meta_without_a_stored_og_image(client, post, settings):
    settings.SITE_URL = "https://images.example.com"
    elements = page(client, post.get_absolute_url())
    meta = elements.meta()
    assert elements.title == "Red circle · imagesite"
    assert meta["og:title"] == "Red circle"
    assert meta["og:type"] == "article"
    assert meta["og:url"] == f"https://images.example.com/posts/{post.pk}"
    assert meta["og:image"] == f"https://images.example.com/posts/{post.pk}/opengraph-image"
    assert (meta["og:image:width"], meta["og:image:height"]) == ("1200", "630")
    assert meta["twitter:card"] == "summary_large_image"
    assert meta["description"] == meta["og:description"] == "A SVG post on imagesite."


def test_post_page_meta_with_a_stored_og_image_names_its_version(client, post, settings):
    settings.SITE_URL = "https://images.example.com"
    og = PostImage.objects.create(post=post, kind="og", **image_fields(png_bytes((1200, 630))))
    meta = page(client, post.get_absolute_url()).meta()
    assert meta["og:image"] == f"https://images.example.com/posts/{post.pk}/opengraph-image?v={og.version}"
    assert (meta["og:image:width"], meta["og:image:height"]) == ("1200", "630")


def test_post_page_meta_gives_the_stored_og_images_own_size(client, post):
    PostImage.objects.create(post=post, kind="og", **image_fields(png_bytes((600, 315))))
    meta = page(client, post.get_absolute_url()).meta()
    assert (meta["og:image:width"], meta["og:image:height"]) == ("600", "315")


def test_post_page_escapes_hostile_titles_and_descriptions_in_title_and_meta(client, user):
    post = Post.objects.create(
        author=user,
        title=HOSTILE_TITLE,
        description='Desc "><img src=x onerror=alert(1)>',
        render_model="svg",
        code=CIRCLE_SVG,
    )
    response = client.get(post.get_absolute_url())
    html = response.content.decode()
    assert "<script>alert(1)" not in html
    assert "<img src=x" not in html
    elements = Elements(html)
    meta = elements.meta()
    # The parser decodes the entities back: each value is exactly the text, in its one attribute.
    assert elements.title == f"{HOSTILE_TITLE} · imagesite"
    assert meta["og:title"] == meta["twitter:title"] == HOSTILE_TITLE
    assert meta["description"] == meta["og:description"] == 'Desc "><img src=x onerror=alert(1)>'
    assert [t for t, _ in elements.elements].count("script") == 1  # only the page's own module


def test_post_page_of_an_unknown_post_is_404(client, db):
    assert client.get("/posts/00000000-0000-4000-8000-000000000000").status_code == 404


# Open Graph image


def test_og_image_serves_the_stored_png_with_etag_and_a_short_max_age(client, post):
    data = png_bytes((1200, 630), (10, 200, 10))
    og = PostImage.objects.create(post=post, kind="og", **image_fields(data))
    response = client.get(f"/posts/{post.pk}/opengraph-image")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response.content == data
    assert response["ETag"] == f'"{og.sha256}"'
    assert response["Cache-Control"] == "public, max-age=300"
    assert "immutable" not in response["Cache-Control"]

    again = client.get(f"/posts/{post.pk}/opengraph-image", HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304
    assert again.content == b""


def test_og_image_without_a_capture_is_a_1200_by_630_card(client, post):
    response = client.get(f"/posts/{post.pk}/opengraph-image")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert response["Cache-Control"] == "public, max-age=60"
    assert "immutable" not in response["Cache-Control"]
    image = Image.open(io.BytesIO(response.content))
    assert (image.format, image.size) == ("PNG", (1200, 630))

    again = client.get(f"/posts/{post.pk}/opengraph-image", HTTP_IF_NONE_MATCH=response["ETag"])
    assert again.status_code == 304

    head = client.head(f"/posts/{post.pk}/opengraph-image")
    assert head.status_code == 200 and head.content == b""
    assert head["Content-Length"] == str(len(response.content))


def test_og_card_changes_when_the_title_does(client, post):
    before = client.get(f"/posts/{post.pk}/opengraph-image")
    Post.objects.filter(pk=post.pk).update(title="Blue circle")
    after = client.get(f"/posts/{post.pk}/opengraph-image", HTTP_IF_NONE_MATCH=before["ETag"])
    assert after.status_code == 200
    assert after["ETag"] != before["ETag"]


def test_og_image_of_an_unknown_post_is_404(client, db):
    assert client.get("/posts/00000000-0000-4000-8000-000000000000/opengraph-image").status_code == 404


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_og_image_only_answers_get_and_head(client, post, method):
    assert getattr(client, method)(f"/posts/{post.pk}/opengraph-image").status_code == 405


def feed_dates(client, **headers):
    return re.findall(r"<time [^>]*>([^<]*)</time>", client.get("/", **headers).content.decode())


def test_a_post_of_the_last_minute_is_dated_just_now(client, post):
    assert feed_dates(client) == ["just now"]
    assert feed_dates(client, HTTP_ACCEPT_LANGUAGE="ko") == ["방금"]
    Post.objects.filter(pk=post.pk).update(created_at=timezone.now() - timedelta(minutes=5))
    assert feed_dates(client) == ["5\xa0minutes ago"]


def test_the_filter_chips_speak_korean(client, db):
    html = client.get("/", HTTP_ACCEPT_LANGUAGE="ko").content.decode()
    chips = re.findall(r'<a class="filter" [^>]*>([^<]*)</a>', html)
    assert chips == ["전체", "SVG", "캔버스 2D", "three.js", "GLSL 셰이더", "p5.js"]


def test_the_admin_is_named_for_the_site(admin_client):
    html = admin_client.get("/admin/").content.decode()
    assert "imagesite administration" in html and "Django administration" not in html
