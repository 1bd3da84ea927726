"""A bounded load run with the revocation store killed and restarted:

    SESSTOK_TEST_POSTGRES_DSN=postgresql://... python tests/faults_project/load.py [seconds]

The faults project under gunicorn (3 workers x 4 threads) on PostgreSQL
(a fresh database on that server) with its own redis-server; 8 client
threads for `seconds` (30); Redis killed by PID at 1/3 and started again
(empty) at 2/3. Prints the answers by phase, route and status."""

import collections
import os
import socket
import sys
import threading
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlsplit, urlunsplit

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from _servers import Project, RedisServer  # noqa: E402


def main(seconds=30.0):
    import pathlib
    import tempfile

    import psycopg

    dsn = os.environ["SESSTOK_TEST_POSTGRES_DSN"]
    name = f"sesstok_load_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    redis = RedisServer().start()
    tmp = pathlib.Path(tempfile.mkdtemp())
    project = Project(
        tmp,
        postgres=urlunsplit(urlsplit(dsn)._replace(path="/" + name)),
        redis=redis.url,
        sesstok={
            "REVOCATION_CACHE": "revocation",
            "JWT_DENYLIST": True,
            "SESSION_DENYLIST": True,
            "LOGIN_THROTTLE_CACHE": "revocation",
            "TOKEN_MAX_PER_USER": 5,
        },
    )
    try:
        project.migrate()
        creds = project.run("""
            from django.contrib.auth.models import User
            from sesstok import refresh_tokens, tokens
            alice = User.objects.create_user("alice", password="pw")
            _, opaque = tokens.create_token(alice, "cli")
            print(json.dumps({"opaque": opaque, **refresh_tokens.issue_pair(alice)}))
        """)
        project.start(workers=3, threads=4)
        counts = collections.Counter()
        lock = threading.Lock()
        start = time.monotonic()
        phase = {"name": "redis up"}
        probes = collections.Counter()

        routes = [
            ("GET /api/me/ (JWT)", "GET", "/api/me/", {"Authorization": f"Bearer {creds['access']}"}, None),
            ("GET /api/me/ (token)", "GET", "/api/me/", {"Authorization": f"Token {creds['opaque']}"}, None),
            (
                "GET /api/drf/whoami/ (JWT)",
                "GET",
                "/api/drf/whoami/",
                {"Authorization": f"Bearer {creds['access']}"},
                None,
            ),
            ("POST /api/login/", "POST", "/api/login/", {}, {"username": "alice", "password": "pw"}),
            ("POST /api/token/refresh/", "POST", "/api/token/refresh/", {}, {"refresh": creds["refresh"]}),
        ]

        def client(i):
            n = i
            while time.monotonic() - start < seconds:
                label, method, path, headers, body = routes[n % len(routes)]
                n += 1
                current = phase["name"]  # the phase the request started in
                try:
                    status = project.request(method, path, headers=headers, json_body=body, timeout=30)[0]
                except Exception as e:
                    status = type(e).__name__
                with lock:
                    counts[(current, label, status)] += 1

        with ThreadPoolExecutor(8) as pool:
            futures = [pool.submit(client, i) for i in range(8)]
            time.sleep(seconds / 3)
            redis.kill()
            phase["name"] = "redis killed"
            # is anything listening on the dead server's port meanwhile? (it would answer the checks)
            until = time.monotonic() + seconds / 3
            while time.monotonic() < until:
                try:
                    socket.create_connection(("127.0.0.1", redis.port), timeout=0.2).close()
                    probes["connected"] += 1
                except OSError:
                    probes["refused"] += 1
                time.sleep(0.1)
            redis.start()
            phase["name"] = "redis restarted (empty)"
            for f in futures:
                f.result()
    finally:
        project.stop()
        redis.stop()
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    total = collections.Counter()
    for (ph, label, status), n in sorted(counts.items(), key=lambda kv: (kv[0][0], kv[0][1], str(kv[0][2]))):
        print(f"{ph:26} {label:28} {status!s:>6} {n:6}")
        total[status] += n
    print("total by status:", dict(total))
    print("port probes while killed:", dict(probes))


if __name__ == "__main__":
    main(float(sys.argv[1]) if len(sys.argv) > 1 else 30.0)
