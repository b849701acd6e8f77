import importlib

import pytest
from django.contrib.auth.hashers import make_password


def test_production_settings_hash_passwords_with_argon2():
    production = importlib.import_module("guanxi.settings")
    assert production.PASSWORD_HASHERS[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"


def test_argon2_hashes_verify(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.Argon2PasswordHasher"]
    assert make_password("s3cret-horse").startswith("argon2$argon2id$")


@pytest.mark.django_db
def test_created_users_get_their_role_group(make_user):
    from guanxi.accounts.services import role_of

    assert role_of(make_user("mia", "marketing")) == "marketing"
