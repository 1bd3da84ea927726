"""System checks for the JWT settings (``SIMPLE_JWT`` and sesstok's JWT keys).

A bad key or algorithm is an error at start-up (``manage.py check``,
``runserver``, ``migrate``, the test runner), not a 500 on every request.
Registered by ``SesstokConfig.ready()`` (and when this module is imported);
``prepare_keys()`` is also called there, so RS/PS/ES/EdDSA keys are parsed
once at start-up under any server.

======  ==============================================================================
E101    a setting SimpleJWT removed is present (SimpleJWT raises RuntimeError for it)
E102    ALGORITHM is not one sesstok (and SimpleJWT) supports
E103    SIGNING_KEY or VERIFYING_KEY cannot be used with ALGORITHM: unparsable, the
        wrong kind, or too short (RSA below 2048 bits; HMAC keys: sesstok.E004)
E104    an import-path setting (AUTH_TOKEN_CLASSES, TOKEN_USER_CLASS,
        USER_AUTHENTICATION_RULE, JSON_ENCODER, the serializers) cannot be imported
E105    SESSTOK["REFRESH_BLACKLIST"] is not "auto", "sesstok" or "simplejwt", or
        "simplejwt" without rest_framework_simplejwt.token_blacklist installed
E106    the JWT cookie settings are wrong: SameSite not Lax/Strict/None, SameSite=None
        without Secure, or (DEBUG off) Secure off
E107    LEEWAY or a lifetime has the wrong type
======  ==============================================================================

Plain Django: no DRF import (serializer paths are checked only when DRF is
installed).
"""

import importlib.util
from datetime import timedelta

from django.apps import apps
from django.conf import settings
from django.core import checks

from ... import jwt
from ...conf import sesstok_settings
from ...exceptions import PyJWTError
from ...jwt_settings import IMPORT_STRINGS, REMOVED_SETTINGS, jwt_settings, resolve
from ...simplejwt import backend

__all__ = ["check_jwt_settings", "prepare_keys"]

TAG = "sesstok"

_SERIALIZERS = (
    "TOKEN_OBTAIN_SERIALIZER",
    "TOKEN_REFRESH_SERIALIZER",
    "TOKEN_VERIFY_SERIALIZER",
    "TOKEN_BLACKLIST_SERIALIZER",
    "SLIDING_TOKEN_OBTAIN_SERIALIZER",
    "SLIDING_TOKEN_REFRESH_SERIALIZER",
)
_DURATIONS = (
    "LEEWAY",
    "ACCESS_TOKEN_LIFETIME",
    "REFRESH_TOKEN_LIFETIME",
    "SLIDING_TOKEN_LIFETIME",
    "SLIDING_TOKEN_REFRESH_LIFETIME",
)


def _error(msg, id, hint=None):
    return checks.Error(msg, hint=hint, id=id)


def prepare_keys():
    """Parse SIGNING_KEY and VERIFYING_KEY now (once; kept until a setting
    changes). Raises what the key parsing raises."""
    backend.encoder()
    backend.decoder()


def _check_keys():
    algorithm = jwt_settings.ALGORITHM
    if not isinstance(algorithm, str) or algorithm not in jwt.ALGORITHMS or algorithm.lower() == "none":
        return [
            _error(
                f"SIMPLE_JWT['ALGORITHM'] is {algorithm!r}, which sesstok does not support.",
                "sesstok.E102",
                hint="Use one of HS256/384/512, RS256/384/512, PS256/384/512, ES256/384/512, EdDSA.",
            )
        ]
    if algorithm.startswith("HS"):
        return []  # HMAC keys: sesstok.E004 (sesstok.checks)
    if not jwt_settings.VERIFYING_KEY and not jwt_settings.JWK_URL:
        return []  # no public key at all: sesstok.E004
    errors = []
    for setting, build in (("SIGNING_KEY", backend.encoder), ("VERIFYING_KEY", backend.decoder)):
        if setting == "VERIFYING_KEY" and jwt_settings.JWK_URL:
            continue  # fetched at first use
        if setting == "SIGNING_KEY" and not jwt_settings.is_set("SIGNING_KEY"):
            continue  # verification only: no signing key (sesstok would fall back to SECRET_KEY)
        try:
            build()  # prepared and kept: the key is parsed once, here
        except (PyJWTError, ValueError, TypeError) as e:
            errors.append(
                _error(
                    f"SIMPLE_JWT['{setting}'] cannot be used with {algorithm}: {e}",
                    "sesstok.E103",
                    hint="A PEM or DER key of the algorithm's type (RSA keys of at least 2048 bits), or a JWK.",
                )
            )
    return errors


def _check_imports():
    errors = []
    names = list(IMPORT_STRINGS)
    if importlib.util.find_spec("rest_framework") is not None:
        names += _SERIALIZERS
    for name in names:
        value = jwt_settings.raw(name)
        values = value if isinstance(value, (list, tuple)) else [value]
        for item in values:
            if item is None:
                continue
            try:
                resolve(item)
            except ImportError as e:
                errors.append(
                    _error(f"SIMPLE_JWT['{name}'] names {item!r}, which cannot be imported: {e}", "sesstok.E104")
                )
    return errors


@checks.register(TAG)
def check_jwt_settings(app_configs=None, **kwargs):
    errors = []
    simple = getattr(settings, "SIMPLE_JWT", None) or {}
    for name in REMOVED_SETTINGS:
        if name in simple:
            errors.append(
                _error(
                    f"SIMPLE_JWT['{name}'] was removed from SimpleJWT.",
                    "sesstok.E101",
                    hint="See SimpleJWT's settings documentation for its replacement.",
                )
            )
    for name in _DURATIONS:
        value = jwt_settings.raw(name)
        if not isinstance(value, (int, float, timedelta)) or isinstance(value, bool):
            if not (name == "LEEWAY" and value is None):
                errors.append(
                    _error(
                        f"SIMPLE_JWT['{name}'] must be a timedelta or a number of seconds: {value!r}.", "sesstok.E107"
                    )
                )
    if errors:
        return errors
    errors += _check_keys()
    errors += _check_imports()
    mode = sesstok_settings.REFRESH_BLACKLIST
    if mode not in ("auto", "sesstok", "simplejwt"):
        errors.append(
            _error(f"SESSTOK['REFRESH_BLACKLIST'] must be 'auto', 'sesstok' or 'simplejwt': {mode!r}.", "sesstok.E105")
        )
    elif mode == "simplejwt" and not apps.is_installed("rest_framework_simplejwt.token_blacklist"):
        errors.append(
            _error(
                "SESSTOK['REFRESH_BLACKLIST'] is 'simplejwt' but its app is not installed.",
                "sesstok.E105",
                hint="Add 'rest_framework_simplejwt.token_blacklist' to INSTALLED_APPS.",
            )
        )
    if sesstok_settings.JWT_AUTH_COOKIE or sesstok_settings.JWT_REFRESH_COOKIE:
        samesite = sesstok_settings.JWT_COOKIE_SAMESITE
        if samesite not in ("Lax", "Strict", "None"):
            errors.append(
                _error(
                    f"SESSTOK['JWT_COOKIE_SAMESITE'] must be 'Lax', 'Strict' or 'None': {samesite!r}.", "sesstok.E106"
                )
            )
        elif samesite == "None" and not sesstok_settings.JWT_COOKIE_SECURE:
            errors.append(
                _error(
                    "SESSTOK['JWT_COOKIE_SAMESITE'] is 'None' without JWT_COOKIE_SECURE: browsers refuse it.",
                    "sesstok.E106",
                )
            )
        if not settings.DEBUG and not sesstok_settings.JWT_COOKIE_SECURE:
            errors.append(
                _error(
                    "SESSTOK['JWT_COOKIE_SECURE'] is False while DEBUG is off: tokens would travel over plain HTTP.",
                    "sesstok.E106",
                )
            )
    return errors
