"""Passwords are hashed with Argon2id at OWASP's parameters; hashes stored with Django's
old defaults still sign in and are upgraded by that sign-in."""

from __future__ import annotations

import json

import argon2
import pytest
from django.contrib.auth.hashers import Argon2PasswordHasher, make_password
from django.test import Client

from subgraphs.people.hashers import YuiArgon2PasswordHasher
from tests.conftest import PASSWORD

PRODUCTION_HASHERS = [
    "subgraphs.people.hashers.YuiArgon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]


def parameters(encoded: str) -> argon2.Parameters:
    algorithm, rest = encoded.split("$", 1)
    assert algorithm == "argon2"
    return argon2.extract_parameters("$" + rest)


def sign_in(client: Client, password: str = PASSWORD):
    return client.post(
        "/auth/login",
        data=json.dumps({"tenant": "402125", "loginId": "0003", "password": password}),
        content_type="application/json",
    )


def test_production_settings_use_owasp_argon2id():
    import yui.settings as production

    assert production.PASSWORD_HASHERS[0] == PRODUCTION_HASHERS[0]
    params = parameters(YuiArgon2PasswordHasher().encode(PASSWORD, "a" * 22))
    assert params.type is argon2.Type.ID
    assert (params.memory_cost, params.time_cost, params.parallelism) == (19 * 1024, 2, 1)


@pytest.mark.django_db
def test_a_hash_with_django_defaults_signs_in_and_is_upgraded(okawa, settings):
    settings.PASSWORD_HASHERS = PRODUCTION_HASHERS
    person = okawa.people["shuji"]
    old = Argon2PasswordHasher()
    person.password = old.encode(PASSWORD, old.salt())
    person.save(update_fields=["password"])
    assert parameters(person.password).memory_cost == 102400

    # A wrong password changes nothing.
    assert sign_in(Client(), "wrong-password-1").status_code == 401
    person.refresh_from_db()
    assert parameters(person.password).memory_cost == 102400

    response = sign_in(Client())
    assert response.status_code == 200, response.content
    person.refresh_from_db()
    upgraded = parameters(person.password)
    assert (upgraded.memory_cost, upgraded.time_cost, upgraded.parallelism) == (19456, 2, 1)
    # The upgraded hash signs in again, and is left as it is.
    stored = person.password
    assert sign_in(Client()).status_code == 200
    person.refresh_from_db()
    assert person.password == stored


@pytest.mark.django_db
def test_new_passwords_get_the_new_parameters(settings):
    settings.PASSWORD_HASHERS = PRODUCTION_HASHERS
    params = parameters(make_password(PASSWORD))
    assert (params.memory_cost, params.time_cost, params.parallelism) == (19456, 2, 1)
