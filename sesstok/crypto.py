"""A drop-in for ``django.utils.crypto`` on sesstok's C core.

Same names, signatures, defaults, return types and exceptions as the
installed Django's module::

    from sesstok.crypto import get_random_string, salted_hmac, constant_time_compare

- :func:`get_random_string` draws from the OS CSPRNG in C (rejection
  sampling: every character of ``allowed_chars`` equally likely, as
  ``secrets.choice``); an ``allowed_chars`` that is not a ``str`` takes
  Django's own code.
- :func:`salted_hmac` returns an :class:`hmac.HMAC` (a subclass: ``digest()``,
  ``hexdigest()``, ``update()``, ``copy()``, ``name``, ``digest_size``,
  ``block_size``) whose key is Django's derivation ``H(key_salt + secret)``,
  prepared in C and kept for the next call with the same salt and secret.
  An algorithm the C core lacks takes Django's own code, and so does a call
  without ``algorithm`` where the installed Django deprecates that (6.1+).
- :func:`constant_time_compare` is ``CRYPTO_memcmp`` after Django's
  ``force_bytes``; :func:`pbkdf2` is Django's (``hashlib.pbkdf2_hmac`` is
  OpenSSL already). :class:`InvalidAlgorithm` is Django's class itself.
"""

import hashlib
import hmac
import inspect

from django.conf import settings
from django.utils import crypto as _django
from django.utils.encoding import force_bytes

from . import _core

__all__ = [
    "InvalidAlgorithm",
    "RANDOM_STRING_CHARS",
    "constant_time_compare",
    "get_random_string",
    "pbkdf2",
    "salted_hmac",
]

InvalidAlgorithm = _django.InvalidAlgorithm
RANDOM_STRING_CHARS = _django.RANDOM_STRING_CHARS
pbkdf2 = _django.pbkdf2

# Django's functions as imported, before accelerate_django() replaces any
_django_get_random_string = _django.get_random_string
_django_salted_hmac = _django.salted_hmac

# "sha1" until Django 6.0; None from 6.1 (Django warns, then uses sha1): the
# installed Django's default, so a call without algorithm behaves as Django's
_DEFAULT_ALGORITHM = inspect.signature(_django_salted_hmac).parameters["algorithm"].default
_C_ALGORITHMS = frozenset(_core.HMAC_ALGORITHMS)
_block_sizes = {}  # algorithm -> hashlib's block size (what hmac.HMAC reports)
_keys = {}  # (key_salt, secret, algorithm) -> prepared HmacKey
_MAX_KEYS = 256  # distinct (salt, secret) pairs kept; the cache is emptied when full


def get_random_string(length, allowed_chars=RANDOM_STRING_CHARS):
    """``django.utils.crypto.get_random_string``, drawn in C."""
    if type(allowed_chars) is not str:
        return _django_get_random_string(length, allowed_chars)
    return _core.random_string(length, allowed_chars)


def constant_time_compare(val1, val2):
    """Return True if the two strings are equal, False otherwise."""
    return _core.compare_digest(force_bytes(val1), force_bytes(val2))


class SaltedHMAC(hmac.HMAC):
    """The ``hmac.HMAC`` :func:`salted_hmac` returns: the message is buffered
    and the MAC computed in C with the prepared key on ``digest()``."""

    __slots__ = ("_key", "_msg", "_algorithm")

    def __init__(self, key, msg, algorithm):  # no super().__init__: the key is prepared
        self._key = key
        self._msg = msg
        self._algorithm = algorithm
        self.digest_size = key.digest_size
        self.block_size = _block_sizes[algorithm]

    @property
    def name(self):
        return "hmac-" + self._algorithm

    def update(self, msg):
        self._msg += memoryview(msg)  # TypeError for str, as hmac.HMAC.update

    def copy(self):
        return SaltedHMAC(self._key, bytearray(self._msg), self._algorithm)

    def digest(self):
        return self._key.digest(self._msg)

    def hexdigest(self):
        return self._key.digest(self._msg).hex()


def salted_hmac(key_salt, value, secret=None, *, algorithm=_DEFAULT_ALGORITHM):
    """``django.utils.crypto.salted_hmac``: the HMAC of ``value`` keyed with
    ``H(key_salt + secret)`` (secret defaults to ``settings.SECRET_KEY``)."""
    if type(algorithm) is not str or algorithm not in _C_ALGORITHMS:
        return _django_salted_hmac(key_salt, value, secret, algorithm=algorithm)
    if secret is None:
        secret = settings.SECRET_KEY
    cache_key = (force_bytes(key_salt), force_bytes(secret), algorithm)
    key = _keys.get(cache_key)
    if key is None:
        if algorithm not in _block_sizes:
            _block_sizes[algorithm] = getattr(hashlib, algorithm)().block_size
        if len(_keys) >= _MAX_KEYS:
            _keys.clear()
        key = _keys[cache_key] = _core.HmacKey(cache_key[1], algorithm, salt=cache_key[0])
    return SaltedHMAC(key, bytearray(force_bytes(value)), algorithm)
