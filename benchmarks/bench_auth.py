"""Request authentication: DRF and SimpleJWT vs sesstok, side by side.

    python benchmarks/bench_auth.py [--json] [--quick] [-k NAME]

- Opaque token: DRF's ``TokenAuthentication.authenticate`` on a DRF Request
  vs a request through ``sesstok.middleware.TokenAuthenticationMiddleware``
  (API path, so the token is checked at once). Both run one SQLite query
  (token joined with its user); sesstok also hashes the token (SHA-256 in C).
  Opaque tokens need no revocation store (revoking deletes the row the
  lookup reads), so there is no "on" variant.
- JWT: SimpleJWT's ``JWTAuthentication.authenticate`` vs
  ``sesstok.backends.JWTBackend`` and the middleware, with the revocation
  checks (jti denylist + logout epoch, one MGET) off and on.

Each side builds a fresh request per call, as a server would.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import _harness  # noqa: E402,F401  (makes a source checkout importable)
import _stack  # noqa: E402

STORE = _stack.setup()

from django.contrib.auth import get_user_model  # noqa: E402
from django.http import HttpRequest  # noqa: E402
from django.test import override_settings  # noqa: E402
from django.utils import timezone  # noqa: E402
from rest_framework.authentication import TokenAuthentication  # noqa: E402
from rest_framework.authtoken.models import Token  # noqa: E402
from rest_framework.request import Request  # noqa: E402
from rest_framework_simplejwt.authentication import JWTAuthentication  # noqa: E402

from _harness import Case, run  # noqa: E402
from sesstok.backends import JWTBackend  # noqa: E402
from sesstok.middleware import TokenAuthenticationMiddleware  # noqa: E402
from sesstok.models import AuthToken  # noqa: E402
from sesstok.tokens import create_token  # noqa: E402

from sesstok import access_tokens, revocation  # noqa: E402

USER = get_user_model().objects.create_user("bench", password="x")
DRF_KEY = Token.objects.create(user=USER).key
_, SST_TOKEN = create_token(USER, "bench")
AuthToken.objects.update(last_used=timezone.now())  # no last_used write during the run


def http_request(header, path="/api/items/"):
    request = HttpRequest()
    request.method = "GET"
    request.path = request.path_info = path
    request.META["HTTP_AUTHORIZATION"] = header
    request.META["SERVER_NAME"] = "testserver"
    request.META["SERVER_PORT"] = "80"
    return request


def drf_token():
    auth = TokenAuthentication()
    header = f"Token {DRF_KEY}"
    return lambda: auth.authenticate(Request(http_request(header)))[0].pk


def middleware(header):
    mw = TokenAuthenticationMiddleware(lambda request: request.user.pk)
    return lambda: mw(http_request(header))


def simplejwt(raw):
    auth = JWTAuthentication()
    header = f"Bearer {raw}"
    return lambda: auth.authenticate(Request(http_request(header)))[0].pk


def backend(raw):
    b = JWTBackend()
    return lambda: b.authenticate(http_request(f"Bearer {raw}"), jwt=raw).pk


def cases():
    raw = access_tokens.issue_access_token(USER)
    with _stack.revocation_on()():
        raw_on = access_tokens.issue_access_token(USER)
        revocation.get_epoch(USER.pk)  # the store holds the epoch copy
    yield Case(
        "opaque token: DRF TokenAuthentication vs middleware",
        drf_token(),
        middleware(f"Token {SST_TOKEN}"),
        note="SQLite in memory",
        group="token",
    )
    yield (
        Case(
            "DRF key imported: DRF vs middleware",
            drf_token(),
            middleware(f"Token {DRF_KEY}"),
            check=lambda a, b: a == b,
            note="after sesstok_import_drf_tokens",
            group="token",
        )
        if _import_drf()
        else None
    )
    yield Case("JWT: SimpleJWT vs JWTBackend", simplejwt(raw), backend(raw), note=f"revocation off", group="jwt")
    for alias in ("revocation", "revocation_fast"):
        yield Case(
            "JWT: SimpleJWT vs JWTBackend",
            simplejwt(raw_on),
            backend(raw_on),
            sesstok_context=_stack.revocation_on(alias),
            note=f"revocation on, {_stack.store_note(alias)}",
            group="jwt",
        )
    yield Case(
        "JWT: SimpleJWT vs middleware (Bearer)",
        simplejwt(raw),
        middleware(f"Bearer {raw}"),
        note=f"revocation off",
        group="jwt",
    )
    yield Case(
        "JWT: SimpleJWT vs middleware (Bearer)",
        simplejwt(raw_on),
        middleware(f"Bearer {raw_on}"),
        sesstok_context=_stack.revocation_on("revocation_fast"),
        note=f"revocation on, {_stack.store_note('revocation_fast')}",
        group="jwt",
    )


def _import_drf():
    from sesstok.tokens import import_key

    import_key(USER, DRF_KEY)
    AuthToken.objects.update(last_used=timezone.now())
    return True


TITLE = "Authentication: DRF / SimpleJWT vs sesstok"


def main(argv=None):
    with override_settings(ALLOWED_HOSTS=["*"]):
        return run([c for c in cases() if c is not None], TITLE, argv)


if __name__ == "__main__":
    main()
