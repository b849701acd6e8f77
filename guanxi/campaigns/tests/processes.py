"""Helpers for tests that start Guanxi in other processes on the test database."""

import time

from django.db import connection


def child_database_url() -> str:
    """GUANXI_DATABASE_URL for a child process: the database this test runs on."""
    db = connection.settings_dict
    if db["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


def wait_for(condition, seconds=60, every=0.02):
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(every)
