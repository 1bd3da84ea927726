"""Run Django's own ``django.core.signing`` on sesstok's C core.

``accelerate_django()`` replaces, in place, the methods of Django's
``Signer`` and ``TimestampSigner`` and the module functions ``dumps``,
``loads``, ``b64_encode``, ``b64_decode``, ``b62_encode``, ``b62_decode`` and
``base64_hmac``. Objects created before the call and subclasses benefit too.
A subclass that overrides any signer method keeps Django's code for its
calls (the overrides stay in charge); so does a custom serializer.
``restore_django()`` puts every original back. In settings::

    SESSTOK = {"ACCELERATE_DJANGO_SIGNING": True}

or call ``sesstok.accelerate_django()`` once at start-up.
"""

import functools

from django.core import signing as _django

from . import _core
from . import signing as _signing

_SIGNER_METHODS = ("signature", "sign", "unsign", "sign_object", "unsign_object", "timestamp")
_MODULE_FUNCTIONS = {
    "dumps": _core.dumps,
    "loads": _core.loads,
    "b64_encode": _signing.b64_encode,
    "b64_decode": _signing.b64_decode,
    "b62_encode": _signing.b62_encode,
    "b62_decode": _signing.b62_decode,
    "base64_hmac": _signing.base64_hmac,
}

_saved = {}  # (owner, name) -> original attribute


def _fast(cls, base):
    """Whether cls overrides none of the signer methods of base."""
    for name in _SIGNER_METHODS:
        if getattr(cls, name, None) is not getattr(base, name, None):
            return False
    return True


def _wrap(owner, name, timestamp):
    original = owner.__dict__[name]

    if name == "signature":
        # signature() has no virtual calls: always on the core

        def method(self, value, key=None):
            return _core.django_signer_call("signature", self, timestamp, value, key)

    else:

        def method(self, *args, **kwargs):
            if _fast(type(self), owner):
                return _core.django_signer_call(name, self, timestamp, *args, **kwargs)
            return original(self, *args, **kwargs)

    functools.update_wrapper(method, original)
    method.__sesstok_original__ = original
    return method


def accelerate_django():
    """Patch django.core.signing to run on the C core. Return False if it
    already was, True otherwise."""
    if _saved:
        return False
    plan = []
    for name in ("signature", "sign", "unsign", "sign_object", "unsign_object"):
        plan.append((_django.Signer, name, _wrap(_django.Signer, name, False)))
    for name in ("sign", "unsign"):
        plan.append((_django.TimestampSigner, name, _wrap(_django.TimestampSigner, name, True)))
    # the object methods inherited by TimestampSigner must run with its semantics
    for name in ("sign_object", "unsign_object"):
        method = _wrap_inherited(name)
        plan.append((_django.TimestampSigner, name, method))
    for name, replacement in _MODULE_FUNCTIONS.items():
        plan.append((_django, name, replacement))
    for owner, name, replacement in plan:
        _saved[(owner, name)] = owner.__dict__.get(name, _MISSING)
        setattr(owner, name, replacement)
    return True


_MISSING = object()


def _wrap_inherited(name):
    original = getattr(_django.Signer, name)

    def method(self, *args, **kwargs):
        if _fast(type(self), _django.TimestampSigner):
            return _core.django_signer_call(name, self, True, *args, **kwargs)
        return original(self, *args, **kwargs)

    functools.update_wrapper(method, original)
    method.__sesstok_original__ = original
    return method


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
