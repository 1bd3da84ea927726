"""DRF authentication: DRF's TokenAuthentication and SimpleJWT's classes vs
sesstok's, per authenticated request through a DRF APIView; token minting
for a login and a refresh.

    python benchmarks/bench_drf.py [--json] [--quick] [-k NAME]

Request cases build a fresh request (RequestFactory) and run it through an
``APIView`` with ``IsAuthenticated``, as a server's handler would call the
view; each side's response must equal the other's before timing. The
no-auth baseline (the same view with no authentication class and
``AllowAny``) is timed in the same rounds, and the table reports the
overhead of authentication, request minus baseline, and the ratio of the
two overheads (the issue's targets are on that ratio).

- token: DRF's ``TokenAuthentication`` (one ORM query, token joined with its
  user) vs sesstok's (SHA-256 in C, one prepared query).
- jwt: SimpleJWT's ``JWTAuthentication`` (PyJWT, one ORM query) vs sesstok's
  (C decoder, one prepared query; the auth-hash check included).
- stateless: ``JWTStatelessUserAuthentication`` (no database) both sides.
- "user cache on": sesstok with ``SESSTOK["USER_CACHE"]`` (sesstok.user_cache,
  when present on this branch) against the same originals.
- mint: a login's pair for a known user (SimpleJWT's ``RefreshToken.for_user``
  + ``str()`` of it and of its ``access_token``; sesstok's
  ``refresh_tokens.issue_pair``), no password hashing, no database writes
  (SimpleJWT's blacklist app is not installed, sesstok uses its own table).
- refresh: SimpleJWT's ``TokenRefreshSerializer`` vs
  ``refresh_tokens.refresh`` (decode, user, blacklist and logout checks, a
  new access token).

SQLite in memory; Redis is started for the revocation cases when available.
"""

import argparse
import json
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _harness  # noqa: E402,F401  (makes a source checkout importable)
import _stack  # noqa: E402

STORE = _stack.setup()

import jwt as pyjwt  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402
from django.test import RequestFactory, override_settings  # noqa: E402
from django.utils import timezone  # noqa: E402
from rest_framework.authentication import TokenAuthentication as DRFTokenAuthentication  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402
from rest_framework.permissions import AllowAny, IsAuthenticated  # noqa: E402
from rest_framework.response import Response  # noqa: E402
from rest_framework.views import APIView  # noqa: E402
from rest_framework_simplejwt import authentication as sj_auth  # noqa: E402
from rest_framework_simplejwt.serializers import TokenRefreshSerializer  # noqa: E402
from rest_framework_simplejwt.tokens import RefreshToken  # noqa: E402

from _harness import ROUNDS, ResultMismatch, _calibrate, _round, each, environment, report_failures  # noqa: E402
from sesstok import refresh_tokens  # noqa: E402
from sesstok.contrib.rest_framework import authentication as ss_auth  # noqa: E402
from sesstok.models import AuthToken  # noqa: E402
from sesstok.tokens import create_token, import_key  # noqa: E402

USER = get_user_model().objects.create_user("bench", password="x")
DRF_KEY = Token.objects.create(user=USER).key
import_key(USER, DRF_KEY)
_, SST_TOKEN = create_token(USER, "bench")
AuthToken.objects.update(last_used=timezone.now())  # no last_used write during the run
FACTORY = RequestFactory()


class Items(APIView):
    permission_classes = [IsAuthenticated]

    def get(self, request):
        return Response({"user": str(request.user.pk), "items": [1, 2, 3]})


class Open(APIView):
    authentication_classes = []
    permission_classes = [AllowAny]

    def get(self, request):
        return Response({"user": str(USER.pk), "items": [1, 2, 3]})


def view(auth_class):
    return Items.as_view(authentication_classes=[auth_class])


def requester(view_fn, header=None):
    extra = {"HTTP_AUTHORIZATION": header} if header else {}

    def call():
        response = view_fn(FACTORY.get("/api/items/", **extra))
        return response.status_code, response.data

    return call


BASELINE = requester(Open.as_view())


class OverheadCase:
    """original and sesstok: request callables; the baseline is timed in
    the same rounds. target: on original overhead / sesstok overhead."""

    def __init__(
        self, name, original, sesstok, *, target=None, note="", group="", sesstok_context=None, original_context=None
    ):
        self.name, self.original, self.sesstok = name, original, sesstok
        self.target, self.note, self.group = target, note, group
        self.sesstok_context, self.original_context = sesstok_context, original_context


class Case(OverheadCase):
    """A plain comparison (no baseline): ratio of medians."""

    def __init__(self, name, original, sesstok, *, check=None, **kwargs):
        super().__init__(name, original, sesstok, **kwargs)
        self.check = check


def _ctx(factory):
    import contextlib

    return factory() if factory else contextlib.nullcontext()


def run_case(case, rounds):
    with _ctx(case.original_context):
        a = case.original()
        n_orig = _calibrate(case.original)
    with _ctx(case.sesstok_context):
        b = case.sesstok()
        n_ss = _calibrate(case.sesstok)
    check = getattr(case, "check", None)
    if not (check(a, b) if check else a == b):
        raise ResultMismatch(f"{case.name}: results differ\n  original: {a!r:.300}\n  sesstok:  {b!r:.300}")
    with_baseline = not isinstance(case, Case)
    if with_baseline:
        assert BASELINE() == a, "the baseline view answers differently"
        n_base = _calibrate(BASELINE)
    orig, ss, base = [], [], []
    for _ in range(rounds):
        with _ctx(case.original_context):
            orig.append(_round(case.original, n_orig))
        with _ctx(case.sesstok_context):
            ss.append(_round(case.sesstok, n_ss))
        if with_baseline:
            base.append(_round(BASELINE, n_base))
    o, s = statistics.median(orig), statistics.median(ss)
    result = {
        "name": case.name,
        "group": case.group,
        "note": case.note,
        "original_us": o,
        "sesstok_us": s,
        "target": case.target,
    }
    if with_baseline:
        b = statistics.median(base)
        oo, so = o - b, s - b
        result.update(
            baseline_us=b, original_overhead_us=oo, sesstok_overhead_us=so, ratio=oo / so if so > 0 else float("inf")
        )
    else:
        result["ratio"] = o / s
    result["meets_target"] = case.target is None or result["ratio"] >= case.target
    return result


# ---- cases -----------------------------------------------------------------------------


def _same_claims(a, b):
    """Two pairs carry the same claims (sesstok's sst_* aside, jti/exp/iat
    from each side's clock) and each verifies with the other library."""
    from rest_framework_simplejwt.tokens import AccessToken as SJAccess

    def shape(raw):
        payload = pyjwt.decode(raw, options={"verify_signature": False})
        return sorted(k for k in payload if not k.startswith("sst_"))

    SJAccess(b["access"])
    RefreshToken(b["refresh"])
    refresh_tokens.refresh(a["refresh"])
    return all(shape(a[k]) == shape(b[k]) for k in ("access", "refresh"))


def _user_cache_contexts():
    """[(note, override_settings factory, target)] turning sesstok's user
    cache on: its shared tier on LocMem (one process) and on Redis
    (sesstok.cache.RedisCache; hot requests served by the in-process tier,
    nothing read), and Redis with revocation checks on (one MGET per
    request, the user's version in it; the originals cannot revoke, so no
    target), or [] when sesstok.user_cache is not on this branch."""
    import importlib.util

    if importlib.util.find_spec("sesstok.user_cache") is None:
        return []
    contexts = [("shared tier LocMem + in-process tier", {"USER_CACHE": "default"}, 5)]
    if STORE == "Redis":
        contexts.append(("shared tier Redis + in-process tier", {"USER_CACHE": "revocation_fast"}, 5))
        contexts.append(
            (
                "shared tier Redis + in-process tier, revocation checks on: one Redis read per request",
                {
                    "USER_CACHE": "revocation_fast",
                    "REVOCATION_CACHE": "revocation_fast",
                    "SESSION_DENYLIST": True,
                    "JWT_DENYLIST": True,
                },
                None,
            )
        )
    return [
        (note, (lambda config: lambda: override_settings(SESSTOK=config))(config), target)
        for note, config, target in contexts
    ]


def cases():
    sj_pair = RefreshToken.for_user(USER)
    sj_access = str(sj_pair.access_token)
    ss_pair = refresh_tokens.issue_pair(USER)
    yield OverheadCase(
        "token: DRF TokenAuthentication vs sesstok",
        requester(view(DRFTokenAuthentication), f"Token {DRF_KEY}"),
        requester(view(ss_auth.TokenAuthentication), f"Token {SST_TOKEN}"),
        group="request",
        note="SQLite in memory",
    )
    yield OverheadCase(
        "jwt: SimpleJWT JWTAuthentication vs sesstok",
        requester(view(sj_auth.JWTAuthentication), f"Bearer {sj_access}"),
        requester(view(ss_auth.JWTAuthentication), f"Bearer {ss_pair['access']}"),
        group="request",
        note="HS256, user from SQLite",
    )
    yield OverheadCase(
        "stateless: SimpleJWT vs sesstok JWTStatelessUserAuthentication",
        requester(view(sj_auth.JWTStatelessUserAuthentication), f"Bearer {sj_access}"),
        requester(view(ss_auth.JWTStatelessUserAuthentication), f"Bearer {ss_pair['access']}"),
        group="request",
        target=5,
        note="HS256, no database",
    )
    for note, cache, target in _user_cache_contexts():
        yield OverheadCase(
            "token, user cache on: DRF vs sesstok",
            requester(view(DRFTokenAuthentication), f"Token {DRF_KEY}"),
            requester(view(ss_auth.TokenAuthentication), f"Token {SST_TOKEN}"),
            group="request",
            target=target,
            sesstok_context=cache,
            note=note,
        )
        yield OverheadCase(
            "jwt, user cache on: SimpleJWT vs sesstok",
            requester(view(sj_auth.JWTAuthentication), f"Bearer {sj_access}"),
            requester(view(ss_auth.JWTAuthentication), f"Bearer {ss_pair['access']}"),
            group="request",
            target=target,
            sesstok_context=cache,
            note=note,
        )
    if STORE == "Redis":
        yield OverheadCase(
            "jwt, revocation checks on: SimpleJWT vs sesstok",
            requester(view(sj_auth.JWTAuthentication), f"Bearer {sj_access}"),
            requester(view(ss_auth.JWTAuthentication), f"Bearer {ss_pair['access']}"),
            group="request",
            sesstok_context=_stack.revocation_on("revocation_fast"),
            note="jti denylist + logout epoch, one MGET to Redis",
        )

    if STORE == "Redis":
        from django.core.cache import caches
        from django.db import connection

        def sqlite_query():
            with connection.cursor() as cursor:
                cursor.execute("SELECT id FROM auth_user WHERE id = %s", [USER.pk])
                return cursor.fetchone()[0]

        redis_cache = caches["revocation_fast"]
        redis_cache.set("bench:user", USER.pk)
        yield Case(
            "context: one SQLite query by pk vs one Redis GET",
            sqlite_query,
            lambda: redis_cache.get("bench:user"),
            group="context",
            note="what the user cache trades on this machine; ratio < 1: Redis is the slower",
        )

    def sj_mint():
        refresh = RefreshToken.for_user(USER)
        return {"refresh": str(refresh), "access": str(refresh.access_token)}

    yield Case(
        "mint a login pair: SimpleJWT vs refresh_tokens.issue_pair",
        sj_mint,
        lambda: refresh_tokens.issue_pair(USER),
        check=_same_claims,
        target=10,
        group="mint",
        note="HS256, no database",
    )

    def sj_refresh():
        serializer = TokenRefreshSerializer(data={"refresh": str(sj_pair)})
        serializer.is_valid(raise_exception=True)
        return sorted(serializer.validated_data)

    yield Case(
        "refresh: SimpleJWT TokenRefreshSerializer vs refresh_tokens.refresh",
        sj_refresh,
        lambda: sorted(refresh_tokens.refresh(ss_pair["refresh"])),
        group="mint",
        note="no rotation; sesstok also checks its blacklist and the logout epoch",
    )


TITLE = "DRF authentication: DRF / SimpleJWT vs sesstok"


def format_table(results):
    lines = [f"## {TITLE}", ""]
    lines.append(
        "| case | original µs | sesstok µs | no-auth µs | original overhead | sesstok overhead | ratio | target |"
    )
    lines.append("|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        target = "" if r["target"] is None else f"≥ {r['target']:g}× {'✓' if r['meets_target'] else '✗'}"
        name = f"{r['name']} ({r['note']})" if r["note"] else r["name"]
        if "baseline_us" in r:
            lines.append(
                f"| {name} | {r['original_us']:.1f} | {r['sesstok_us']:.1f} | {r['baseline_us']:.1f} | "
                f"{r['original_overhead_us']:.1f} | {r['sesstok_overhead_us']:.1f} | {r['ratio']:.1f}× | {target} |"
            )
        else:
            lines.append(
                f"| {name} | {r['original_us']:.2f} | {r['sesstok_us']:.2f} | | | | {r['ratio']:.1f}× | {target} |"
            )
    lines.append("")
    lines.append(
        "Request rows: ratio = original overhead / sesstok overhead, overhead = request − no-auth "
        "baseline (same view, no authentication, AllowAny), all medians of the same rounds. "
        "Other rows: ratio of medians."
    )
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=TITLE)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("-k", dest="filter")
    args = parser.parse_args(argv)
    rounds = 5 if args.quick else ROUNDS
    with override_settings(ALLOWED_HOSTS=["*"]):
        selected = [case for case in cases() if not args.filter or args.filter in case.name]
        results, failures = each(selected, lambda case: run_case(case, rounds), lambda r: f"{r['ratio']:.1f}×")
    if args.json:
        print(
            json.dumps(
                {"title": TITLE, "environment": environment(), "results": results, "failures": failures}, indent=2
            )
        )
    else:
        print(format_table(results))
    report_failures(failures)
    return results


if __name__ == "__main__":
    main()
