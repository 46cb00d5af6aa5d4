"""The front-end bundles the tests load are rebuilt first when a source is newer (the root conftest.py)."""

import shutil

import pytest

from conftest import BASE_DIR, build_frontend


@pytest.fixture
def checkout(tmp_path):
    """What `make frontend` reads, copied with its times, beside the real node_modules."""
    for name in ["Makefile", "package.json", "package-lock.json"]:
        shutil.copy2(BASE_DIR / name, tmp_path / name)
    for bundled in ["render", "editor"]:
        shutil.copytree(BASE_DIR / "static" / bundled / "src", tmp_path / "static" / bundled / "src")
    (tmp_path / "node_modules").symlink_to(BASE_DIR / "node_modules")
    return tmp_path


def test_a_bundle_older_than_a_source_is_rebuilt_before_the_tests(checkout):
    bundle = checkout / "var" / "frontend" / "render" / "harness.js"
    assert build_frontend(checkout)
    assert not build_frontend(checkout)  # up to date: nothing to do

    source = checkout / "static" / "render" / "src" / "errors.js"
    source.write_text(source.read_text().replace('"post-code.js"', '"edited-code.js"'))

    assert build_frontend(checkout)
    assert '"edited-code.js"' in bundle.read_text()


def test_a_source_that_does_not_build_stops_the_tests_with_the_error(checkout):
    build_frontend(checkout)
    source = checkout / "static" / "render" / "src" / "random.js"
    source.write_text(source.read_text() + "\nexport const broken = ;\n")

    with pytest.raises(pytest.exit.Exception, match="(?s)older than their sources.*random.js"):
        build_frontend(checkout)
