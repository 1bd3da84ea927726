"""Django with sesstok, DRF and SimpleJWT installed, an in-memory SQLite
database, and a real Redis for the revocation store (bench_sessions.py,
bench_auth.py).

Redis: ``REDIS_URL`` if set, else a ``redis-server`` started here on a free
port (no persistence, ``maxmemory-policy noeviction``) and stopped at exit.
Without either (or without the ``redis`` package), the revocation cases
run on LocMem and say so.
"""

import atexit
import os
import shutil
import socket
import subprocess
import sys
import time

import _django

REDIS_BACKEND = "django.core.cache.backends.redis.RedisCache"
LOCMEM_BACKEND = "django.core.cache.backends.locmem.LocMemCache"


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_redis():
    try:
        import redis  # Django's and sesstok's RedisCache need it
    except ImportError:
        print("benchmarks: no redis package (it is in the bench extra): the Redis cases are skipped", file=sys.stderr)
        return None
    url = os.environ.get("REDIS_URL")
    if url:
        return url
    binary = shutil.which("redis-server")
    if binary is None:
        return None
    port = _free_port()
    process = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--maxmemory-policy",
            "noeviction",
            "--loglevel",
            "warning",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    atexit.register(lambda: (process.terminate(), process.wait(10)))
    url = f"redis://127.0.0.1:{port}/0"
    deadline = time.monotonic() + 10
    while True:
        try:
            redis.Redis.from_url(url).ping()
            return url
        except redis.exceptions.ConnectionError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)


REDIS_URL = None
STORE = "LocMem"


def setup():
    """Configure Django once and create the tables. Returns the store name
    ("Redis" or "LocMem") the revocation cases use."""
    global REDIS_URL, STORE
    REDIS_URL = _start_redis()
    if REDIS_URL:
        STORE = "Redis"
        revocation = {"BACKEND": REDIS_BACKEND, "LOCATION": REDIS_URL, "KEY_PREFIX": "bench"}
        fast = {"BACKEND": "sesstok.cache.RedisCache", "LOCATION": REDIS_URL, "KEY_PREFIX": "bench"}
    else:
        revocation = {"BACKEND": LOCMEM_BACKEND, "LOCATION": "revocation"}
        fast = revocation
    _django.setup(
        INSTALLED_APPS=[
            "django.contrib.contenttypes",
            "django.contrib.auth",
            "django.contrib.sessions",
            "django.contrib.messages",
            "rest_framework",
            "rest_framework.authtoken",
            "sesstok",
        ],
        CACHES={"default": {"BACKEND": LOCMEM_BACKEND}, "revocation": revocation, "revocation_fast": fast},
        MIDDLEWARE=[],
        ROOT_URLCONF=__name__,
    )
    from django.core.management import call_command

    call_command("migrate", verbosity=0, run_syncdb=True)
    return STORE


def revocation_on(alias="revocation"):
    """override_settings factory: the revocation store with both denylists.
    "revocation" is Django's RedisCache, "revocation_fast" sesstok.cache.RedisCache."""
    from django.test import override_settings

    return lambda: override_settings(
        SESSTOK={"REVOCATION_CACHE": alias, "SESSION_DENYLIST": True, "JWT_DENYLIST": True}
    )


def store_note(alias="revocation"):
    if STORE != "Redis":
        return STORE
    return "Redis, Django's RedisCache" if alias == "revocation" else "Redis, sesstok.cache.RedisCache"


urlpatterns = []
