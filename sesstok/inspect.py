"""``python -m sesstok inspect VALUE``: what is this token or cookie?

Tells apart, by shape:

- a **JWT** (JWS compact serialization: three base64url segments): header,
  payload, the time claims (``iat``, ``nbf``, ``exp``) as UTC dates with age
  or time left; with a key, whether the signature verifies (``sesstok.jwt``,
  the algorithm of the header only, never ``none``);
- a **Django signed value** (``django.core.signing.dumps``, a signed-cookie
  session, ``TimestampSigner``/``Signer`` output): payload (decompressed
  and decoded when it is ``dumps`` JSON), timestamp and age; with a key,
  whether the signature verifies under the salt (``--salt``; tried without
  one: ``dumps``'s, the signed-cookie session engine's, ``Signer``'s);
- a **Django signed cookie** (``HttpResponse.set_signed_cookie``): with
  ``--cookie NAME`` (and ``--salt`` if one was given to
  ``set_signed_cookie``), verified with the project's ``SECRET_KEY`` as
  ``request.get_signed_cookie`` does (Django's own code derives the cookie
  key and salt);
- a **sesstok API token**, an imported **DRF key** or a **database session
  key** (32 characters a-z 0-9, the ``db``/``cache``/``file`` engines):
  random, they carry nothing; shown is the digest the database keeps (for a
  token). ``manage.py sesstok_inspect`` looks them up in the project's
  database.

The key (``SECRET_KEY`` for signed values) comes from ``--key-file F`` or ``--key-env NAME``. ``--key K`` is
accepted with a warning (it lands in shell history and the process list);
``VALUE`` may be ``-`` to read the value from standard input, for the same
reason. Exit status: 0 when the value was read (and, with a key, verified),
1 when a key was given and the value does not verify (or has expired),
2 when the value is not something this command knows.
"""

import base64
import binascii
import datetime
import json
import re
import zlib

__all__ = ["InspectError", "inspect_value", "render", "exit_status", "SESSION_SALT", "DEFAULT_SALTS"]

MAX_VALUE = 64 * 1024  # characters
MAX_DECOMPRESSED = 1024 * 1024  # bytes of a compressed signed payload shown

SESSION_SALT = "django.contrib.sessions.backends.signed_cookies"
DEFAULT_SALTS = (
    ("django.core.signing", "signing.dumps / loads default"),
    (SESSION_SALT, "signed-cookie session engine"),
    ("django.core.signing.Signer", "Signer default"),
    ("django.core.signing.TimestampSigner", "TimestampSigner default"),
)

_B64URL = re.compile(r"[A-Za-z0-9_-]*")
_B62 = re.compile(r"[0-9A-Za-z]+")
_SESSION_KEYS = {"_auth_user_id", "_auth_user_backend", "_auth_user_hash", "_sesstok_sid", "_sesstok_epoch"}


class InspectError(ValueError):
    """The value is not a JWT, a Django signed value or a sesstok token."""


def _b64decode(segment, what):
    if not _B64URL.fullmatch(segment):
        raise InspectError(f"{what} is not base64url (characters outside A-Z a-z 0-9 - _)")
    try:
        return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
    except (binascii.Error, ValueError):
        raise InspectError(f"{what} is not valid base64url") from None


def _json(data, what):
    try:
        return json.loads(data)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise InspectError(f"{what} is not JSON") from None


def _when(timestamp, now):
    """An ISO date and a relative description of a Unix time."""
    try:
        moment = datetime.datetime.fromtimestamp(timestamp, datetime.timezone.utc)
    except (OverflowError, OSError, ValueError, TypeError):
        return {"value": timestamp, "utc": None, "relative": "not a valid time"}
    delta = timestamp - now
    return {
        "value": timestamp,
        "utc": moment.isoformat(timespec="seconds").replace("+00:00", "Z"),
        "relative": _relative(delta),
    }


def _relative(delta):
    size = abs(delta)
    for unit, seconds in (("day", 86400), ("h", 3600), ("min", 60)):
        if size >= seconds:
            amount = size / seconds
            text = f"{amount:.0f} {unit}{'s' if unit == 'day' and round(amount) != 1 else ''}"
            break
    else:
        text = f"{size:.0f} s"
    return f"in {text}" if delta > 0 else f"{text} ago"


# ---- JWT -----------------------------------------------------------------------------


def _inspect_jwt(value, key, now):
    parts = value.split(".")
    if len(parts) == 5:
        raise InspectError("five segments: a JWE (encrypted JWT); only signed JWTs (JWS) can be inspected")
    head, body, signature = parts
    header = _json(_b64decode(head, "the JWT header"), "the JWT header")
    if not isinstance(header, dict):
        raise InspectError("the JWT header is not a JSON object")
    raw_payload = _b64decode(body, "the JWT payload")
    _b64decode(signature, "the JWT signature")
    try:
        payload = json.loads(raw_payload)
    except (ValueError, UnicodeDecodeError, RecursionError):
        payload = None
    result = {
        "kind": "jwt",
        "description": "JSON Web Token (JWS compact serialization)",
        "header": header,
        "payload": payload if payload is not None else raw_payload.decode("utf-8", "replace"),
        "times": {},
    }
    if isinstance(payload, dict):
        for claim in ("iat", "nbf", "exp", "refresh_exp"):
            if isinstance(payload.get(claim), (int, float)) and not isinstance(payload.get(claim), bool):
                result["times"][claim] = _when(payload[claim], now)
        exp = payload.get("exp")
        if isinstance(exp, (int, float)) and not isinstance(exp, bool):
            result["expired"] = exp <= now
        token_type = payload.get("token_type")
        if token_type:
            result["description"] += f", SimpleJWT {token_type} token"
    alg = header.get("alg")
    if not isinstance(alg, str) or alg.lower() == "none":
        result["verification"] = {"ok": False, "detail": "unsigned (alg none): never accepted"}
        return result
    if key is not None:
        result["verification"] = _verify_jwt(value, key, alg)
    return result


def _verify_jwt(value, key, alg):
    from . import jwt
    from .exceptions import InvalidTokenError

    options = {
        "verify_exp": False,
        "verify_nbf": False,
        "verify_iat": False,
        "verify_aud": False,
        "verify_iss": False,
    }
    try:
        jwt.decode(value, key, algorithms=[alg], options=options)
    except InvalidTokenError as e:
        return {"ok": False, "detail": f"does not verify: {e}"}
    except (ValueError, TypeError) as e:  # an unusable key
        return {"ok": False, "detail": f"key refused: {e}"}
    return {"ok": True, "detail": f"signature verifies ({alg})"}


# ---- Django signed values ----------------------------------------------------------------


def _split_signed(value):
    """(payload, timestamp or None, signature) of a Django signed value."""
    if ":" not in value:
        raise InspectError("no ':' separator, no dots: not a JWT and not a Django signed value")
    rest, _, signature = value.rpartition(":")
    if not _B64URL.fullmatch(signature) or len(signature) not in (27, 43, 64, 86):
        raise InspectError("the part after the last ':' is not an HMAC signature (base64url of SHA-1/256/384/512)")
    payload, sep, timestamp = rest.rpartition(":")
    if sep and _B62.fullmatch(timestamp) and len(timestamp) <= 11:
        return payload, timestamp, signature
    return rest, None, signature


def _decode_dumps(payload):
    """The JSON object signing.dumps put in payload, or None if it is not one."""
    compressed = payload.startswith(".")
    data = payload[1:] if compressed else payload
    if not _B64URL.fullmatch(data):
        return None, compressed
    try:
        raw = base64.urlsafe_b64decode(data + "=" * (-len(data) % 4))
    except (binascii.Error, ValueError):
        return None, compressed
    if compressed:
        inflater = zlib.decompressobj()
        try:
            raw = inflater.decompress(raw, MAX_DECOMPRESSED + 1)
        except zlib.error:
            raise InspectError("the payload is marked compressed but is not zlib data") from None
        if len(raw) > MAX_DECOMPRESSED:
            raise InspectError(f"the payload decompresses to more than {MAX_DECOMPRESSED} bytes")
    try:
        return json.loads(raw), compressed
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None, compressed


def _inspect_signed(value, key, salt, now, cookie=None, fallback_keys=()):
    from .signing import b62_decode

    payload, timestamp, signature = _split_signed(value)
    decoded, compressed = _decode_dumps(payload)
    result = {"kind": "signed", "times": {}}
    if decoded is not None:
        session = isinstance(decoded, dict) and (set(decoded) & _SESSION_KEYS or not decoded)
        result["description"] = (
            "Django signed-cookie session (signing.dumps, salt of the signed_cookies engine)"
            if session
            else "Django signing.dumps value"
        ) + (", zlib-compressed" if compressed else "")
        result["payload"] = decoded
        if isinstance(decoded, dict) and "_sesstok_sid" in decoded:
            result["description"] += ", revocable (sesstok session id)"
    else:
        result["description"] = "Django Signer value" if timestamp is None else "Django TimestampSigner value"
        result["payload"] = payload
    if timestamp is not None:
        try:
            result["times"]["signed"] = _when(b62_decode(timestamp), now)
        except ValueError:
            raise InspectError("the timestamp is not base62") from None
    algorithm = {27: "sha1", 43: "sha256", 64: "sha384", 86: "sha512"}[len(signature)]
    result["algorithm"] = algorithm
    if cookie is not None:
        result["description"] = f"Django signed cookie {cookie!r} (set_signed_cookie)"
        if key is not None:
            result["verification"] = _verify_cookie(value, key, cookie, salt, fallback_keys)
    elif key is not None:
        result["verification"] = _verify_signed(
            value,
            key,
            salt,
            timestamp is not None,
            algorithm,
            session=decoded is not None and "session" in result["description"],
            fallback_keys=fallback_keys,
        )
    return result


def _verify_cookie(value, key, cookie, salt, fallback_keys):
    """Verify as ``request.get_signed_cookie(cookie, salt=salt)`` with key as
    SECRET_KEY: Django's own code derives the cookie signer's key and salt."""
    _ensure_django()
    from django.core import signing
    from django.http import HttpRequest
    from django.test.utils import override_settings

    request = HttpRequest()
    request.COOKIES[cookie] = value
    salt = salt or ""
    with override_settings(SECRET_KEY=key, SECRET_KEY_FALLBACKS=list(fallback_keys)):
        try:
            request.get_signed_cookie(cookie, salt=salt)
        except signing.BadSignature:
            return {
                "ok": False,
                "detail": f"does not verify as the signed cookie {cookie!r} (salt {salt!r}) with this SECRET_KEY",
            }
    return {"ok": True, "detail": f"verifies as get_signed_cookie({cookie!r}, salt={salt!r}) with this SECRET_KEY"}


def _verify_signed(value, key, salt, timestamped, algorithm, session, fallback_keys=()):
    _ensure_django()
    from . import signing

    if salt is not None:
        candidates = [(salt, "given")]
    else:
        candidates = list(DEFAULT_SALTS)
        if session:  # the likeliest first
            candidates.sort(key=lambda c: c[0] != SESSION_SALT)
    cls = signing.TimestampSigner if timestamped else signing.Signer
    for candidate, label in candidates:
        signer = cls(key=key, salt=candidate, algorithm=algorithm, fallback_keys=list(fallback_keys))
        try:
            signer.unsign(value)
        except signing.BadSignature:
            continue
        return {
            "ok": True,
            "detail": f"signature verifies with salt {candidate!r} ({label}, {algorithm})",
            "salt": candidate,
        }
    tried = ", ".join(repr(c) for c, _ in candidates)
    return {"ok": False, "detail": f"does not verify with this key and salt {tried}"}


def _ensure_django():
    from django.conf import settings

    if not settings.configured:
        settings.configure(SECRET_KEY="sesstok-inspect-unused-key", SECRET_KEY_FALLBACKS=[], USE_TZ=True)


# ---- opaque tokens --------------------------------------------------------------------------


def _opaque(value):
    import hashlib

    digest = hashlib.sha256(value.encode()).hexdigest()
    if re.fullmatch(r"[a-z][a-z0-9]{0,10}_[A-Za-z0-9_-]{27,171}", value):
        kind, description = "token", f"sesstok API token (prefix {value.split('_', 1)[0]}_): random, carries no data"
    elif re.fullmatch(r"[0-9a-f]{40}", value):
        kind, description = "drf", "DRF authtoken key (40 hex digits): random, carries no data"
    elif re.fullmatch(r"[a-z0-9]{32}", value):  # django.contrib.sessions.backends.base.VALID_KEY_CHARS
        return {
            "kind": "session",
            "description": "Django session key (db, cache, cached_db or file engine): random, carries no data",
            "times": {},
            "note": "The session is stored server-side under this key (django_session.session_key for the "
            "database engines); manage.py sesstok_inspect reads it.",
        }
    else:
        return None
    return {
        "kind": kind,
        "description": description,
        "payload": {
            "digest_sha256": digest,
            "display_prefix": value[: value.find("_") + 5] if kind == "token" else value[:4],
        },
        "times": {},
        "note": "Look it up by its digest (sesstok_authtoken.digest); only a database knows whose it is.",
    }


# ---- entry points ------------------------------------------------------------------------------


def inspect_value(value, key=None, salt=None, now=None, *, cookie=None, fallback_keys=(), jwt_key=None):
    """A dict describing value (see render); raises InspectError for values
    that are none of the known kinds. ``key`` verifies signed values (a
    SECRET_KEY, tried with ``fallback_keys`` too) and, unless ``jwt_key``
    is given, JWTs; ``cookie`` names the cookie of a set_signed_cookie value."""
    import time

    now = time.time() if now is None else now
    if not isinstance(value, str):
        raise InspectError("the value must be text")
    value = value.strip()
    if not value:
        raise InspectError("the value is empty")
    if len(value) > MAX_VALUE:
        raise InspectError(f"the value is longer than {MAX_VALUE} characters")
    if not value.isascii() or any(c.isspace() for c in value):
        raise InspectError("the value contains spaces or non-ASCII characters: tokens and cookies never do")
    if value.count(".") in (2, 4) and ":" not in value and not value.startswith("."):
        return _inspect_jwt(value, key if jwt_key is None else jwt_key, now)
    opaque = _opaque(value)
    if opaque is not None:
        return opaque
    return _inspect_signed(value, key, salt, now, cookie, fallback_keys)


def _field(label, value):
    """One aligned report line: every value starts in column 17."""
    return f"{label + ':':<15} {value}"


def render(result):
    """The human-readable report of an inspect_value result."""
    lines = [_field("Kind", result["description"])]
    if "header" in result:
        lines += ["Header:", _indent(json.dumps(result["header"], indent=2, ensure_ascii=False))]
    payload = result.get("payload")
    if payload is not None:
        shown = json.dumps(payload, indent=2, ensure_ascii=False) if not isinstance(payload, str) else payload
        lines += ["Payload:", _indent(shown)]
    for name, when in result.get("times", {}).items():
        label = {
            "iat": "Issued",
            "nbf": "Not before",
            "exp": "Expires",
            "refresh_exp": "Refresh until",
            "signed": "Signed",
        }.get(name, name)
        lines.append(_field(label, f"{when['utc'] or when['value']} ({when['relative']})"))
    if result.get("expired"):
        lines.append(_field("Expired", "yes"))
    if "algorithm" in result:
        lines.append(_field("Algorithm", f"HMAC-{result['algorithm'].upper()}"))
    verification = result.get("verification")
    if verification is not None:
        lines.append(_field("Verification", f"{'OK' if verification['ok'] else 'FAILED'}: {verification['detail']}"))
    elif result["kind"] in ("jwt", "signed"):
        lines.append(_field("Verification", "not checked (no key: use --key-file or --key-env)"))
    database = result.get("database")
    if database is not None:
        lines += ["Database:"] + ["  " + _field(name, value) for name, value in database.items()]
    if result.get("note"):
        lines.append(result["note"])
    return "\n".join(lines)


def _indent(text):
    return "\n".join("  " + line for line in text.splitlines())


def read_key(args, warn):
    """The key from --key-file, --key-env or --key (with a warning), or None."""
    import os

    if args.key_file:
        try:
            with open(args.key_file, "rb") as f:
                data = f.read()
        except OSError as e:
            raise InspectError(f"cannot read the key file: {e.strerror}") from None
        if b"-----BEGIN" in data:
            return data
        return data.decode("utf-8").rstrip("\r\n")
    if args.key_env:
        key = os.environ.get(args.key_env)
        if key is None:
            raise InspectError(f"the environment variable {args.key_env} is not set")
        return key
    if args.key is not None:
        warn(
            "warning: a key typed on the command line lands in your shell history and the process list; "
            "prefer --key-file or --key-env"
        )
        return args.key
    return None


def main(args, stdin, stdout, stderr):
    """The ``inspect`` subcommand. Returns the exit status."""
    warn = lambda message: print(message, file=stderr)
    try:
        key = read_key(args, warn)
        value = stdin.read(MAX_VALUE + 2) if args.value == "-" else args.value
        result = inspect_value(value, key=key, salt=args.salt, cookie=getattr(args, "cookie", None))
    except InspectError as e:
        print(f"sesstok inspect: {e}", file=stderr)
        return 2
    print(report(result, args.json), file=stdout)
    return exit_status(result, key is not None)


def report(result, as_json):
    return json.dumps(result, indent=2, ensure_ascii=False, default=str) if as_json else render(result)


def exit_status(result, keyed):
    """0 read (and verified), 1 a key was given and it does not verify or the value expired."""
    verification = result.get("verification")
    if keyed and verification is not None and not verification["ok"]:
        return 1
    if keyed and result.get("expired"):
        return 1
    return 0
