"""A drop-in for ``django.core.signing`` that runs on sesstok's C core.

Same public names, defaults, outputs, exception classes (Django's own
``BadSignature`` and ``SignatureExpired`` objects) and messages as the
installed Django, so values signed by either verify with the other::

    from sesstok import signing

    token = signing.dumps({"user": 42}, salt="invite")
    signing.loads(token, salt="invite", max_age=3600)

To make ``set_signed_cookie``/``get_signed_cookie`` use it::

    SIGNING_BACKEND = "sesstok.signing.TimestampSigner"

To run Django's own ``django.core.signing`` (sessions, the messages
framework, anything else) on the C core, see ``sesstok.accelerate_django()``.

Limits Django does not have (raised as :class:`PayloadTooLarge`, a
``BadSignature``): decompressed payloads above 64 MiB and JSON nested deeper
than 512 levels; change them with :func:`set_limits`.
"""

from django.conf import settings
from django.core import signing as _django

from . import _core

__all__ = [
    "BadSignature",
    "SignatureExpired",
    "PayloadTooLarge",
    "BASE62_ALPHABET",
    "b62_encode",
    "b62_decode",
    "b64_encode",
    "b64_decode",
    "base64_hmac",
    "get_cookie_signer",
    "JSONSerializer",
    "dumps",
    "loads",
    "Signer",
    "TimestampSigner",
    "set_limits",
    "get_limits",
]

BadSignature = _django.BadSignature
SignatureExpired = _django.SignatureExpired
JSONSerializer = _django.JSONSerializer
BASE62_ALPHABET = _django.BASE62_ALPHABET


class PayloadTooLarge(BadSignature, ValueError):
    """A correctly signed value exceeds a limit Django does not have
    (decompressed size or JSON nesting depth). A ``BadSignature``, so code
    that already handles tampered values handles these too (and a
    ``ValueError``, like the limit errors of the C core alone)."""


def _original(func):
    # accelerate_django() marks its replacements with the function it replaced.
    return getattr(func, "__sesstok_original__", func)


# Django's own functions, for the inputs the C core leaves to the general path.
_DJANGO = {
    "Signer_sign": _original(_django.Signer.sign),
    "Signer_unsign": _original(_django.Signer.unsign),
    "Signer_sign_object": _original(_django.Signer.sign_object),
    "base64_hmac": _original(_django.base64_hmac),
    "b64_encode": _original(_django.b64_encode),
    "b64_decode": _original(_django.b64_decode),
    "b62_encode": _original(_django.b62_encode),
    "b62_decode": _original(_django.b62_decode),
}

_core.install_django(
    settings=settings,
    BadSignature=BadSignature,
    SignatureExpired=SignatureExpired,
    JSONSerializer=JSONSerializer,
    sep_unsafe_match=_django._SEP_UNSAFE.match,
    Signer_sign=_DJANGO["Signer_sign"],
    Signer_unsign=_DJANGO["Signer_unsign"],
    Signer_sign_object=_DJANGO["Signer_sign_object"],
    base64_hmac=_DJANGO["base64_hmac"],
    b64_decode=_DJANGO["b64_decode"],
    b62_encode=_DJANGO["b62_encode"],
    b62_decode=_DJANGO["b62_decode"],
    PayloadTooLarge=PayloadTooLarge,
    Signer=_django.Signer,
    TimestampSigner=_django.TimestampSigner,
)

Signer = _core.Signer
TimestampSigner = _core.TimestampSigner
dumps = _core.dumps
loads = _core.loads
set_limits = _core.set_limits
get_limits = _core.get_limits


def b62_encode(s):
    try:
        return _core.b62_encode(s)
    except (TypeError, OverflowError):
        return _DJANGO["b62_encode"](s)


def b62_decode(s):
    try:
        return _core.b62_decode(s)
    except ValueError:
        return _DJANGO["b62_decode"](s)


def b64_encode(s):
    try:
        return _core.b64url_encode(s)
    except TypeError:
        return _DJANGO["b64_encode"](s)


def b64_decode(s):
    if type(s) is bytes:
        try:
            return _core.b64url_decode(s)
        except ValueError:
            pass
    return _DJANGO["b64_decode"](s)


# base64_hmac's default algorithm follows the installed Django ("sha1"; in
# Django 6.1+ None, which warns before using sha1).
_BASE64_HMAC_DEFAULT = _DJANGO["base64_hmac"].__defaults__[0]


def base64_hmac(salt, value, key, algorithm=_BASE64_HMAC_DEFAULT):
    if algorithm is None:
        return _DJANGO["base64_hmac"](salt, value, key)
    return _core.base64_hmac(salt, value, key, algorithm)


# The cookie helpers read settings.SIGNING_BACKEND and, from Django 5.2.15 and
# 6.0.x, namespace the salt; they are Django's own, so every version's
# behaviour (and SIGNED_COOKIE_LEGACY_SALT_FALLBACK) is followed exactly.
get_cookie_signer = _django.get_cookie_signer
for _name in (
    "_SEP_UNSAFE",
    "_cookie_signer_key",
    "_cookie_signer_salt",
    "_cookie_signer_legacy_salt",
    "_unsign_cookie",
):
    if hasattr(_django, _name):
        globals()[_name] = getattr(_django, _name)
del _name
