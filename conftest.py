"""Fixtures shared by every test (apps' tests and tests/)."""

import pytest

from guanxi.accounts.choices import Role


@pytest.fixture(autouse=True)
def _data_dirs(settings, tmp_path):
    # Each test writes uploads and rejects files into its own folder.
    settings.REJECTS_DIR = tmp_path / "rejects"
    settings.UPLOADS_DIR = tmp_path / "uploads"
    # argon2 is deliberately slow; tests only need a hasher, not its cost.
    # (guanxi/accounts/tests/test_passwords.py checks production uses argon2.)
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _english_by_default():
    # The active language is per thread: a test that switches to Chinese must
    # not change the messages the next test sees.
    from django.utils import translation

    translation.activate("en")
    yield
    translation.deactivate()


@pytest.fixture
def make_user(db):
    from guanxi.accounts.services import create_user

    def make(username="alice", role=Role.ADMIN, password="correct-horse-battery"):
        return create_user(username, password, role)

    return make


@pytest.fixture
def admin_user(make_user):
    return make_user("admin", Role.ADMIN)


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


@pytest.fixture(scope="session")
def django_db_modify_db_settings(tmp_path_factory):
    # The analytics read the database through a second connection (ADBC), which
    # cannot see an in-memory SQLite database: tests use a file instead.
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"].endswith("sqlite3") and not database.get("TEST", {}).get("NAME"):
        database.setdefault("TEST", {})["NAME"] = str(tmp_path_factory.mktemp("db") / "test.sqlite3")
