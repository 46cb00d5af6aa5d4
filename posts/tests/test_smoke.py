def test_listing_is_empty(client_api, db):
    assert client_api.get("/api/posts").json()["results"] == []


def test_a_real_chromium_renders_a_page(live_server, page):
    page.goto(live_server.url + "/")
    assert page.title() == "imagesite"
    assert page.errors == []
