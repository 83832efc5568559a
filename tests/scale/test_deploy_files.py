"""The deployment files: compose.yaml's structure (no Docker engine here, so no `docker compose config`),
the image's layout, and start-up checks of the OIDC key."""

from __future__ import annotations

import base64
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.scale.servers import oidc_key_file

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "compose.yaml").read_text())
SERVICES = COMPOSE["services"]
PORTALS = ["portal1", "portal2"]


def test_compose_has_two_portals_behind_nginx_with_shared_postgres_redis_and_s3():
    assert {"postgres", "redis", "s3", "nginx", *PORTALS} <= set(SERVICES)
    first, second = (SERVICES[name] for name in PORTALS)
    # The same image and the same configuration: stateless, interchangeable instances.
    assert first["image"] == second["image"] and first["build"] == second["build"] == "."
    assert first["environment"] == second["environment"]
    env = first["environment"]
    assert env["DATABASE_URL"].startswith("postgres://") and "@postgres:5432/" in env["DATABASE_URL"]
    assert env["REDIS_URL"].startswith("redis://redis:6379/")
    assert env["AWS_S3_ENDPOINT_URL"] == "http://s3:5000" and env["AWS_STORAGE_BUCKET_NAME"]
    assert env["DEBUG"] == "0"
    assert env["OIDC_RSA_PRIVATE_KEY_FILE"] == "/run/secrets/oidc_key"
    assert first["secrets"] == ["oidc_key"] and "oidc_key" in COMPOSE["secrets"]
    upstreams = SERVICES["nginx"]["environment"]["NGINX_UPSTREAM_SERVERS"]
    assert re.findall(r"server (\w+):8000", upstreams) == PORTALS


def test_compose_only_the_balancer_is_published_and_every_dependency_exists():
    published = sorted(name for name, service in SERVICES.items() if service.get("ports"))
    assert published == ["nginx"]
    for name, service in SERVICES.items():
        depends = service.get("depends_on", [])
        for dependency in depends if isinstance(depends, list) else depends.keys():
            assert dependency in SERVICES, f"{name} depends on unknown {dependency}"
    assert SERVICES["portal1"]["depends_on"]["migrate"]["condition"] == "service_completed_successfully"
    mounts = SERVICES["nginx"]["volumes"]
    assert "./deploy/nginx.conf:/etc/nginx/portal.conf.template:ro" in mounts


def test_compose_sets_only_variables_the_settings_read():
    settings_source = (ROOT / "portal" / "settings.py").read_text()
    gunicorn_source = (ROOT / "deploy" / "gunicorn.conf.py").read_text()
    read_by_boto3 = {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"}
    for name in set(SERVICES["portal1"]["environment"]) - read_by_boto3:
        assert f'"{name}"' in settings_source + gunicorn_source, f"{name} is read by nothing"


def test_the_nginx_template_names_only_the_variables_compose_fills_in():
    template = (ROOT / "deploy" / "nginx.conf").read_text()
    placeholders = set(re.findall(r"\$\{(\w+)\}", template))
    assert placeholders == set(SERVICES["nginx"]["environment"])


def test_the_image_holds_the_static_source_directory_and_the_gunicorn_config():
    dockerfile = (ROOT / "Dockerfile").read_text()
    runtime = dockerfile.split("AS runtime", 1)[1]
    assert "COPY --from=build /src/static ./static" in runtime  # STATICFILES_DIRS = /app/static
    assert "COPY --from=build /src/deploy ./deploy" in runtime
    assert '"--config", "deploy/gunicorn.conf.py"' in runtime


PRINT_KEY_LENGTH = "import portal.settings as s; print(len(s.OAUTH2_PROVIDER['OIDC_RSA_PRIVATE_KEY']))"


def _start_up(**env: str) -> subprocess.CompletedProcess:
    clean = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("OIDC_", "SECRET_KEY", "DEBUG", "DATABASE_URL"))
    }
    clean.update(DEBUG="0", SECRET_KEY="s" * 50, CLIENT_SECRET_HMAC_KEYS="test:" + "h" * 40, **env)
    return subprocess.run(  # noqa: S603 - this interpreter, fixed arguments
        [
            sys.executable,
            "-c",
            "import portal.settings as s; print(len(s.OAUTH2_PROVIDER['OIDC_RSA_PRIVATE_KEY']))",
        ],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize(
    ("variable", "value", "message"),
    [
        ("OIDC_RSA_PRIVATE_KEY", "not a key", "OIDC_RSA_PRIVATE_KEY is not an unencrypted PEM private key"),
        ("OIDC_RSA_PRIVATE_KEY_BASE64", "%%%", "OIDC_RSA_PRIVATE_KEY_BASE64 is not base64 of a PEM file"),
        (
            "OIDC_RSA_PRIVATE_KEY_BASE64",
            base64.b64encode(b"-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n").decode(),
            "OIDC_RSA_PRIVATE_KEY_BASE64 is not an unencrypted PEM private key",
        ),
    ],
)
def test_a_malformed_oidc_key_is_a_start_up_error(variable, value, message):
    result = _start_up(**{variable: value})
    assert result.returncode != 0
    assert message in result.stderr


def test_an_ec_key_is_refused_because_id_tokens_are_signed_rs256(tmp_path):
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec

    pem = ec.generate_private_key(ec.SECP256R1()).private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    result = _start_up(OIDC_RSA_PRIVATE_KEY=pem.decode())
    assert result.returncode != 0
    assert "must be an RSA private key of at least 2048 bits" in result.stderr


def test_the_key_arrives_as_a_file_or_as_base64_of_the_same_pem(tmp_path):
    path = oidc_key_file(tmp_path)
    by_file = _start_up(OIDC_RSA_PRIVATE_KEY_FILE=str(path))
    by_base64 = _start_up(OIDC_RSA_PRIVATE_KEY_BASE64=base64.b64encode(path.read_bytes()).decode())
    assert by_file.returncode == by_base64.returncode == 0, by_file.stderr + by_base64.stderr
    assert by_file.stdout == by_base64.stdout == f"{len(path.read_text())}\n"


@pytest.mark.django_db
def test_during_a_key_rotation_the_jwks_serves_the_new_and_the_old_key(client, settings, tmp_path):
    (tmp_path / "new").mkdir()
    (tmp_path / "old").mkdir()
    new, old = oidc_key_file(tmp_path / "new"), oidc_key_file(tmp_path / "old")
    settings.OAUTH2_PROVIDER = {
        **settings.OAUTH2_PROVIDER,
        "OIDC_RSA_PRIVATE_KEY": new.read_text(),
        "OIDC_RSA_PRIVATE_KEYS_INACTIVE": [old.read_text()],
    }
    keys = client.get("/o/.well-known/jwks.json").json()["keys"]
    assert len(keys) == 2 and len({key["kid"] for key in keys}) == 2
