"""manage.py sesstok_inspect VALUE [--cookie NAME] [--salt S] [--json]

``python -m sesstok inspect`` with the project's settings and database:
signed values (sessions, ``signing.dumps``, ``set_signed_cookie`` with
``--cookie``) are verified with ``SECRET_KEY`` and ``SECRET_KEY_FALLBACKS``,
JWTs with the project's JWT verifying key (``SIMPLE_JWT`` / ``SESSTOK``);
an API token or DRF key is looked up by its digest (whose it is, its name,
expiry, last use), a session key in ``SESSION_ENGINE``'s store (exists,
expiry, its user), a JWT's user by ``USER_ID_CLAIM``. Nothing is changed.
Exit status as the CLI's: 1 when the value does not verify or has expired,
2 when it is not something this command knows.
"""

import sys
from importlib import import_module

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from sesstok import drf_authtoken, inspect
from sesstok.jwt_settings import jwt_settings


def _jwt_key():
    if jwt_settings.ALGORITHM.startswith("HS"):
        return jwt_settings.SIGNING_KEY
    return jwt_settings.VERIFYING_KEY or jwt_settings.SIGNING_KEY


def _user(pk=None, **lookup):
    user = get_user_model()._default_manager.filter(**({"pk": pk} if pk is not None else lookup)).first()
    if user is None:
        return "not found"
    return f"{user.get_username()} (pk {user.pk}{', inactive' if not user.is_active else ''})"


def _token_rows(value):
    from sesstok.models import AuthToken
    from sesstok.tokens import token_digest

    found = {}
    token = AuthToken.objects.filter(digest=token_digest(value)).first()
    if token is None:
        found["sesstok token"] = "not found (revoked, expired and purged, or never issued here)"
    else:
        found["sesstok token"] = f"{token.name!r}, origin {token.origin}"
        found["user"] = _user(token.user_id)
        found["created"] = token.created.isoformat()
        found["expires"] = token.expires.isoformat() if token.expires else "never"
        found["last used"] = token.last_used.isoformat() if token.last_used else "never"
    if drf_authtoken.installed():
        row = drf_authtoken.token_model().objects.filter(key=value).first()
        found["DRF Token row"] = "none" if row is None else f"yes (user {_user(row.user_id)})"
    return found


def _session_rows(value):
    engine = import_module(settings.SESSION_ENGINE)
    if settings.SESSION_ENGINE.endswith("signed_cookies"):
        return {"session": f"SESSION_ENGINE is {settings.SESSION_ENGINE}: sessions live in cookies, not here"}
    store = engine.SessionStore(session_key=value)
    if not store.exists(value):
        return {"session": "not found (logged out, expired and cleared, or never created)"}
    data = store.load()  # {} when expired
    if not data:
        return {"session": "expired or empty"}
    found = {
        "session": f"found ({len(data)} key(s): {', '.join(sorted(data))})",
        "expires": store.get_expiry_date().isoformat(),
    }
    if "_auth_user_id" in data:
        found["user"] = _user(get_user_model()._meta.pk.to_python(data["_auth_user_id"]))
    return found


def _jwt_rows(result):
    payload = result.get("payload")
    claim = jwt_settings.USER_ID_CLAIM
    if not isinstance(payload, dict) or claim not in payload:
        return {"user": f"no {claim!r} claim"}
    return {"user": _user(**{jwt_settings.USER_ID_FIELD: payload[claim]})}


class Command(BaseCommand):
    help = "Inspect a token, session key or cookie with the project's settings and database."
    stealth_options = ("stdin",)

    def add_arguments(self, parser):
        parser.add_argument("value", help="the token, session key or cookie value ('-': standard input)")
        parser.add_argument("--cookie", metavar="NAME", help="the value is the signed cookie NAME (set_signed_cookie)")
        parser.add_argument("--salt", help="salt of a signed value (default: Django's usual ones)")
        parser.add_argument("--json", action="store_true", help="machine-readable output")

    def handle(self, *args, value, cookie, salt, json, **options):
        if value == "-":
            value = (options.get("stdin") or sys.stdin).read(inspect.MAX_VALUE + 2)
        try:
            result = inspect.inspect_value(
                value,
                key=settings.SECRET_KEY,
                salt=salt,
                cookie=cookie,
                fallback_keys=settings.SECRET_KEY_FALLBACKS,
                jwt_key=_jwt_key(),
            )
        except inspect.InspectError as e:
            raise CommandError(str(e), returncode=2) from None
        kind, stripped = result["kind"], value.strip()
        if kind in ("token", "drf"):
            result["database"] = _token_rows(stripped)
        elif kind == "session":
            result["database"] = _session_rows(stripped)
        elif kind == "jwt":
            result["database"] = _jwt_rows(result)
        self.stdout.write(inspect.report(result, json))
        status = inspect.exit_status(result, True)
        if status:
            raise CommandError("the value does not verify with this project's keys, or has expired", returncode=status)
