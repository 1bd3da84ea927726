"""Real servers for the fault tests (tests/test_faults_*.py): PostgreSQL,
redis-server processes, and the faults test project (tests/faults_project)
under gunicorn or uvicorn with several workers.

- ``postgres_dsn``: ``SESSTOK_TEST_POSTGRES_DSN`` (``.ci/run`` starts a
  private cluster and sets it). Without it the test is skipped, with the
  reason, outside CI; under ``CI`` it fails.
- ``pg_database``: a database of its own for this test run on that server
  (created and dropped here), for projects to migrate into.
- :class:`RedisServer`: a redis-server on a free port, no persistence,
  stopped (and killable mid-test) by PID.
- :class:`Project`: the test project in its own processes: ``run`` code in
  it, ``start`` a multi-worker server, ``request`` it over HTTP.
"""

import http.client
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import textwrap
import time
import uuid
from urllib.parse import urlsplit, urlunsplit

import pytest

TESTS = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(TESTS)
RUN_ID = uuid.uuid4().hex[:8]


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_port(port, process, timeout=60.0, what="server"):
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            if process is not None and process.poll() is not None:
                raise RuntimeError(f"{what} exited with {process.returncode}")
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


def stop_process(process, sig=signal.SIGTERM, timeout=15):
    """Stop a process we started, by its PID."""
    if process is None or process.poll() is not None:
        return
    os.kill(process.pid, sig)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.kill(process.pid, signal.SIGKILL)
        process.wait()


# ---- PostgreSQL ----------------------------------------------------------------------


@pytest.fixture(scope="session")
def postgres_dsn():
    dsn = os.environ.get("SESSTOK_TEST_POSTGRES_DSN")
    if not dsn:
        if os.environ.get("CI"):
            pytest.fail("CI is set but SESSTOK_TEST_POSTGRES_DSN is not (.ci/run starts PostgreSQL and sets it)")
        pytest.skip(
            "SESSTOK_TEST_POSTGRES_DSN is unset (a PostgreSQL database the tests may create databases "
            "with; .ci/run starts one)"
        )
    return dsn


@pytest.fixture(scope="session")
def pg_database(postgres_dsn):
    """The DSN of a fresh, empty database on the test PostgreSQL server."""
    import psycopg

    name = f"sesstok_faults_{RUN_ID}"
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    url = urlsplit(postgres_dsn)
    yield urlunsplit(url._replace(path="/" + name))
    with psycopg.connect(postgres_dsn, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# ---- Redis -------------------------------------------------------------------------------


class RedisServer:
    """A private redis-server on 127.0.0.1 (no persistence, noeviction)."""

    def __init__(self, *extra):
        self.binary = shutil.which("redis-server")
        if self.binary is None:
            if os.environ.get("CI"):
                pytest.fail("CI is set but redis-server is missing")
            pytest.skip("redis-server is not installed (apt-get install redis-server)")
        self.port = free_port()
        self.extra = list(extra)
        self.process = None
        self.dir = tempfile.mkdtemp(prefix="sesstok-redis-")  # a replica's sync file lands here

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--maxmemory-policy",
                "noeviction",
                "--daemonize",
                "no",
                "--loglevel",
                "warning",
                "--dir",
                self.dir,
                *self.extra,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _wait_port(self.port, self.process, 20, "redis-server")
        self.client().ping()
        return self

    def client(self):
        import redis

        return redis.Redis.from_url(self.url, socket_timeout=5)

    def kill(self):
        """Kill by PID (no shutdown save: everything in memory is lost)."""
        stop_process(self.process, signal.SIGKILL)

    def restart(self):
        self.kill()
        return self.start()

    def stop(self):
        stop_process(self.process)
        shutil.rmtree(self.dir, ignore_errors=True)


@pytest.fixture
def redis_server():
    server = RedisServer().start()
    yield server
    server.stop()


# ---- the test project ------------------------------------------------------------------------


class Project:
    """tests/faults_project in its own processes."""

    def __init__(
        self,
        tmp_path,
        *,
        postgres=None,
        sqlite_options=None,
        redis=None,
        sesstok=None,
        simple_jwt=None,
        session_engine=None,
    ):
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "faults_project.settings",
            "PYTHONPATH": os.pathsep.join([TESTS, ROOT]),
            "FAULTS_SESSTOK": json.dumps(sesstok or {}),
            "FAULTS_SIMPLE_JWT": json.dumps(simple_jwt or {}),
            "FAULTS_REDIS_PREFIX": f"f{RUN_ID}",
            "PYTHONWARNINGS": "error",
        }
        if postgres:
            self.env["FAULTS_POSTGRES_DSN"] = postgres
        else:
            self.env["FAULTS_SQLITE"] = str(tmp_path / "db.sqlite3")
            self.env["FAULTS_SQLITE_OPTIONS"] = json.dumps(sqlite_options or {})
        if redis:
            self.env["FAULTS_REDIS"] = json.dumps(redis if isinstance(redis, list) else [redis])
        if session_engine:
            self.env["FAULTS_SESSION_ENGINE"] = session_engine
        self.log = tmp_path / "server.log"
        self.process = None
        self.port = None

    def run(self, code):
        """Run code after django.setup() in a new process; return the JSON it
        prints last."""
        script = "import django\ndjango.setup()\nimport json\n" + textwrap.dedent(code)
        result = subprocess.run(
            [sys.executable, "-c", script], env=self.env, capture_output=True, text=True, timeout=300
        )
        assert result.returncode == 0, result.stderr
        lines = result.stdout.strip().splitlines()
        return json.loads(lines[-1]) if lines else None

    def migrate(self):
        result = subprocess.run(
            [sys.executable, "-m", "django", "migrate", "--run-syncdb", "-v", "0"],
            env=self.env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert result.returncode == 0, result.stderr
        return self

    def start(self, server="gunicorn", workers=2, threads=1):
        self.port = free_port()
        if server == "gunicorn":
            command = [
                sys.executable,
                "-m",
                "gunicorn",
                "-w",
                str(workers),
                "--threads",
                str(threads),
                "-b",
                f"127.0.0.1:{self.port}",
                "--graceful-timeout",
                "5",
                "faults_project.wsgi:application",
            ]
        else:
            command = [
                sys.executable,
                "-m",
                "uvicorn",
                "--workers",
                str(workers),
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--log-level",
                "warning",
                "faults_project.asgi:application",
            ]
        env = {**self.env, "PYTHONWARNINGS": "error,ignore::DeprecationWarning"}
        self._log = open(self.log, "w")
        self.process = subprocess.Popen(command, env=env, stdout=self._log, stderr=subprocess.STDOUT, cwd=TESTS)
        try:
            _wait_port(self.port, self.process, 60, server)
            # every worker up: the port answers once the first one is
            deadline = time.monotonic() + 30
            while self.request("GET", "/api/me/")[0] not in (401,) and time.monotonic() < deadline:
                time.sleep(0.1)
        except Exception:
            self.stop()
            raise RuntimeError(f"{server} did not start: {self.log.read_text()}") from None
        return self

    def stop(self):
        stop_process(self.process)
        if self.process is not None:
            self._log.close()
        self.process = None

    def output(self):
        return self.log.read_text()

    def request(self, method, path, body=None, headers=None, json_body=None, timeout=60):
        """(status, headers dict with lower-case names, body bytes)."""
        headers = dict(headers or {})
        if json_body is not None:
            body = json.dumps(json_body).encode()
            headers.setdefault("Content-Type", "application/json")
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
        finally:
            conn.close()

    def raw(self, data, timeout=60):
        """Send raw bytes; (status or None, the whole answer)."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=timeout) as s:
            s.sendall(data)
            chunks = []
            try:
                while True:
                    chunk = s.recv(65536)
                    if not chunk:
                        break
                    chunks.append(chunk)
            except (ConnectionResetError, socket.timeout):
                pass
        answer = b"".join(chunks)
        head = answer.split(b"\r\n", 1)[0].split()
        status = int(head[1]) if len(head) > 1 and head[1].isdigit() else None
        return status, answer
