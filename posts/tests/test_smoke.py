def test_listing_is_empty(client_api, db):
    assert client_api.get("/api/posts").json()["results"] == []
