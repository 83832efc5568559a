"""The data migration (clients 0011) gives device apps registered before the device grant issued ID tokens
an ID-token algorithm (RS256): without one their ID token could not be signed. Apps with no device grant,
and algorithms an operator chose, stay as they were."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from portal.clients import grants

BEFORE = [("clients", "0010_accesstoken_application_created_index")]
AFTER = [("clients", "0011_device_apps_sign_id_tokens")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.mark.django_db(transaction=True)
def test_device_apps_without_an_algorithm_get_rs256():
    Application = _migrate(BEFORE).get_model("clients", "Application")

    def app(name: str, *, grant_types: list[str], main: str, algorithm: str = "") -> None:
        Application.objects.create(
            name=name,
            client_id=name,
            client_secret="",
            hash_client_secret=False,
            client_type="public",
            authorization_grant_type=main,
            grant_types=grant_types,
            algorithm=algorithm,
        )

    app("tv", grant_types=[grants.DEVICE_CODE], main=grants.DEVICE_CODE)
    app("both", grant_types=[grants.DEVICE_CODE, grants.CLIENT_CREDENTIALS], main=grants.CLIENT_CREDENTIALS)
    app("made-by-createapplication", grant_types=[], main=grants.DEVICE_CODE)
    app("operator-chose-hs256", grant_types=[grants.DEVICE_CODE], main=grants.DEVICE_CODE, algorithm="HS256")
    app("machine", grant_types=[grants.CLIENT_CREDENTIALS], main=grants.CLIENT_CREDENTIALS)

    Application = _migrate(AFTER).get_model("clients", "Application")
    algorithms = dict(Application.objects.values_list("name", "algorithm"))
    assert algorithms == {
        "tv": "RS256",
        "both": "RS256",
        "made-by-createapplication": "RS256",
        "operator-chose-hs256": "HS256",
        "machine": "",
    }
