"""SimpleJWT as the oracle, under changing settings.

SimpleJWT reads most of its configuration at import: every module holds
the ``api_settings`` object it imported (its ``setting_changed`` receiver
rebinds only ``settings.api_settings``), ``state.token_backend`` is built
once, token lifetimes and ``AUTH_HEADER_TYPES`` are class or module
attributes. :func:`simplejwt_settings` rebuilds all of that for a
``SIMPLE_JWT`` dict and puts it back afterwards, so sesstok and SimpleJWT
run side by side on the same settings inside one test.

:func:`frozen` freezes both libraries' clocks and makes their ``jti``\\ s
come from one counter, so their tokens can be compared byte for byte.
"""

import contextlib
import itertools
from datetime import datetime, timezone
from unittest import mock

from django.test import override_settings

_MODULES = (
    "settings",
    "tokens",
    "authentication",
    "serializers",
    "views",
    "models",
    "state",
    "backends",
)


@contextlib.contextmanager
def simplejwt_settings(simple_jwt=None, **django_settings):
    """override_settings(SIMPLE_JWT=simple_jwt, **django_settings), with
    SimpleJWT's import-time state rebuilt for it."""
    import importlib

    # imported before the override: a module first imported under it would
    # keep the overridden api_settings for good (mock.patch restores that)
    modules = [importlib.import_module(f"rest_framework_simplejwt.{name}") for name in _MODULES]
    overrides = dict(django_settings)
    if simple_jwt is not None:
        overrides["SIMPLE_JWT"] = simple_jwt
    with override_settings(**overrides), contextlib.ExitStack() as stack:
        from rest_framework_simplejwt import settings as sj_settings

        api = sj_settings.APISettings(simple_jwt or {}, sj_settings.DEFAULTS, sj_settings.IMPORT_STRINGS)
        if "SIGNING_KEY" not in (simple_jwt or {}):
            from django.conf import settings

            api._user_settings = {**api.user_settings, "SIGNING_KEY": settings.SECRET_KEY}
        for module in modules:
            if hasattr(module, "api_settings"):
                stack.enter_context(mock.patch.object(module, "api_settings", api))
        from rest_framework_simplejwt import authentication, backends, state, tokens

        backend = backends.TokenBackend(
            api.ALGORITHM,
            api.SIGNING_KEY,
            api.VERIFYING_KEY,
            api.AUDIENCE,
            api.ISSUER,
            api.JWK_URL,
            api.LEEWAY,
            api.JSON_ENCODER,
        )
        stack.enter_context(mock.patch.object(state, "token_backend", backend))
        from django.apps import apps

        if apps.is_installed("rest_framework_simplejwt.token_blacklist"):
            # serializers.py imports it at import time only if BLACKLIST_AFTER_ROTATION was on
            from rest_framework_simplejwt import serializers
            from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken

            stack.enter_context(mock.patch.object(serializers, "BlacklistedToken", BlacklistedToken, create=True))
        for cls, lifetime in (
            (tokens.AccessToken, api.ACCESS_TOKEN_LIFETIME),
            (tokens.RefreshToken, api.REFRESH_TOKEN_LIFETIME),
            (tokens.SlidingToken, api.SLIDING_TOKEN_LIFETIME),
        ):
            stack.enter_context(mock.patch.object(cls, "lifetime", lifetime))
        no_copy = (api.TOKEN_TYPE_CLAIM, "exp", api.JTI_CLAIM, "jti", "iat")
        stack.enter_context(mock.patch.object(tokens.RefreshToken, "no_copy_claims", no_copy))
        types = api.AUTH_HEADER_TYPES
        if not isinstance(types, (list, tuple)):
            types = (types,)
        stack.enter_context(mock.patch.object(authentication, "AUTH_HEADER_TYPES", types))
        stack.enter_context(mock.patch.object(authentication, "AUTH_HEADER_TYPE_BYTES", {t.encode() for t in types}))
        yield api


@contextlib.contextmanager
def frozen(at=None):
    """Freeze SimpleJWT's and sesstok's clocks at `at` (default: now, plus a
    quarter second past the whole second); jti values from a counter
    ("0000...0001", ...) that starts afresh in each frozen() block."""
    import time

    from rest_framework_simplejwt import tokens as sj_tokens

    if at is None:
        at = int(time.time()) + 0.25

    from sesstok import refresh_tokens

    counter = itertools.count(1)

    def jti():
        return f"{next(counter):032x}"

    class _UUID:
        def __init__(self):
            self.hex = jti()

    moment = datetime.fromtimestamp(at, tz=timezone.utc)
    with (
        mock.patch.object(sj_tokens, "aware_utcnow", lambda: moment),
        mock.patch.object(sj_tokens, "uuid4", _UUID),
        mock.patch.object(refresh_tokens, "_now", lambda: at),
        mock.patch.object(refresh_tokens, "new_jti", jti),
        mock.patch("time.time", lambda: at),
    ):
        yield counter
