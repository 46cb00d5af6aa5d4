"""docs/production.md's MariaDB part, run for real: provision.sql, migrate, the site's rows, a restored backup.

Under throwaway names on the test server (the one DATABASE_URL points at), removed afterwards.
"""

import gzip
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.db import connection

pytestmark = pytest.mark.mysql
BASE_DIR = Path(__file__).resolve().parents[2]


def admin_args():
    db = connection.settings_dict
    args = [f"--host={db['HOST'] or '127.0.0.1'}", f"--port={db['PORT'] or 3306}", f"--user={db['USER']}"]
    return args + ([f"--password={db['PASSWORD']}"] if db["PASSWORD"] else [])


def sql(statements, database=""):
    command = [
        "mariadb",
        *admin_args(),
        "--default-character-set=utf8mb4",
        "--batch",
        "--skip-column-names",
        *([database] if database else []),
    ]
    return subprocess.run(command, input=statements, capture_output=True, text=True, check=True).stdout


def manage(database_url, *args, check=True):
    env = {**os.environ, "DATABASE_URL": database_url, "IMAGE_STORAGE": "db"}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=BASE_DIR, env=env, capture_output=True, text=True, check=check
    )


@pytest.fixture
def provisioned():
    name = f"imagesite_t{secrets.token_hex(3)}"
    passwords = {"change-me-migrate": secrets.token_hex(12), "change-me": secrets.token_hex(12)}
    text = (BASE_DIR / "deploy" / "mariadb" / "provision.sql").read_text().replace("imagesite", name)
    for placeholder, password in passwords.items():  # the longer placeholder first
        text = text.replace(placeholder, password)
    host, port = connection.settings_dict["HOST"] or "127.0.0.1", connection.settings_dict["PORT"] or 3306
    try:
        sql(text)
        yield {
            "name": name,
            "migrate": f"mysql://{name}_migrate:{passwords['change-me-migrate']}@{host}:{port}/{name}",
            "site": f"mysql://{name}:{passwords['change-me']}@{host}:{port}/{name}",
        }
    finally:
        sql(
            f"DROP DATABASE IF EXISTS {name}; DROP DATABASE IF EXISTS {name}_restored;"
            f"DROP USER IF EXISTS '{name}_migrate'@'127.0.0.1'; DROP USER IF EXISTS '{name}'@'%';"
        )


def test_the_provisioned_accounts_migrate_run_the_site_and_back_up(provisioned, tmp_path):
    name = provisioned["name"]
    assert sql(f"SELECT DEFAULT_CHARACTER_SET_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME='{name}'") == (
        "utf8mb4\n"
    )
    manage(provisioned["migrate"], "migrate", "--noinput")
    # The site's account writes and reads rows (Hangul and emoji included: utf8mb4) ...
    manage(provisioned["site"], "seed_demo")
    manage(provisioned["site"], "shell", "-c", "from posts.models import Post; Post.objects.update(title='노을 🌅')")
    assert "노을 🌅" in sql(f"SELECT DISTINCT title FROM {name}.posts")
    # ... and cannot change a table.
    dropped = manage(
        provisioned["site"],
        *("shell", "-c", "from django.db import connection; connection.cursor().execute('DROP TABLE posts')"),
        check=False,
    )
    assert dropped.returncode != 0
    assert "command denied" in dropped.stderr

    # A backup (the dump, and the image files), restored into another database, holds the same rows.
    images = tmp_path / "images"
    (images / "images").mkdir(parents=True)
    (images / "images" / f"{'a' * 64}.png").write_bytes(b"png bytes")
    env = {**os.environ, "DATABASE": name, "IMAGE_FILES_DIR": str(images)}
    subprocess.run(["deploy/backup.sh", tmp_path / "backup", *admin_args()], cwd=BASE_DIR, env=env, check=True)
    assert (tmp_path / "backup" / "images" / "images" / f"{'a' * 64}.png").read_bytes() == b"png bytes"
    sql(f"CREATE DATABASE {name}_restored CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci")
    sql(gzip.decompress((tmp_path / "backup" / f"{name}.sql.gz").read_bytes()).decode(), database=f"{name}_restored")
    for table in ("posts", "post_image_job", "auth_user"):
        original = sql(f"CHECKSUM TABLE {name}.{table}").split()[-1]
        assert original != "NULL"
        assert sql(f"CHECKSUM TABLE {name}_restored.{table}").split()[-1] == original
