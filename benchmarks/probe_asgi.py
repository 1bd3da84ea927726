"""What Django's ASGI handler does per request to the auth classes, in process.

    python benchmarks/probe_asgi.py [--requests N] [--rounds N]

Serves the deployed benchmark's project (``benchmarks/deployed/``) through
``django.core.asgi.ASGIHandler`` in this process, with a minimal ASGI
driver, and reports for each DRF view: CPU per request (``process_time``:
every thread of the process) and its overhead over the no-auth view, the
threads started per request, and how often ``sesstok._lookup`` compiled a
query per request. Django runs each request's sync code in a new thread
(asgiref's ``ThreadSensitiveContext`` gives each request its own
single-thread executor), and Django's database connections are per thread:
anything cached per connection object is rebuilt on every request under
ASGI, which is what made sesstok's token and JWT classes cost more than
DRF's and SimpleJWT's under uvicorn (see README, "As deployed").
"""

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import bench_deployed  # noqa: E402

VIEWS = [
    ("APIView, no authentication", "none", None),
    ("DRF TokenAuthentication", "drf-token", "drf-token"),
    ("sesstok TokenAuthentication", "sesstok-token", "sesstok-token"),
    ("SimpleJWT JWTAuthentication", "simplejwt", "simplejwt"),
    ("sesstok JWTAuthentication", "sesstok-jwt", "sesstok-jwt"),
]


async def request(app, path, authorization):
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "GET",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"127.0.0.1")] + ([(b"authorization", authorization.encode())] if authorization else []),
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
    }
    sent, pending = [], [{"type": "http.request", "body": b"", "more_body": False}]

    async def receive():
        if pending:
            return pending.pop()
        await asyncio.Event().wait()  # no disconnect: the handler cancels this when done

    async def send(message):
        sent.append(message)

    await app(scope, receive, send)
    return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200, help="requests per round and view")
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="sesstok-probe-") as tmp:
        bench_deployed.setup_django(os.path.join(tmp, "db.sqlite3"))
        creds = bench_deployed.credentials()
        from django.core.asgi import get_asgi_application

        from sesstok import _lookup

        app = get_asgi_application()
        counts = {"compiled": 0, "threads": 0}
        prepare, start = _lookup.PreparedLookup._prepare, threading.Thread.start

        def counted_prepare(self, *a):
            counts["compiled"] += 1
            return prepare(self, *a)

        def counted_start(self):
            counts["threads"] += 1
            return start(self)

        _lookup.PreparedLookup._prepare = counted_prepare
        threading.Thread.start = counted_start

        async def run(path, authorization, n):
            for _ in range(n):
                status, body = await request(app, path, authorization)
                expected = b"-" if authorization is None else creds["pk"].encode()
                if status != 200 or body != expected:
                    raise bench_deployed.Mismatch(f"{path}: {status} {body[:200]!r}")

        samples = {name: [] for name, _, _ in VIEWS}
        per_request = {}
        for name, view, cred in VIEWS:  # check and warm
            asyncio.run(run(f"/drf/{view}/", creds.get(cred), 20))
        for _ in range(args.rounds):
            for name, view, cred in VIEWS:
                before = dict(counts)
                t = time.process_time()
                asyncio.run(run(f"/drf/{view}/", creds.get(cred), args.requests))
                samples[name].append((time.process_time() - t) / args.requests * 1e6)
                per_request[name] = {k: (counts[k] - before[k]) / args.requests for k in counts}
    base = samples[VIEWS[0][0]]
    print(
        "| view (Django ASGIHandler, in process) | CPU µs/request | overhead µs | threads started/request "
        "| sesstok queries compiled/request |"
    )
    print("|---|---:|---:|---:|---:|")
    for name, _, _ in VIEWS:
        overhead = statistics.median(a - b for a, b in zip(samples[name], base))
        print(
            f"| {name} | {statistics.median(samples[name]):.0f} | {overhead:.0f} | "
            f"{per_request[name]['threads']:.1f} | {per_request[name]['compiled']:.2f} |"
        )


if __name__ == "__main__":
    main()
