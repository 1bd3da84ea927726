"""Per-request authentication overhead: Django / DRF / SimpleJWT vs sesstok.

    python benchmarks/bench_requests.py [--json] [--quick] [-k NAME] [--chart PATH] [--markdown]

Overhead = time of an authenticated request minus the same request with no
authentication, both through Django's full WSGI handler (``WSGIHandler``
with a prepared environ: URL resolution, middleware, view, response), in
one process, on an in-memory SQLite database. Each row measures four
request kinds in the same run: the original's authenticated request and its
no-auth twin, sesstok's and its twin; rounds alternate between them and the
overheads are medians of per-round differences. Before timing, every
authenticated request must answer with the user's primary key and every
no-auth one with no user.

- Session: ``SessionMiddleware`` + Django's ``AuthenticationMiddleware``
  (Django's engine) vs ``SessionMiddleware`` +
  ``sesstok.middleware.AuthenticationMiddleware`` (sesstok's engine), for
  the ``signed_cookies`` and ``cache`` engines (sessions in a LocMem
  cache); twin: a bare view.
- Token: DRF ``TokenAuthentication`` on an ``APIView`` (twin: the same view
  with no authentication classes) vs sesstok's
  ``TokenAuthenticationMiddleware`` on a plain view (twin: the bare view).
- JWT: SimpleJWT ``JWTAuthentication`` and ``JWTStatelessUserAuthentication``
  on an ``APIView`` vs sesstok's middleware (``Bearer``) and sesstok's DRF
  classes (``sesstok.contrib.rest_framework.authentication``) on the same
  ``APIView``.

sesstok runs with the user cache (``SESSTOK["USER_CACHE"]``) in each of its
configurations: off (the default), in-process tier in front of a LocMem
shared tier (one process), in-process tier in front of Redis, Redis only
(in-process tier off: the version and row read on every request), and the
in-process tier + Redis with revocation checks on (both denylists: every
request does one ``MGET``, the user's version riding in it; the originals
cannot revoke at all, so that column has no target). Redis is
``REDIS_URL`` or a ``redis-server`` started here; without one the Redis
columns are skipped and say so. All DRF views sit behind one URL pattern,
so an authenticated request and its no-auth twin resolve at the same cost.

``--chart PATH`` writes a PNG bar chart (matplotlib, from the ``bench``
extra); ``--markdown`` prints the summary table docs/flows.md carries.
"""

import argparse
import io
import json
import os
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _harness  # noqa: E402  (makes a source checkout importable)
import _stack  # noqa: E402

REDIS_URL = _stack._start_redis()
LOCMEM = "django.core.cache.backends.locmem.LocMemCache"

import _django  # noqa: E402

_django.setup(
    INSTALLED_APPS=[
        "django.contrib.contenttypes",
        "django.contrib.auth",
        "django.contrib.sessions",
        "rest_framework",
        "rest_framework.authtoken",
        "sesstok",
    ],
    CACHES={
        "default": {"BACKEND": LOCMEM},
        "sessions": {"BACKEND": LOCMEM, "LOCATION": "sessions"},
        "users_local": {"BACKEND": LOCMEM, "LOCATION": "users"},
        **(
            {
                "users_redis": {
                    "BACKEND": "sesstok.cache.RedisCache",
                    "LOCATION": REDIS_URL,
                    "KEY_PREFIX": "bench-users",
                },
                "revocation": {
                    "BACKEND": "sesstok.cache.RedisCache",
                    "LOCATION": REDIS_URL,
                    "KEY_PREFIX": "bench-revocation",
                },
            }
            if REDIS_URL
            else {}
        ),
    },
    SESSION_CACHE_ALIAS="sessions",
    MIDDLEWARE=[],
    ROOT_URLCONF=__name__,
    REST_FRAMEWORK={
        "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
        "DEFAULT_AUTHENTICATION_CLASSES": [],
        "DEFAULT_PERMISSION_CLASSES": [],
    },
)

from django.contrib.auth import get_user_model  # noqa: E402
from django.core.handlers.wsgi import WSGIHandler  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.http import HttpResponse  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.urls import path  # noqa: E402
from django.utils import timezone  # noqa: E402
from rest_framework.authentication import TokenAuthentication  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402
from rest_framework.views import APIView  # noqa: E402
from rest_framework_simplejwt.authentication import (  # noqa: E402
    JWTAuthentication,
    JWTStatelessUserAuthentication,
)
from rest_framework_simplejwt.tokens import AccessToken  # noqa: E402

from _harness import Result, _calibrate, _round, each, environment, format_table, report_failures  # noqa: E402
from sesstok import access_tokens, user_cache  # noqa: E402
from sesstok.models import AuthToken  # noqa: E402
from sesstok.tokens import create_token  # noqa: E402

try:  # sesstok's DRF classes (issue 6)
    from sesstok.contrib.rest_framework import authentication as sesstok_drf

    SS_DRF = {
        name: getattr(sesstok_drf, name)
        for name in ("TokenAuthentication", "JWTAuthentication", "JWTStatelessUserAuthentication")
        if hasattr(sesstok_drf, name)
    }
except ImportError:
    SS_DRF = {}


# ---- views and URLs -----------------------------------------------------------------------------


def bare(request):
    user = getattr(request, "user", None)
    return HttpResponse("-" if user is None else str(user.pk))


def drf_view(*classes):
    class View(APIView):
        authentication_classes = classes
        permission_classes = ()

        def get(self, request):
            return HttpResponse(str(request.user.pk))

    return View.as_view()


DRF_VIEWS = {
    "none": drf_view(),
    "token": drf_view(TokenAuthentication),
    "jwt": drf_view(JWTAuthentication),
    "jwt-stateless": drf_view(JWTStatelessUserAuthentication),
    **{f"sesstok-{name}": drf_view(cls) for name, cls in SS_DRF.items()},
}


def drf(request, name):
    return DRF_VIEWS[name](request)


# Every DRF view behind one route: URL resolution tries patterns in order,
# so a view listed further down would pay more than its no-auth twin does
# (a few µs per pattern tried), which is not authentication overhead.
urlpatterns = [
    path("bare/", bare),
    path("api/bare/", bare),
    path("drf/<slug:name>/", drf),
]


# ---- requests through the full handler ---------------------------------------------------------------


def handler(middleware, **settings):
    # middleware is instantiated here: SessionMiddleware reads SESSION_ENGINE now
    with override_settings(MIDDLEWARE=middleware, **settings):
        return WSGIHandler()


def environ(path, headers=None, cookies=None):
    env = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.errors": io.StringIO(),
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    for name, value in (headers or {}).items():
        env["HTTP_" + name.upper().replace("-", "_")] = value
    if cookies:
        env["HTTP_COOKIE"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    return env


def request(app, env):
    """A zero-argument callable: one request, returning (status, body)."""
    empty = b""

    def start_response(status, headers, exc_info=None):
        state[0] = status

    state = [None]

    def call():
        e = env.copy()
        e["wsgi.input"] = io.BytesIO(empty)
        response = app(e, start_response)
        body = b"".join(response)
        response.close()
        return state[0], body

    return call


# ---- settings of each side ---------------------------------------------------------------------------------

CACHE_MODES = [
    ("off", "user cache off (default)", {}),
    ("local", "in-process tier, LocMem shared (1 process)", {"USER_CACHE": "users_local"}),
    ("local+redis", "in-process tier + Redis", {"USER_CACHE": "users_redis"}),
    ("redis", "Redis only", {"USER_CACHE": "users_redis", "USER_CACHE_LOCAL_TTL": 0}),
    (
        "checks",
        "in-process tier + Redis, revocation checks on",
        {"USER_CACHE": "users_redis", "REVOCATION_CACHE": "revocation", "SESSION_DENYLIST": True, "JWT_DENYLIST": True},
    ),
]
# the issue's target (>= 5x) is for the in-process tier with revocation
# checks off; "Redis only" and "revocation checks on" read Redis on every
# request (the originals cannot revoke at all): shown, not targeted
TARGETS = {"off": 1, "local": 5, "local+redis": 5}


def needs_redis(mode):
    return mode in ("local+redis", "redis", "checks")


def sesstok_settings(mode, **more):
    config = dict(next(c for m, _, c in CACHE_MODES if m == mode), **more)
    return lambda: override_settings(SESSTOK=config)


def settings_factory(**settings):
    return lambda: override_settings(**settings)


def combined(*factories):
    import contextlib

    def enter():
        stack = contextlib.ExitStack()
        for factory in factories:
            stack.enter_context(factory())
        return stack

    return enter


# ---- fixtures --------------------------------------------------------------------------------------------------

call_command("migrate", verbosity=0, run_syncdb=True)
USER = get_user_model().objects.create_user("bench", password="x", email="bench@example.com")
PK = str(USER.pk).encode()

DRF_KEY = Token.objects.create(user=USER).key
_, SST_TOKEN = create_token(USER, "bench")
AuthToken.objects.update(last_used=timezone.now())
SIMPLEJWT_ACCESS = str(AccessToken.for_user(USER))
SST_ACCESS = access_tokens.issue_access_token(USER)

DJANGO_SIGNED = "django.contrib.sessions.backends.signed_cookies"
SESSTOK_SIGNED = "sesstok.sessions.backends.signed_cookies"
DJANGO_CACHE = "django.contrib.sessions.backends.cache"
SESSTOK_CACHE = "sesstok.sessions.backends.cache"


def session_cookie(engine):
    with override_settings(SESSION_ENGINE=engine):
        client = Client()
        client.force_login(USER, backend="django.contrib.auth.backends.ModelBackend")
        return client.cookies["sessionid"].value


BARE = handler([])
DJANGO_AUTH = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
]
SESSTOK_AUTH = ["django.contrib.sessions.middleware.SessionMiddleware", "sesstok.middleware.AuthenticationMiddleware"]
SESSTOK_TOKEN = handler(["sesstok.middleware.TokenAuthenticationMiddleware"])


class Row:
    """One comparison: the original's (auth, twin) and sesstok's (auth, twin)."""

    def __init__(
        self,
        name,
        group,
        mode,
        original,
        original_twin,
        sesstok,
        sesstok_twin,
        original_context=None,
        sesstok_context=None,
        target=None,
        note="",
    ):
        self.name, self.group, self.mode = name, group, mode
        self.calls = {
            "original": original,
            "original_twin": original_twin,
            "sesstok": sesstok,
            "sesstok_twin": sesstok_twin,
        }
        self.contexts = {"original": original_context, "sesstok": sesstok_context}
        self.target = target
        self.note = note


def rows(redis):
    bare_req = request(BARE, environ("/bare/"))
    api_bare = request(BARE, environ("/api/bare/"))
    drf_none = request(BARE, environ("/drf/none/"))
    modes = [m for m in CACHE_MODES if redis or not needs_redis(m[0])]
    for engine_name, dj_engine, ss_engine in (
        ("signed_cookies", DJANGO_SIGNED, SESSTOK_SIGNED),
        ("cache", DJANGO_CACHE, SESSTOK_CACHE),
    ):
        dj_cookie = session_cookie(dj_engine)
        ss_cookie = session_cookie(ss_engine)
        django_app = handler(DJANGO_AUTH, SESSION_ENGINE=dj_engine)
        sesstok_app = handler(SESSTOK_AUTH, SESSION_ENGINE=ss_engine)
        for mode, label, _ in modes:
            yield Row(
                f"session ({engine_name})",
                "session",
                mode,
                request(django_app, environ("/bare/", cookies={"sessionid": dj_cookie})),
                bare_req,
                request(sesstok_app, environ("/bare/", cookies={"sessionid": ss_cookie})),
                bare_req,
                original_context=settings_factory(SESSION_ENGINE=dj_engine),
                sesstok_context=combined(settings_factory(SESSION_ENGINE=ss_engine), sesstok_settings(mode)),
                target=TARGETS.get(mode),
                note=label,
            )
    drf_token = request(BARE, environ("/drf/token/", {"Authorization": f"Token {DRF_KEY}"}))
    for mode, label, _ in modes:
        yield Row(
            "token: DRF TokenAuthentication vs middleware",
            "token",
            mode,
            drf_token,
            drf_none,
            request(SESSTOK_TOKEN, environ("/api/bare/", {"Authorization": f"Token {SST_TOKEN}"})),
            api_bare,
            sesstok_context=sesstok_settings(mode),
            target=TARGETS.get(mode),
            note=label,
        )
    if "TokenAuthentication" in SS_DRF:
        for mode, label, _ in modes:
            yield Row(
                "token: DRF vs sesstok's DRF TokenAuthentication",
                "token",
                mode,
                drf_token,
                drf_none,
                request(BARE, environ("/drf/sesstok-TokenAuthentication/", {"Authorization": f"Token {SST_TOKEN}"})),
                drf_none,
                sesstok_context=sesstok_settings(mode),
                target=TARGETS.get(mode),
                note=label,
            )
    simplejwt = request(BARE, environ("/drf/jwt/", {"Authorization": f"Bearer {SIMPLEJWT_ACCESS}"}))
    for mode, label, _ in modes:
        yield Row(
            "JWT: SimpleJWT JWTAuthentication vs middleware",
            "jwt",
            mode,
            simplejwt,
            drf_none,
            request(SESSTOK_TOKEN, environ("/api/bare/", {"Authorization": f"Bearer {SST_ACCESS}"})),
            api_bare,
            sesstok_context=sesstok_settings(mode),
            target=TARGETS.get(mode),
            note=label,
        )
    if "JWTAuthentication" in SS_DRF:
        for mode, label, _ in modes:
            yield Row(
                "JWT: SimpleJWT vs sesstok's DRF JWTAuthentication",
                "jwt",
                mode,
                simplejwt,
                drf_none,
                request(BARE, environ("/drf/sesstok-JWTAuthentication/", {"Authorization": f"Bearer {SST_ACCESS}"})),
                drf_none,
                sesstok_context=sesstok_settings(mode),
                target=TARGETS.get(mode),
                note=label,
            )
    if "JWTStatelessUserAuthentication" in SS_DRF:
        stateless = request(BARE, environ("/drf/jwt-stateless/", {"Authorization": f"Bearer {SIMPLEJWT_ACCESS}"}))
        ours = request(
            BARE, environ("/drf/sesstok-JWTStatelessUserAuthentication/", {"Authorization": f"Bearer {SST_ACCESS}"})
        )
        yield Row(
            "JWT stateless: SimpleJWT vs sesstok JWTStatelessUserAuthentication",
            "stateless",
            "off",
            stateless,
            drf_none,
            ours,
            drf_none,
            sesstok_context=sesstok_settings("off"),
            target=5,
            note="access-token denylist off",
        )
        if redis:
            yield Row(
                "JWT stateless: SimpleJWT vs sesstok JWTStatelessUserAuthentication",
                "stateless",
                "denylist",
                stateless,
                drf_none,
                ours,
                drf_none,
                sesstok_context=sesstok_settings("off", REVOCATION_CACHE="revocation", JWT_DENYLIST=True),
                note="access-token denylist on (Redis)",
            )


# ---- measuring ---------------------------------------------------------------------------------------------------


def _in(factory):
    import contextlib

    return factory() if factory else contextlib.nullcontext()


def _check(row, results):
    expected = {"original": [PK], "sesstok": [PK], "original_twin": [b"-", b"None"], "sesstok_twin": [b"-", b"None"]}
    for key, (status, body) in results.items():
        if not status.startswith("200") or body not in expected[key]:
            raise _harness.ResultMismatch(f"{row.name} [{row.mode}] {key}: {status} {body[:200]!r}")


def measure(row, rounds):
    sides = (("original", row.contexts["original"]), ("sesstok", row.contexts["sesstok"]))
    numbers, results = {}, {}
    for side, context in sides:
        with _in(context):
            for key in (side, side + "_twin"):
                fn = row.calls[key]
                results[key] = fn()
                fn()  # warm (prepared queries, cache tiers)
                results[key] = fn()
                numbers[key] = _calibrate(fn)
    _check(row, results)
    samples = {key: [] for key in row.calls}
    for _ in range(rounds):
        for side, context in sides:
            with _in(context):
                for key in (side, side + "_twin"):
                    samples[key].append(_round(row.calls[key], numbers[key]))
    overhead = {
        side: statistics.median(a - b for a, b in zip(samples[side], samples[side + "_twin"])) for side, _ in sides
    }
    medians = {key: statistics.median(v) for key, v in samples.items()}
    original, ours = overhead["original"], overhead["sesstok"]
    ratio = original / ours if ours > 0 else float("inf")
    result = Result(row.name, row.group, original, ours, ratio, row.target, row.note, samples=medians)
    result.mode = row.mode
    return result


def floors(redis):
    """Context for the table: what one prepared user query on the in-memory
    SQLite database costs here, and one GET on the Redis (and LocMem) cache."""
    from django.core.cache import caches

    out = {}
    info = user_cache.user_model()
    out["SQLite prepared user query"] = lambda: info.prepared_lookup().get(USER.pk)
    out["LocMem cache GET"] = lambda: caches["users_local"].get("bench-floor")
    if redis:
        out["Redis cache GET (sesstok.cache.RedisCache)"] = lambda: caches["users_redis"].get("bench-floor")
    result = {}
    for name, fn in out.items():
        fn()
        n = _calibrate(fn)
        result[name] = statistics.median(_round(fn, n) for _ in range(15))
    return result


# ---- output ---------------------------------------------------------------------------------------------------------

MODE_LABELS = {m: label for m, label, _ in CACHE_MODES}
MODE_LABELS["denylist"] = "denylist on"


def summary(results, redis, floor=None):
    """The docs table: one line per method, the original's overhead and
    sesstok's in each user-cache configuration (ratio in the same run)."""
    modes = [m for m, _, _ in CACHE_MODES if redis or not needs_redis(m)]
    head = (
        "| request authenticated by | original µs | "
        + " | ".join(f"sesstok µs, {MODE_LABELS[m]}" for m in modes)
        + " |"
    )
    lines = [head, "|---|---:|" + "---:|" * len(modes)]
    names = []
    for r in results:
        if r.group != "stateless" and r.name not in names:
            names.append(r.name)
    for name in names:
        by_mode = {r.mode: r for r in results if r.name == name}
        original = statistics.median(r.original_us for r in by_mode.values())
        cells = []
        for m in modes:
            r = by_mode.get(m)
            cells.append("" if r is None else f"{r.sesstok_us:.1f} ({r.ratio:.1f}×)")
        lines.append(f"| {name} | {original:.1f} | " + " | ".join(cells) + " |")
    stateless = [r for r in results if r.group == "stateless"]
    if stateless:
        lines += ["", "| stateless JWT (no user query) | SimpleJWT µs | sesstok µs | ratio |", "|---|---:|---:|---:|"]
        for r in stateless:
            lines.append(f"| {r.note} | {r.original_us:.1f} | {r.sesstok_us:.1f} | {r.ratio:.1f}× |")
    if floor:
        lines += ["", "For scale, in the same run: " + "; ".join(f"{k} {v:.1f} µs" for k, v in floor.items()) + "."]
    if not redis:
        lines += ["", "Redis columns skipped: no redis-server could be started and REDIS_URL is unset."]
    return "\n".join(lines)


def chart(results, path, redis, floor=None):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    modes = [m for m, _, _ in CACHE_MODES if redis or not needs_redis(m)]
    names = []
    for r in results:
        if r.group != "stateless" and r.name not in names:
            names.append(r.name)
    stateless = [r for r in results if r.group == "stateless"]
    labels = [n.replace(" vs ", "\nvs ") for n in names] + [f"JWT stateless\n({r.note})" for r in stateless]
    series = [("original (Django / DRF / SimpleJWT)", [])] + [(f"sesstok, {MODE_LABELS[m]}", []) for m in modes]
    for name in names:
        by_mode = {r.mode: r for r in results if r.name == name}
        series[0][1].append(statistics.median(r.original_us for r in by_mode.values()))
        for i, m in enumerate(modes, 1):
            series[i][1].append(by_mode[m].sesstok_us if m in by_mode else 0)
    for r in stateless:
        series[0][1].append(r.original_us)
        series[1][1].append(r.sesstok_us)
        for i in range(2, len(series)):
            series[i][1].append(0)
    fig, ax = plt.subplots(figsize=(10, 0.9 * len(labels) + 1.8))
    height = 0.8 / len(series)
    colours = ["#9a9a9a", "#1f5faa", "#3f8f4f", "#c27c0e", "#a3261b", "#6b3fa0"]
    for i, (label, values) in enumerate(series):
        ys = [y + (i - (len(series) - 1) / 2) * height for y in range(len(labels))]
        ax.barh(ys, values, height=height, label=label, color=colours[i % len(colours)])
    redis_get = next((v for k, v in (floor or {}).items() if k.startswith("Redis")), None)
    if redis_get:
        ax.axvline(redis_get, color="#a3261b", linestyle=":", linewidth=1)
        ax.text(
            redis_get,
            len(labels) - 0.45,
            f" one Redis GET here: {redis_get:.0f} µs",
            fontsize=7,
            color="#a3261b",
            va="bottom",
        )
    ax.set_yticks(range(len(labels)))
    ax.set_yticklabels(labels, fontsize=8)
    ax.invert_yaxis()
    ax.set_xlabel("authentication overhead per request, µs (lower is better)")
    env = environment()
    ax.set_title(
        f"Per-request auth overhead over a no-auth request (Django {env['django']}, "
        f"CPython {env['python']}, SQLite in memory)",
        fontsize=9,
    )
    ax.legend(fontsize=8, loc="lower right")
    ax.grid(axis="x", alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)


TITLE = "Per-request authentication overhead: Django / DRF / SimpleJWT vs sesstok"


def render_saved(args):
    """--markdown / --chart from the JSON of an earlier run (no measuring)."""
    from types import SimpleNamespace

    with open(args.from_json, encoding="utf-8") as f:
        saved = json.load(f)
    results = [SimpleNamespace(**r) for r in saved["results"]]
    if args.chart:
        chart(results, args.chart, saved["redis"], saved.get("floors"))
    if args.markdown:
        print(summary(results, saved["redis"], saved.get("floors")))
    return results


def main(argv=None):
    parser = argparse.ArgumentParser(description=TITLE)
    parser.add_argument("--json", action="store_true", help="machine-readable output")
    parser.add_argument("--quick", action="store_true", help="fewer rounds (noisier)")
    parser.add_argument("-k", dest="filter", help="only rows whose name contains this")
    parser.add_argument("--chart", metavar="PNG", help="write a bar chart (needs matplotlib)")
    parser.add_argument("--markdown", action="store_true", help="print the summary table")
    parser.add_argument("--from-json", metavar="FILE", help="render --markdown/--chart from a saved --json run")
    args = parser.parse_args(argv)
    if args.from_json:
        return render_saved(args)
    rounds = 7 if args.quick else 31
    selected = [row for row in rows(REDIS_URL is not None) if not args.filter or args.filter in row.name]
    results, failures = each(
        selected,
        lambda row: measure(row, rounds),
        lambda result: f"{result.original_us:.1f} → {result.sesstok_us:.1f} µs ({result.ratio:.1f}×)",
        name=lambda row: f"{row.name} [{row.mode}]",
    )
    floor = floors(REDIS_URL is not None)
    user_cache.clear_local()
    if args.chart:
        chart(results, args.chart, REDIS_URL is not None, floor)
    if args.json:
        payload = {
            "title": TITLE,
            "environment": environment(),
            "redis": REDIS_URL is not None,
            "floors": floor,
            "results": [dict(r.__dict__, note=r.note or MODE_LABELS.get(r.mode, r.mode)) for r in results],
            "failures": failures,
        }
        print(json.dumps(payload, indent=2))
        report_failures(failures)
        return results
    if args.markdown:
        print(summary(results, REDIS_URL is not None, floor))
    else:
        for r in results:
            r.name = f"{r.name} [{MODE_LABELS.get(r.mode, r.mode)}]"
            r.note = ""
        print(format_table(results, TITLE + " (µs of overhead per request)"))
        print("\n" + "; ".join(f"{k}: {v:.1f} µs" for k, v in floor.items()))
    report_failures(failures)
    return results


if __name__ == "__main__":
    main()
