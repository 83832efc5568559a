"""Real servers for the scale tests, each on a loopback port of its own (182xx), started and stopped by
the tests: redis-server, moto's S3 server, gunicorn, nginx. Nothing here touches the shared services."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

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


class Nginx:
    """nginx from Debian with the repository's deploy/nginx.conf template, upstreams filled in."""

    def __init__(self, port: int, upstreams: list[int]) -> None:
        self.port = port
        self.upstreams = upstreams
        self.directory = Path(tempfile.mkdtemp(prefix="scale-nginx-"))
        self.process: subprocess.Popen | None = None
        self.log = self.directory / "error.log"

    def start(self) -> None:
        template = (ROOT / "deploy" / "nginx.conf").read_text()
        servers = "\n".join(
            f"        server 127.0.0.1:{port} max_fails=1 fail_timeout=5s;" for port in self.upstreams
        )
        config = (
            template.replace("__UPSTREAM_SERVERS__", servers)
            .replace("__LISTEN__", f"127.0.0.1:{self.port}")
            .replace("__PREFIX__", str(self.directory))
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
            stderr=open(self.log, "ab"),  # noqa: SIM115 - kept open for the process's life
        )
        wait_for_port(self.port, process=self.process)

    def stop(self) -> None:
        stop(self.process, sig=signal.SIGQUIT)
        shutil.rmtree(self.directory, ignore_errors=True)


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
