from django.db import connection

from posts.models import Post, PostImageJob


def test_post_ids_are_stored_as_36_characters_with_hyphens(post):
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM posts")
        assert list(cursor.fetchall()) == [(str(post.pk),)]


def test_text_lookups_on_an_id_keep_its_hyphens(post):
    text = str(post.pk)
    assert list(Post.objects.filter(pk__iexact=text.upper())) == [post]
    assert list(Post.objects.filter(pk__startswith=text[:13])) == [post]
    assert list(Post.objects.filter(pk__icontains=text[9:23])) == [post]
    assert list(Post.objects.filter(pk__endswith=text[-13:])) == [post]
    assert not Post.objects.filter(pk__iexact=text.replace("-", "")).exists()
    assert not PostImageJob.objects.filter(post__id__iexact="not-an-id").exists()
