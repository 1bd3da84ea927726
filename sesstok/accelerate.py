"""Run Django's own ``django.core.signing`` on sesstok's C core.

``accelerate_django()`` replaces, in place, the methods of Django's
``Signer`` and ``TimestampSigner`` and the module functions ``dumps``,
``loads``, ``b64_encode``, ``b64_decode``, ``b62_encode``, ``b62_decode`` and
``base64_hmac``. Objects created before the call and subclasses benefit too.
It also puts :func:`sesstok.crypto.get_random_string` (C) in place of
``django.utils.crypto.get_random_string`` and of the copies imported by name
where Django draws session keys (``django.contrib.sessions.backends.base``)
and CSRF secrets (``django.middleware.csrf``).
A subclass that overrides any signer method keeps Django's code for its
calls (the overrides stay in charge); so does a custom serializer.
``restore_django()`` puts every original back. In settings::

    SESSTOK = {"ACCELERATE_DJANGO_SIGNING": True}

or call ``sesstok.accelerate_django()`` once at start-up.
"""

import functools

from django.contrib.sessions.backends import base as _sessions_base
from django.core import signing as _django
from django.middleware import csrf as _csrf
from django.utils import crypto as _django_crypto

from . import _core, crypto
from . import signing as _signing

_SIGNER_METHODS = ("signature", "sign", "unsign", "sign_object", "unsign_object")
_MODULE_FUNCTIONS = {
    "dumps": _core.dumps,
    "loads": _core.loads,
    "b64_encode": _signing.b64_encode,
    "b64_decode": _signing.b64_decode,
    "b62_encode": _signing.b62_encode,
    "b62_decode": _signing.b62_decode,
    "base64_hmac": _signing.base64_hmac,
}

_saved = {}  # (owner, name) -> original attribute, or _MISSING
_MISSING = object()


def _methods(timestamp):
    """Replacements for Django's signer methods. The C core reads the signer's
    attributes and calls any method a subclass overrides, as Django does."""
    serializer = _django.JSONSerializer

    def signature(self, value, key=None):
        return _core.django_signature(self, timestamp, value, key)

    def sign(self, value):
        return _core.django_sign(self, timestamp, value)

    if timestamp:

        def unsign(self, value, max_age=None):
            return _core.django_unsign(self, True, value, max_age)

    else:

        def unsign(self, signed_value):
            return _core.django_unsign(self, False, signed_value)

    def sign_object(self, obj, serializer=serializer, compress=False):
        return _core.django_sign_object(self, timestamp, obj, serializer, compress)

    def unsign_object(self, signed_obj, serializer=serializer, **kwargs):
        return _core.django_unsign_object(self, timestamp, signed_obj, serializer, **kwargs)

    return {
        "signature": signature,
        "sign": sign,
        "unsign": unsign,
        "sign_object": sign_object,
        "unsign_object": unsign_object,
    }


def _plan():
    signer, ts = _methods(False), _methods(True)
    plan = [(_django.Signer, name, signer[name]) for name in _SIGNER_METHODS]
    # TimestampSigner gets its own object methods too: they run with its semantics
    plan += [(_django.TimestampSigner, name, ts[name]) for name in ("sign", "unsign", "sign_object", "unsign_object")]
    plan += [(_django, name, replacement) for name, replacement in _MODULE_FUNCTIONS.items()]
    plan += [
        (module, "get_random_string", crypto.get_random_string) for module in (_django_crypto, _sessions_base, _csrf)
    ]
    return plan


def accelerate_django():
    """Patch django.core.signing to run on the C core. Return False if it
    already was, True otherwise."""
    if _saved:
        return False
    for owner, name, replacement in _plan():
        original = owner.__dict__.get(name, _MISSING)
        if original is not _MISSING and isinstance(owner, type):
            functools.update_wrapper(replacement, original)
            replacement.__sesstok_original__ = original
        _saved[(owner, name)] = original
        setattr(owner, name, replacement)
    return True


def restore_django():
    """Undo accelerate_django(). Return False if it was not in effect."""
    if not _saved:
        return False
    for (owner, name), original in _saved.items():
        if original is _MISSING:
            delattr(owner, name)
        else:
            setattr(owner, name, original)
    _saved.clear()
    return True


def is_accelerated():
    return bool(_saved)
