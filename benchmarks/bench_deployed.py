"""Authentication overhead as deployed: gunicorn and uvicorn, server CPU per request.

    python benchmarks/bench_deployed.py [--json] [--quick] [--servers gunicorn,uvicorn]
                                        [--pg DSN] [--rounds N] [--duration S] [-k NAME]
    python benchmarks/bench_deployed.py --from-json FILE     (the table of a saved run)

Starts the small DRF project in ``benchmarks/deployed/`` on 127.0.0.1 under
gunicorn (sync workers) and uvicorn (ASGI), two workers each, drives it with
``wrk`` (Debian: ``apt-get install -y wrk``) at a bounded concurrency, and
reads the CPU the server's workers spent (utime + stime from
``/proc/<pid>/stat``, threads included) divided by the requests ``wrk``
completed. CPU per request rather than latency or throughput: it does not
depend on how busy the (shared) machine is, only on the work done.

Overhead = CPU per authenticated request minus CPU per request of the
no-auth baseline served by the same kind of server in the same round: a
DRF ``APIView`` without authentication classes for the DRF rows, a bare
Django view without middleware for the session rows. Each row compares:

- DRF ``TokenAuthentication`` vs sesstok's (``sesstok.contrib.rest_framework``);
- SimpleJWT ``JWTAuthentication`` vs sesstok's, and the stateless classes;
- Django's session engine + ``AuthenticationMiddleware`` vs sesstok's engine
  + ``sesstok.middleware.AuthenticationMiddleware`` (``db`` and ``signed_cookies``).

Every configuration runs with ``CONN_MAX_AGE`` 0 (Django's default: one
database connection per request) and 60 (persistent), and sesstok's user
cache off and on (in-process tier + Redis shared tier; Redis is
``REDIS_URL`` or a ``redis-server`` started here). The originals have no
user cache: their side is the same in both. The database is a SQLite file
in a temporary directory, or PostgreSQL with ``--pg postgresql://...``
(needs ``psycopg``).

Before timing, each endpoint is checked through the server: the
authenticated request answers 200 with the user's pk, the same request
with a tampered credential answers 401. Rounds interleave all endpoints;
figures are medians over rounds of the per-round overheads, and the ratio
is original overhead / sesstok overhead.
"""

import argparse
import contextlib
import itertools
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import _harness  # noqa: E402  (makes a source checkout importable)
import _stack  # noqa: E402

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
WORKERS = 2
CONNECTIONS = 4
SERVERS = ("gunicorn", "uvicorn")
PROFILES = ("none", "django-db", "sesstok-db", "django-signed_cookies", "sesstok-signed_cookies")
# (CONN_MAX_AGE, user cache on)
CONFIGS = [(0, False), (0, True), (60, False), (60, True)]
QUICK_CONFIGS = [(0, False), (60, True)]


# ---- the project's database and credentials -----------------------------------------------------


def setup_django(db):
    os.environ["DJANGO_SETTINGS_MODULE"] = "deployed.settings"
    os.environ["DEPLOYED_DB"] = db
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, run_syncdb=True)


def credentials():
    """Create the user and one credential of each kind: {name: header value or cookie}."""
    from django.contrib.auth import get_user_model
    from django.test import Client, override_settings
    from rest_framework.authtoken.models import Token
    from rest_framework_simplejwt.tokens import AccessToken

    from sesstok import access_tokens
    from sesstok.tokens import create_token

    user, _ = get_user_model().objects.get_or_create(username="deployed-bench")
    Token.objects.filter(user=user).delete()
    out = {
        "pk": str(user.pk),
        "drf-token": "Token " + Token.objects.create(user=user).key,
        "sesstok-token": "Token " + create_token(user, f"deployed-{time.time_ns()}")[1],
        "simplejwt": "Bearer " + str(AccessToken.for_user(user)),
        "sesstok-jwt": "Bearer " + access_tokens.issue_access_token(user),
    }
    for side, package in (("django", "django.contrib.sessions.backends"), ("sesstok", "sesstok.sessions.backends")):
        for engine in ("db", "signed_cookies"):
            with override_settings(SESSION_ENGINE=f"{package}.{engine}"):
                client = Client()
                client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
                out[f"{side}-{engine}"] = "sessionid=" + client.cookies["sessionid"].value
    return out


def tamper(value):
    """The credential with its last character changed (a bad signature or an unknown token)."""
    return value[:-1] + ("A" if value[-1] != "A" else "B")


class Endpoint:
    def __init__(self, name, profile, path, header=None, credential=None):
        self.name, self.profile, self.path = name, profile, path
        self.header, self.credential = header, credential

    def headers(self, creds, bad=False):
        if self.header is None:
            return {}
        value = creds[self.credential]
        return {self.header: tamper(value) if bad else value}


BASE_DRF = Endpoint("baseline: APIView, no authentication", "none", "/drf/none/")
BASE_BARE = Endpoint("baseline: bare view, no middleware", "none", "/bare/")


def drf(name, credential=None, view=None):
    return Endpoint(name, "none", f"/drf/{view or credential}/", "Authorization", credential)


def session(side, engine):
    return Endpoint(f"{side} {engine}", f"{side}-{engine}", "/whoami/", "Cookie", f"{side}-{engine}")


# (row name, original, sesstok, baseline)
ROWS = [
    (
        "token: DRF TokenAuthentication vs sesstok's",
        drf("DRF token", "drf-token"),
        drf("sesstok token", "sesstok-token"),
        BASE_DRF,
    ),
    (
        "JWT: SimpleJWT JWTAuthentication vs sesstok's",
        drf("SimpleJWT", "simplejwt"),
        drf("sesstok JWT", "sesstok-jwt"),
        BASE_DRF,
    ),
    (
        "JWT stateless: SimpleJWT vs sesstok's JWTStatelessUserAuthentication",
        drf("SimpleJWT stateless", "simplejwt", "simplejwt-stateless"),
        drf("sesstok stateless", "sesstok-jwt", "sesstok-stateless"),
        BASE_DRF,
    ),
    (
        "session (db): Django's engine + middleware vs sesstok's",
        session("django", "db"),
        session("sesstok", "db"),
        BASE_BARE,
    ),
    (
        "session (signed_cookies): Django's vs sesstok's",
        session("django", "signed_cookies"),
        session("sesstok", "signed_cookies"),
        BASE_BARE,
    ),
]


# ---- servers ---------------------------------------------------------------------------------------------


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_command(kind, port):
    python = sys.executable
    if kind == "gunicorn":
        return [
            python,
            "-m",
            "gunicorn",
            "--workers",
            str(WORKERS),
            "--worker-class",
            "sync",
            "--bind",
            f"127.0.0.1:{port}",
            "--log-level",
            "warning",
            "deployed.wsgi:application",
        ]
    return [
        python,
        "-m",
        "uvicorn",
        "--workers",
        str(WORKERS),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--lifespan",
        "off",
        "--no-access-log",
        "--log-level",
        "warning",
        "deployed.asgi:application",
    ]


def children(pid):
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(p) for p in f.read().split()]
    except OSError:
        return []


def cmdline(pid):
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            return f.read().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


class Server:
    """One server process group (master + workers), started in its own session."""

    def __init__(self, kind, profile, env):
        self.kind, self.profile = kind, profile
        self.port = free_port()
        self.process = subprocess.Popen(
            server_command(kind, self.port),
            cwd=HERE,
            env=dict(env, DEPLOYED_MIDDLEWARE=profile),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            start_new_session=True,
        )
        self.workers = []

    def url(self, path):
        return f"http://127.0.0.1:{self.port}{path}"

    def wait_ready(self, timeout=60):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"{self.kind} ({self.profile}) exited: {self.process.stderr.read().decode()[-2000:]}"
                )
            workers = [p for p in children(self.process.pid) if self.kind == "gunicorn" or "spawn_main" in cmdline(p)]
            if len(workers) == WORKERS:
                try:
                    with urllib.request.urlopen(self.url("/bare/"), timeout=5) as response:
                        if response.status == 200:
                            self.workers = workers
                            return
                except (urllib.error.URLError, ConnectionError, socket.timeout):
                    pass
            time.sleep(0.2)
        raise RuntimeError(f"{self.kind} ({self.profile}) not ready after {timeout} s")

    def cpu_seconds(self):
        total = 0
        for pid in self.workers:
            with open(f"/proc/{pid}/stat") as f:
                fields = f.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15)
        return total / CLOCK_TICKS

    def stop(self):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(20)
        self.process.stderr.close()


@contextlib.contextmanager
def servers(kind, env, profiles):
    started = {}
    try:
        for profile in profiles:
            started[profile] = Server(kind, profile, env)
        for server in started.values():
            server.wait_ready()
        yield started
    finally:
        for server in started.values():
            server.stop()


# ---- checking and driving ----------------------------------------------------------------------------------


def fetch(url, headers):
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


class Mismatch(AssertionError):
    pass


def check(endpoint, server, creds):
    """The authenticated request answers 200 with the user's pk (a baseline
    200 with "-"); a tampered credential answers 401."""
    status, body = fetch(server.url(endpoint.path), endpoint.headers(creds))
    expected = b"-" if endpoint.header is None else creds["pk"].encode()
    if status != 200 or body != expected:
        raise Mismatch(f"{server.kind} {endpoint.name}: {status} {body[:300]!r}, expected 200 {expected!r}")
    if endpoint.header is not None:
        status, body = fetch(server.url(endpoint.path), endpoint.headers(creds, bad=True))
        if status != 401:
            raise Mismatch(f"{server.kind} {endpoint.name}, tampered credential: {status} {body[:300]!r}, expected 401")


def wrk(url, headers, seconds):
    """(requests completed, non-2xx responses) of one bounded wrk run."""
    command = ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{seconds}s", "--timeout", "10s"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    out = subprocess.run(command + [url], capture_output=True, text=True, check=True).stdout
    requests = int(re.search(r"(\d+) requests in", out).group(1))
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return requests, int(bad.group(1)) if bad else 0


def cpu_per_request(endpoint, server, creds, seconds):
    """Microseconds of worker CPU per request over one wrk run."""
    before = server.cpu_seconds()
    requests, bad = wrk(server.url(endpoint.path), endpoint.headers(creds), seconds)
    spent = server.cpu_seconds() - before
    if bad:
        raise Mismatch(f"{server.kind} {endpoint.name}: {bad} of {requests} responses were not 2xx under load")
    return spent / requests * 1e6, requests


def endpoints():
    seen = {}
    for _, original, ours, baseline in ROWS:
        for e in (baseline, original, ours):
            seen.setdefault(e.name, e)
    return list(seen.values())


def measure(kind, config, env, creds, rounds, seconds, rows):
    max_age, cache = config
    env = dict(env, DEPLOYED_CONN_MAX_AGE=str(max_age), DEPLOYED_USER_CACHE=env["REDIS_URL"] if cache else "")
    needed = [e for e in endpoints() if any(e in (o, s, b) for _, o, s, b in rows)]
    with servers(kind, env, sorted({e.profile for e in needed}, key=PROFILES.index)) as running:
        for e in needed:
            check(e, running[e.profile], creds)
            cpu_per_request(e, running[e.profile], creds, 1)  # warm: connections, prepared queries, caches
        samples = {e.name: [] for e in needed}
        counts = {e.name: 0 for e in needed}
        for _ in range(rounds):
            for e in needed:
                us, n = cpu_per_request(e, running[e.profile], creds, seconds)
                samples[e.name].append(us)
                counts[e.name] += n
    results = []
    for name, original, ours, baseline in rows:
        base = samples[baseline.name]
        o = statistics.median(a - b for a, b in zip(samples[original.name], base))
        s = statistics.median(a - b for a, b in zip(samples[ours.name], base))
        results.append(
            {
                "server": kind,
                "conn_max_age": max_age,
                "user_cache": cache,
                "name": name,
                "group": kind,
                "note": f"{kind}, {config_label(max_age, cache)}",
                "target": None,
                "original_us": o,
                "sesstok_us": s,
                "ratio": o / s if s > 0 else float("inf"),  # as _harness does
                "baseline_us": statistics.median(base),
                "requests": {e.name: counts[e.name] for e in (original, ours, baseline)},
            }
        )
    return results


# ---- output ----------------------------------------------------------------------------------------------------


def config_label(max_age, cache):
    return f"CONN_MAX_AGE={max_age}, user cache {'on' if cache else 'off'}"


def markdown(results, configs, errors=()):
    head = "| server | request authenticated by | " + " | ".join(config_label(*c) for c in configs) + " |"
    lines = [head, "|---|---|" + "---:|" * len(configs)]
    keys = []
    for r in results:
        if (r["server"], r["name"]) not in keys:
            keys.append((r["server"], r["name"]))
    for kind, name in keys:
        cells = []
        for max_age, cache in configs:
            r = next(
                (
                    r
                    for r in results
                    if (r["server"], r["name"], r["conn_max_age"], r["user_cache"]) == (kind, name, max_age, cache)
                ),
                None,
            )
            if r is None:
                cells.append("")
            elif r["sesstok_us"] <= 0:  # sesstok's overhead measured at or below zero
                cells.append(f"sesstok within noise ({r['original_us']:.0f} / {r['sesstok_us']:.0f})")
            else:
                cells.append(f"**{r['ratio']:.1f}×** ({r['original_us']:.0f} / {r['sesstok_us']:.0f})")
        lines.append(f"| {kind} | {name} | " + " | ".join(cells) + " |")
    bases = {}
    for r in results:
        bases.setdefault(r["server"], []).append(r["baseline_us"])
    lines += [
        "",
        "Cells: ratio (original µs / sesstok µs of server CPU per request over the no-auth baseline). "
        "Baselines: " + "; ".join(f"{k} {statistics.median(v):.0f} µs per request" for k, v in bases.items()) + ".",
    ]
    for e in errors:
        lines.append(
            f"\nNo figures for {e['server']} with {config_label(e['conn_max_age'], e['user_cache'])}: {e['error']}"
        )
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--quick", action="store_true", help="two configurations, one round, 1 s runs")
    parser.add_argument("--servers", default=",".join(SERVERS), help="comma-separated: gunicorn,uvicorn")
    parser.add_argument("--pg", metavar="DSN", help="PostgreSQL instead of a SQLite file")
    parser.add_argument("--rounds", type=int, help="rounds (default 3, quick 1)")
    parser.add_argument("--duration", type=float, help="seconds per wrk run (default 2, quick 1)")
    parser.add_argument("-k", dest="filter", help="only rows whose name contains this")
    parser.add_argument("--from-json", metavar="FILE", help="print the table of a saved --json run (no measuring)")
    args = parser.parse_args(argv)
    if args.from_json:
        with open(args.from_json, encoding="utf-8") as f:
            saved = json.load(f)
        print(markdown(saved["results"], [tuple(c) for c in saved["configs"]], saved.get("errors", ())))
        return saved["results"]
    if shutil.which("wrk") is None:
        parser.error("wrk not found (Debian: apt-get install -y wrk)")
    rounds = args.rounds or (1 if args.quick else 3)
    seconds = args.duration or (1 if args.quick else 2)
    configs = QUICK_CONFIGS if args.quick else CONFIGS
    rows = [r for r in ROWS if not args.filter or args.filter in r[0]]
    kinds = [k for k in args.servers.split(",") if k]
    redis_url = _stack._start_redis()
    if redis_url is None:
        configs = [c for c in configs if not c[1]]
        print("no redis-server and no REDIS_URL: user cache on skipped", file=sys.stderr)
    with tempfile.TemporaryDirectory(prefix="sesstok-deployed-") as tmp:
        db = args.pg or os.path.join(tmp, "db.sqlite3")
        setup_django(db)
        creds = credentials()
        # the servers import `deployed` from here and sesstok from the checkout
        path = os.pathsep.join(p for p in (HERE, os.path.dirname(HERE), os.environ.get("PYTHONPATH")) if p)
        env = dict(os.environ, DEPLOYED_DB=db, REDIS_URL=redis_url or "", PYTHONPATH=path)
        results, errors = [], []
        for kind, config in itertools.product(kinds, configs):
            try:
                part = measure(kind, config, env, creds, rounds, seconds, rows)
            except Mismatch as e:
                # e.g. uvicorn + CONN_MAX_AGE > 0 on PostgreSQL: a new thread, hence a new
                # connection, per request, until the server refuses more (Django's
                # documentation advises against persistent connections under ASGI)
                errors.append({"server": kind, "conn_max_age": config[0], "user_cache": config[1], "error": str(e)})
                print(f"  {kind} [{config_label(*config)}]: no figures: {e}", file=sys.stderr)
                continue
            results += part
            for r in part:
                ratio = "within noise" if r["sesstok_us"] <= 0 else f"{r['ratio']:.1f}×"
                print(
                    f"  {kind} [{config_label(*config)}] {r['name']}: {r['original_us']:.0f} → "
                    f"{r['sesstok_us']:.0f} µs ({ratio})",
                    file=sys.stderr,
                )
    environment = dict(
        _harness.environment(),
        database="PostgreSQL" if args.pg else "SQLite file",
        workers=WORKERS,
        connections=CONNECTIONS,
        rounds=rounds,
        seconds=seconds,
        servers={k: _version(k) for k in kinds},
        user_cache_store="Redis" if redis_url else None,
    )
    if args.json:
        print(
            json.dumps(
                {
                    "title": "Authentication overhead as deployed",
                    "environment": environment,
                    "configs": configs,
                    "results": results,
                    "errors": errors,
                },
                indent=2,
            )
        )
    else:
        print(markdown(results, configs, errors))
    return results


def _version(dist):
    import importlib.metadata

    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return None


if __name__ == "__main__":
    main()
