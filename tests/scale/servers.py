"""Real servers for the scale tests, each on a loopback port of its own (182xx), started and stopped by
the tests: redis-server, moto's S3 server, gunicorn, nginx. Nothing here touches the shared services."""

from __future__ import annotations

import base64
import hashlib
import ipaddress
import os
import re
import secrets
import shutil
import signal
import socket
import string
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import parse_qs, urlencode, urlsplit

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent


def wait_for_port(port: int, *, timeout: float = 20.0, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"process for port {port} exited with {process.returncode}")
        with socket.socket() as probe:
            probe.settimeout(0.2)
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout}s")


def wait_port_free(port: int, *, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) != 0:
                return
        time.sleep(0.05)
    raise TimeoutError(f"127.0.0.1:{port} is still taken")


def stop(process: subprocess.Popen | None, *, sig: int = signal.SIGTERM, timeout: float = 10.0) -> None:
    if process is None or process.poll() is not None:
        return
    process.send_signal(sig)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=5)


class RedisServer:
    """A throwaway redis-server (no persistence) that a test may stop and start again."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        redis = shutil.which("redis-server") or "/usr/bin/redis-server"
        self.process = subprocess.Popen(  # noqa: S603 - fixed programs, arguments written here
            [redis, "--bind", "127.0.0.1", "--port", str(self.port), "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port, process=self.process)

    def stop(self) -> None:
        stop(self.process)
        wait_port_free(self.port)


class MotoServer:
    """moto's standalone S3 server over HTTP on loopback: a real S3 API, no patched boto3."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.process: subprocess.Popen | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603 - fixed programs, arguments written here
            [str(VENV_BIN / "moto_server"), "-H", "127.0.0.1", "-p", str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port, timeout=30, process=self.process)

    def stop(self) -> None:
        stop(self.process)

    def client(self):
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            region_name="us-east-1",
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    def make_bucket(self, name: str) -> str:
        self.client().create_bucket(Bucket=name)
        return name

    def keys(self, bucket: str) -> list[str]:
        listing = self.client().list_objects_v2(Bucket=bucket)
        return sorted(item["Key"] for item in listing.get("Contents", []))


def s3_environment(moto: MotoServer, bucket: str) -> dict[str, str]:
    return {
        "AWS_STORAGE_BUCKET_NAME": bucket,
        "AWS_S3_ENDPOINT_URL": moto.endpoint,
        "AWS_S3_REGION_NAME": "us-east-1",
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
    }


def nginx_binary() -> str:
    found = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
    if not found:
        raise RuntimeError("nginx is not installed: .ci/run installs it (apt-get install nginx-light)")
    return found


def self_signed_certificate(directory: Path) -> Path:
    """tls.crt and tls.key for 127.0.0.1, written into ``directory``; returns the certificate's path."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    (directory / "tls.key").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    (directory / "tls.crt").write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return directory / "tls.crt"


class Nginx:
    """nginx from Debian with the repository's deploy/nginx.conf template, terminating TLS on loopback."""

    def __init__(self, port: int, upstreams: list[int], directory: Path | None = None) -> None:
        self.port = port
        self.upstreams = upstreams
        self.directory = directory or Path(tempfile.mkdtemp(prefix="scale-nginx-"))
        self.directory.mkdir(parents=True, exist_ok=True)
        self.process: subprocess.Popen | None = None
        self.access_log = self.directory / "access.log"
        self.error_log = self.directory / "error.log"
        self.certificate = self_signed_certificate(self.directory)

    @property
    def url(self) -> str:
        return f"https://127.0.0.1:{self.port}"

    def start(self) -> None:
        servers = " ".join(f"server 127.0.0.1:{port} max_fails=1 fail_timeout=5s;" for port in self.upstreams)
        config = string.Template((ROOT / "deploy" / "nginx.conf").read_text()).safe_substitute(
            NGINX_PREFIX=str(self.directory),
            NGINX_LISTEN=f"127.0.0.1:{self.port}",
            NGINX_UPSTREAM_SERVERS=servers,
            NGINX_ACCESS_LOG=str(self.access_log),
            NGINX_ERROR_LOG=str(self.error_log),
        )
        (self.directory / "nginx.conf").write_text(config)
        self.process = subprocess.Popen(  # noqa: S603 - fixed programs, arguments written here
            [
                nginx_binary(),
                "-p",
                str(self.directory),
                "-c",
                str(self.directory / "nginx.conf"),
                "-g",
                "daemon off;",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_for_port(self.port, process=self.process)

    def stop(self) -> None:
        stop(self.process, sig=signal.SIGQUIT)


class Gunicorn:
    """One instance of the portal: gunicorn with deploy/gunicorn.conf.py, its output kept for the log test."""

    def __init__(self, port: int, env: dict[str, str], log: Path, *, workers: int = 2) -> None:
        self.port = port
        self.env = env
        self.log = log
        self.workers = workers
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        env = {**self.env, "GUNICORN_BIND": f"127.0.0.1:{self.port}", "WEB_CONCURRENCY": str(self.workers)}
        self.process = subprocess.Popen(  # noqa: S603 - fixed programs, arguments written here
            [str(VENV_BIN / "gunicorn"), "-c", str(ROOT / "deploy" / "gunicorn.conf.py"), "portal.wsgi"],
            cwd=ROOT,
            env=env,
            stdout=open(self.log, "ab"),  # noqa: SIM115
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        wait_for_port(self.port, timeout=60, process=self.process)

    def kill(self) -> None:
        """SIGKILL the whole instance (arbiter and workers), as a crashed host would vanish."""
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            stop(self.process)


def reset_database(database_url: str) -> None:
    """Empty the cluster's own database (create it if missing): every run starts from migrations."""
    import psycopg
    from psycopg import sql

    name = database_url.rsplit("/", 1)[1]
    if name in {"postgres", "test", "root", "template0", "template1"}:
        raise RuntimeError(f"refusing to empty the database {name!r}")
    admin_url = database_url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True, connect_timeout=5) as admin:
        exists = admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            admin.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    with psycopg.connect(database_url, autocommit=True, connect_timeout=5) as connection:
        connection.execute("DROP SCHEMA public CASCADE")
        connection.execute("CREATE SCHEMA public")


def oidc_key_file(directory: Path) -> Path:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path = directory / "oidc.pem"
    path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return path


class Cluster:
    """Two (or more) gunicorn instances of the portal behind nginx, sharing one PostgreSQL database, one
    Redis database and one S3 bucket: the production shape, on loopback."""

    PASSWORD = "correct-horse-battery-staple"

    def __init__(
        self,
        *,
        workdir: Path,
        database_url: str,
        redis_url: str,
        moto: MotoServer,
        bucket: str,
        nginx_port: int,
        instance_ports: list[int],
        workers: int = 2,
        extra_env: dict[str, str] | None = None,
    ) -> None:
        self.workdir = workdir
        self.database_url = database_url
        self.redis_url = redis_url
        self.moto = moto
        self.bucket = bucket
        self.nginx = Nginx(nginx_port, instance_ports, directory=workdir / "nginx")
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "DEBUG": "0",
            "SECRET_KEY": "scale-test-" + "k" * 50,
            "CLIENT_SECRET_HMAC_KEYS": "scale:" + "h" * 48,
            "OIDC_RSA_PRIVATE_KEY_FILE": str(oidc_key_file(workdir)),
            "ALLOWED_HOSTS": "127.0.0.1",
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "TRUSTED_PROXY_COUNT": "1",
            "LOG_LEVEL": "INFO",
            "AWS_DEFAULT_ACL": "public-read",
            # DEBUG off serves hashed static files from the manifest collectstatic writes, as the image does.
            "STATIC_ROOT": str(workdir / "static"),
            **s3_environment(moto, bucket),
            **(extra_env or {}),
        }
        self.instances = [
            Gunicorn(port, self.env, workdir / f"instance-{port}.log", workers=workers)
            for port in instance_ports
        ]
        self.seed: dict = {}

    def prepare(self) -> None:
        import json

        reset_database(self.database_url)
        manage = [sys.executable, str(ROOT / "manage.py")]
        subprocess.run(  # noqa: S603 - this interpreter, fixed arguments
            [*manage, "collectstatic", "--noinput"],
            cwd=ROOT,
            env=self.env,
            check=True,
            capture_output=True,
            timeout=300,
        )
        subprocess.run(  # noqa: S603 - this interpreter, fixed arguments
            [*manage, "migrate", "--noinput"],
            cwd=ROOT,
            env=self.env,
            check=True,  # noqa: S603
            capture_output=True,
            timeout=300,
        )
        seeded = subprocess.run(  # noqa: S603 - this interpreter, our own script
            [sys.executable, str(Path(__file__).with_name("seed_cluster.py")), self.PASSWORD],
            cwd=ROOT,
            env=self.env,
            check=True,
            capture_output=True,
            text=True,
            timeout=120,
        )
        self.seed = json.loads(seeded.stdout.strip().splitlines()[-1])

    def start(self) -> None:
        for instance in self.instances:
            instance.start()
        self.nginx.start()

    def stop(self) -> None:
        self.nginx.stop()
        for instance in self.instances:
            instance.stop()

    @property
    def url(self) -> str:
        return self.nginx.url

    def session(self):
        import requests

        session = requests.Session()
        # requests lets REQUESTS_CA_BUNDLE (set on this machine) override session.verify: ignore the env.
        session.trust_env = False
        session.verify = str(self.nginx.certificate)
        return session

    def sign_in(self, session):
        """alice signs in through the balancer as a browser does: the form, its CSRF token, the POST.
        Returns the POST's response (a 302 when it worked), not following it."""
        form = session.get(f"{self.url}/accounts/login/", timeout=10)
        csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
        return session.post(
            f"{self.url}/accounts/login/",
            data={"csrfmiddlewaretoken": csrf, "login": "alice", "password": self.PASSWORD},
            headers={"Referer": f"{self.url}/accounts/login/"},
            allow_redirects=False,
            timeout=10,
        )

    def authorize_url(self, app: dict, *, scope: str = "read") -> tuple[str, str]:
        """The authorization request a PKCE client sends through the balancer, and its code verifier."""
        verifier = secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        query = urlencode(
            {
                "response_type": "code",
                "client_id": app["client_id"],
                "redirect_uri": self.seed["callback"],
                "scope": scope,
                "state": secrets.token_urlsafe(12),
                "code_challenge": challenge,
                "code_challenge_method": "S256",
            }
        )
        return f"{self.url}/o/authorize/?{query}", verifier

    def authorization_code_flow(self, browser, *, scope: str = "read") -> dict:
        """The signed-in `browser` authorizes the seeded web app; its server exchanges the code. Returns
        the token response with the code and verifier it used (a replay test sends them again)."""
        web = self.seed["apps"]["web"]
        url, verifier = self.authorize_url(web, scope=scope)
        authorized = browser.get(url, allow_redirects=False, timeout=10)
        assert authorized.status_code == 302, authorized.text[:500]
        code = parse_qs(urlsplit(authorized.headers["Location"]).query)["code"][0]
        token = self.session().post(
            f"{self.url}/o/token/",
            data={
                "grant_type": "authorization_code",
                "code": code,
                "redirect_uri": self.seed["callback"],
                "code_verifier": verifier,
            },
            auth=(web["client_id"], web["secret"]),
            timeout=10,
        )
        assert token.status_code == 200, token.text
        return {"code": code, "verifier": verifier, **token.json()}

    def logs(self) -> str:
        parts = [instance.log.read_text() for instance in self.instances if instance.log.exists()]
        if self.nginx.access_log.exists():
            parts.append(self.nginx.access_log.read_text())
        return "\n".join(parts)
