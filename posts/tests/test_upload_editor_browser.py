"""The upload form as a person uses it, in real Chromium: the code editor, starter sketches, the
error summary, the draft kept in the browser and the question before publishing a failing draft."""

import pytest
from django.conf import settings

from posts.forms import starter_sketches
from posts.models import Post, RenderModel

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CODE_BOX = ".field:has(#id_code) .cm-content"


def sign_in(page, live_server, client, user):
    client.force_login(user)
    cookie = {"name": settings.SESSION_COOKIE_NAME, "value": client.cookies[settings.SESSION_COOKIE_NAME].value}
    page.context.add_cookies([{**cookie, "url": live_server.url}])


@pytest.fixture
def author(page, live_server, client, django_user_model):
    user = django_user_model.objects.create(username="author")
    sign_in(page, live_server, client, user)
    page.set_viewport_size({"width": 1280, "height": 900})
    return user


def open_form(page, live_server):
    page.goto(live_server.url + "/posts/new")
    page.wait_for_selector(CODE_BOX)


def code_value(page):
    return page.evaluate("() => document.getElementById('id_code').value")


def type_code(page, text):
    """Replace the editor's text as a person would: select all, then type."""
    page.click(CODE_BOX)
    page.keyboard.press("Control+a")
    page.keyboard.press("Delete")
    page.keyboard.insert_text(text)


def test_the_code_box_is_an_editor_with_line_numbers_over_the_textarea(author, live_server, page):
    open_form(page, live_server)
    assert page.locator("#id_code").is_hidden()  # still in the form, out of sight
    assert page.locator(".field:has(#id_code) .cm-lineNumbers .cm-gutterElement").count() >= 5
    # The default is Canvas 2D, chosen on purpose, and its starter fills the empty box.
    assert page.eval_on_selector("#id_render_model", "select => select.value") == "canvas"
    assert code_value(page) == starter_sketches()["canvas"]
    assert page.locator(".field:has(#id_code) .cm-content").get_attribute("aria-labelledby") == "id_code_label"
    assert page.errors == []


def test_tab_and_shift_tab_indent_the_line(author, live_server, page):
    open_form(page, live_server)
    type_code(page, "let a = 1;")
    page.keyboard.press("Home")
    page.keyboard.press("Tab")
    assert code_value(page) == "  let a = 1;"
    assert page.evaluate("() => document.activeElement.classList.contains('cm-content')")  # focus stayed
    page.keyboard.press("Shift+Tab")
    assert code_value(page) == "let a = 1;"


def test_a_starter_appears_when_the_model_changes_and_never_replaces_written_code(author, live_server, page):
    starters = starter_sketches()
    assert set(starters) == set(RenderModel.values)
    open_form(page, live_server)
    page.select_option("#id_render_model", "shader")
    assert code_value(page) == starters["shader"]  # the untouched canvas starter gave way
    page.select_option("#id_render_model", "svg")
    assert code_value(page) == starters["svg"]
    assert page.locator(".field:has(#id_code) .cm-content").inner_text().startswith("<svg")
    type_code(page, "<svg xmlns='http://www.w3.org/2000/svg'/>")
    page.select_option("#id_render_model", "three")
    assert code_value(page) == "<svg xmlns='http://www.w3.org/2000/svg'/>"


def test_the_html_box_shows_only_for_the_models_that_take_one(author, live_server, page):
    open_form(page, live_server)
    html_field = page.locator(".field:has(#id_html)")
    shown = {}
    for model in RenderModel.values:
        page.select_option("#id_render_model", model)
        shown[model] = html_field.is_visible()
    assert shown == {"svg": False, "canvas": True, "three": True, "shader": False, "p5": False}
    # The edit form of an SVG post neither (its render model is fixed).
    post = Post.objects.create(
        author=author, title="an svg", render_model="svg", code="<svg xmlns='http://www.w3.org/2000/svg'/>"
    )
    page.goto(live_server.url + f"/posts/{post.pk}/edit")
    assert page.locator("#id_html").count() == 1 and not html_field.is_visible()


def test_server_errors_are_summarised_at_the_top_focused_with_links_to_the_fields(author, live_server, page):
    page.set_viewport_size({"width": 390, "height": 800})
    open_form(page, live_server)
    page.select_option("#id_render_model", "svg")
    type_code(page, "<svg><rect></svg>")
    page.fill("#id_title", "   ")  # passes the browser's check, not the server's
    page.on("dialog", lambda dialog: dialog.accept())  # the preview failed: publish anyway
    page.click("button.button-primary[type=submit]")
    page.wait_for_selector("#error-summary")
    assert page.evaluate("() => document.activeElement.id") == "error-summary"
    box = page.locator("#error-summary").bounding_box()
    assert 0 <= box["y"] < 300  # on screen at the top, above the preview on a phone
    links = page.locator("#error-summary a")
    assert sorted(links.evaluate_all("links => links.map(link => link.getAttribute('href'))")) == [
        "#id_code",
        "#id_title",
    ]
    page.click("#error-summary a[href='#id_code']")
    assert page.evaluate("() => document.activeElement.classList.contains('cm-content')")
    page.click("#error-summary a[href='#id_title']")
    assert page.evaluate("() => document.activeElement.id") == "id_title"
    assert Post.objects.count() == 0


def test_the_svg_preview_gives_the_servers_error_with_its_column(author, live_server, page):
    open_form(page, live_server)
    page.select_option("#id_render_model", "svg")
    type_code(page, "<svg><rect></svg>")
    page.fill("#id_title", "Broken")
    page.click("#preview-button")
    page.wait_for_selector("#render-error:not([hidden])")
    preview_error = page.inner_text("#render-error")
    page.once("dialog", lambda dialog: dialog.accept())  # the preview failed: publish anyway
    page.click("button.button-primary[type=submit]")
    page.wait_for_selector("#error-summary")
    server_error = page.inner_text("#error-summary a[href='#id_code']").removeprefix("Code: ")
    assert preview_error == f"svg: {server_error}"
    assert "line 1, column 14" in server_error  # the code as typed (the closing tag's name), counted from 1


def test_the_harness_says_its_own_svg_errors_in_the_pages_language_without_the_added_namespace(
    author, live_server, chromium, client
):
    context = chromium.new_context(locale="ko-KR", extra_http_headers={"Accept-Language": "ko"})
    try:
        page = context.new_page()
        page.errors = []
        sign_in(page, live_server, client, author)
        # A stored post that Chromium refuses (an undeclared prefix) while the server's parser accepts it.
        post = Post.objects.create(title="prefix", render_model="svg", code='<svg><a:b xmlns:a="x"/><c:d/></svg>')
        page.goto(live_server.url + post.get_absolute_url())
        page.wait_for_selector("#render-error:not([hidden])", timeout=20000)
        error = page.inner_text("#render-error")
        assert error.startswith("svg: SVG가 올바른 XML이 아닙니다: 1번째 줄 ")
        column = int(error.split("번째 줄 ")[1].split("번째 칸")[0])
        assert column <= len(post.code) + 1  # said of the code as written, not of the xmlns added to it
    finally:
        context.close()


def test_the_draft_is_kept_across_a_reload_and_cleared_by_publishing(author, live_server, page):
    open_form(page, live_server)
    page.fill("#id_title", "Kept")
    page.fill("#id_description", "A draft")
    page.select_option("#id_render_model", "svg")
    type_code(page, '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 10 10"><circle r="4" cx="5" cy="5"/></svg>')
    page.fill("#id_capture_time", "2")
    page.wait_for_timeout(600)  # the draft is stored 300 ms after the last keystroke
    page.reload()
    page.wait_for_selector(CODE_BOX)
    assert page.input_value("#id_title") == "Kept"
    assert page.input_value("#id_description") == "A draft"
    assert page.input_value("#id_render_model") == "svg"
    assert page.input_value("#id_capture_time") == "2"
    assert code_value(page).startswith('<svg xmlns="http://www.w3.org/2000/svg" viewBox')
    assert page.locator(CODE_BOX).inner_text().startswith("<svg")
    page.click("button.button-primary[type=submit]")
    page.wait_for_url("**/posts/*-*")
    assert Post.objects.get().title == "Kept"
    open_form(page, live_server)
    assert page.input_value("#id_title") == ""
    assert code_value(page) == starter_sketches()["canvas"]


def test_publishing_a_draft_whose_preview_failed_asks_once(author, live_server, page):
    open_form(page, live_server)
    page.fill("#id_title", "Fails")
    type_code(page, "undefinedFunction();")
    page.wait_for_selector(".preview-stage.is-failed .stage-failed", timeout=20000)
    assert "undefinedFunction" in page.inner_text(".stage-failed")
    questions = []

    def answer(dialog, accept):
        questions.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.once("dialog", lambda dialog: answer(dialog, False))
    page.click("button.button-primary[type=submit]")
    page.wait_for_timeout(300)
    assert len(questions) == 1 and "publish anyway" in questions[0] and "placeholder" in questions[0]
    assert Post.objects.count() == 0
    page.once("dialog", lambda dialog: answer(dialog, True))
    page.click("button.button-primary[type=submit]")
    page.wait_for_url("**/posts/*-*")
    assert len(questions) == 2
    assert Post.objects.get().title == "Fails"


def test_a_draft_that_runs_is_published_without_a_question(author, live_server, page):
    open_form(page, live_server)
    page.fill("#id_title", "Runs")
    page.wait_for_function("() => document.getElementById('render-status').textContent.includes('Running live')")
    page.on("dialog", lambda dialog: pytest.fail(f"asked: {dialog.message}"))
    page.click("button.button-primary[type=submit]")
    page.wait_for_url("**/posts/*-*")
    assert Post.objects.get().code == starter_sketches()["canvas"]


def test_without_javascript_the_plain_textarea_posts(author, live_server, chromium, client):
    context = chromium.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        sign_in(page, live_server, client, author)
        page.goto(live_server.url + "/posts/new")
        assert page.locator("#id_code").is_visible()
        assert page.locator(".cm-editor").count() == 0
        page.fill("#id_title", "Plain")
        page.select_option("#id_render_model", "svg")
        page.fill("#id_code", '<svg xmlns="http://www.w3.org/2000/svg">\n\t<rect width="5" height="5"/>\n</svg>')
        page.click("button.button-primary[type=submit]")
        page.wait_for_url("**/posts/*-*")
        assert (
            Post.objects.get().code
            == '<svg xmlns="http://www.w3.org/2000/svg">\n\t<rect width="5" height="5"/>\n</svg>'
        )
    finally:
        context.close()


def test_on_a_phone_the_editor_scrolls_its_long_lines_inside_the_page(author, live_server, page):
    page.set_viewport_size({"width": 390, "height": 844})
    open_form(page, live_server)
    for model in ("canvas", "three", "shader", "svg"):
        page.select_option("#id_render_model", model)
        assert page.evaluate("() => document.documentElement.scrollWidth") <= 390, model
        editor = page.locator(".field:has(#id_code) .cm-editor").bounding_box()
        assert editor["x"] >= 0 and editor["x"] + editor["width"] <= 390


def test_another_account_on_the_same_browser_does_not_get_the_draft(author, live_server, page, django_user_model):
    from django.test import Client

    open_form(page, live_server)
    page.fill("#id_title", "Mine")
    page.wait_for_timeout(600)
    sign_in(page, live_server, Client(), django_user_model.objects.create(username="other"))
    open_form(page, live_server)
    assert page.input_value("#id_title") == ""
    kept = page.evaluate(f"() => JSON.parse(localStorage.getItem('imagesite:draft:{author.pk}')).title")
    assert kept == "Mine"  # the author's draft, kept for them
