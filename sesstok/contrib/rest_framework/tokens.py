"""SimpleJWT's token classes, on sesstok's C core.

Same names, attributes and methods as ``rest_framework_simplejwt.tokens``
(``Token``, ``AccessToken``, ``RefreshToken``, ``SlidingToken``,
``UntypedToken``, ``BlacklistMixin``) and ``rest_framework_simplejwt.models``
(``TokenUser``), so code written against them (a custom
``TokenObtainPairSerializer.get_token`` adding claims, ``RefreshToken(raw)
.blacklist()`` in a logout view, ``AccessToken.for_user(user)`` in a test)
works after changing the import::

    from sesstok.contrib.rest_framework.tokens import RefreshToken

    refresh = RefreshToken.for_user(user)
    refresh["name"] = user.get_full_name()
    pair = {"refresh": str(refresh), "access": str(refresh.access_token)}

Differences, all in the strict direction: signatures are made and checked
by :mod:`sesstok.jwt` (keys prepared once); ``for_user`` adds sesstok's
``sst_ah`` claim (and ``sst_ep`` with ``SESSTOK["JWT_DENYLIST"]``);
``lifetime`` follows settings changes (SimpleJWT reads it at import); the
blacklist is available without SimpleJWT's app (sesstok's own table, see
:mod:`sesstok.refresh_tokens`); a token without ``jti`` is refused with
"Token has no id" where SimpleJWT's blacklist check raises ``KeyError``.

Plain Django: no DRF import.
"""

import logging
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone

from django.conf import settings
from django.contrib.auth import models as auth_models
from django.db.models.manager import EmptyManager
from django.utils.functional import cached_property

from ... import refresh_tokens as core
from ...exceptions import ExpiredTokenError, TokenError
from ...jwt_settings import jwt_settings
from ...simplejwt import backend

__all__ = [
    "Token",
    "AccessToken",
    "RefreshToken",
    "SlidingToken",
    "UntypedToken",
    "BlacklistMixin",
    "TokenUser",
    "TokenError",
    "ExpiredTokenError",
    "TokenBackend",
]

logger = logging.getLogger("sesstok")


def aware_utcnow():
    """SimpleJWT's ``utils.aware_utcnow`` on sesstok's clock."""
    return _from_epoch(core.now())


def _from_epoch(ts):
    value = datetime.fromtimestamp(ts, tz=dt_timezone.utc)
    return value if settings.USE_TZ else value.replace(tzinfo=None)


def datetime_to_epoch(dt):
    """SimpleJWT's ``utils.datetime_to_epoch``: whole seconds, UTC."""
    from calendar import timegm

    return timegm(dt.utctimetuple())


datetime_from_epoch = _from_epoch


class _Setting:
    """A class attribute that reads a setting at each access (SimpleJWT
    reads its lifetimes once, at import)."""

    def __init__(self, name):
        self.name = name

    def __get__(self, instance, owner):
        return getattr(jwt_settings, self.name)


class TokenBackend:
    """The part of SimpleJWT's ``TokenBackend`` that token code calls:
    ``encode``, ``decode`` and ``get_leeway``, on the prepared keys."""

    def encode(self, payload):
        return backend.encode(payload)

    def decode(self, token, verify=True):
        return backend.decode(token, verify)

    def get_leeway(self):
        return timedelta(seconds=backend.leeway())


token_backend = TokenBackend()


class Token:
    """A JWT to check (``Token(raw)``) or to build (``Token()``); see
    SimpleJWT's ``Token``."""

    token_type = None
    lifetime = None

    def __init__(self, token=None, verify=True):
        if self.token_type is None or self.lifetime is None:
            raise TokenError("Cannot create token with no type or lifetime")
        self.token = token
        self._time = core.now()
        if token is not None:
            if isinstance(token, (bytes, bytearray)):
                try:
                    token = bytes(token).decode()
                except UnicodeDecodeError:
                    raise TokenError() from None
            if not isinstance(token, str):
                raise TokenError()
            self.payload = backend.decode(token, verify)
            if not isinstance(self.payload, dict):
                raise TokenError()
            if verify:
                self.verify()
        else:
            type_claim = jwt_settings.TOKEN_TYPE_CLAIM
            self.payload = {} if type_claim is None else {type_claim: self.token_type}
            self.set_exp(from_time=self.current_time, lifetime=self.lifetime)
            self.set_iat(at_time=self.current_time)
            self.set_jti()

    @classmethod
    def from_verified(cls, raw, payload, now=None):
        """An instance for an already verified payload (the fast path); now
        None: the clock is read when first needed."""
        token = cls.__new__(cls)
        token.token = raw
        token._time = now
        token.payload = payload
        return token

    @cached_property
    def current_time(self):
        if self._time is None:
            self._time = core.now()
        return _from_epoch(self._time)

    def __repr__(self):
        return repr(self.payload)

    def __getitem__(self, key):
        return self.payload[key]

    def __setitem__(self, key, value):
        self.payload[key] = value

    def __delitem__(self, key):
        del self.payload[key]

    def __contains__(self, key):
        return key in self.payload

    def get(self, key, default=None):
        return self.payload.get(key, default)

    def __str__(self):
        """The signed token."""
        return core.encode(self.payload)

    def verify(self):
        """Checks not done while decoding: exp (required), jti, token type."""
        self.check_exp()
        if jwt_settings.JTI_CLAIM is not None and jwt_settings.JTI_CLAIM not in self.payload:
            raise TokenError("Token has no id")
        if jwt_settings.TOKEN_TYPE_CLAIM is not None:
            self.verify_token_type()

    def verify_token_type(self):
        try:
            token_type = self.payload[jwt_settings.TOKEN_TYPE_CLAIM]
        except KeyError:
            raise TokenError("Token has no type") from None
        if self.token_type != token_type:
            raise TokenError("Token has wrong type")

    def set_jti(self):
        if jwt_settings.JTI_CLAIM is not None:
            self.payload[jwt_settings.JTI_CLAIM] = core.new_jti()

    def set_exp(self, claim="exp", from_time=None, lifetime=None):
        if from_time is None:
            from_time = self.current_time
        if lifetime is None:
            lifetime = self.lifetime
        self.payload[claim] = datetime_to_epoch(from_time + lifetime)

    def set_iat(self, claim="iat", at_time=None):
        if at_time is None:
            at_time = self.current_time
        self.payload[claim] = datetime_to_epoch(at_time)

    def check_exp(self, claim="exp", current_time=None):
        if current_time is None:
            # SimpleJWT reads self.current_time, which callers may assign
            current_time = self.__dict__.get("current_time")
        if current_time is not None:
            now = datetime_to_epoch(current_time) + current_time.microsecond / 1e6
        else:
            if self._time is None:
                self._time = core.now()
            now = self._time
        core.check_exp(self.payload, claim, now=now)

    def outstand(self):
        return None

    @classmethod
    def for_user(cls, user):
        """A new token for user: SimpleJWT's claims (user id, and the revoke
        claim with CHECK_REVOKE_TOKEN), plus sesstok's ``sst_ah``/``sst_ep``."""
        if hasattr(user, "is_active") and not user.is_active:
            logger.warning("Creating token for inactive user: %s.", user.pk)
        token = cls()
        p = core.params()
        token.payload.update(core.user_claims(user, p, None))
        return token

    @property
    def token_backend(self):
        return token_backend

    def get_token_backend(self):
        return token_backend


class BlacklistMixin:
    """Refresh and sliding tokens: checked against the blacklist on
    ``verify()``; ``blacklist()`` and ``outstand()`` (see
    :mod:`sesstok.refresh_tokens` for which tables)."""

    def verify(self, *args, **kwargs):
        self.check_blacklist()
        super().verify(*args, **kwargs)

    def check_blacklist(self):
        jti = self.payload.get(jwt_settings.JTI_CLAIM)
        if jti is None:
            raise TokenError("Token has no id")
        if core.is_blacklisted(jti):
            raise TokenError("Token is blacklisted")

    def blacklist(self):
        """Put this token on the blacklist; returns ``(row, created)``, what
        SimpleJWT 5.3-5.5.1 returns (``get_or_create``'s result, despite its
        annotation)."""
        return core.blacklist_payload(self.payload, str(self), None, self._time)

    def outstand(self):
        """Record this token in SimpleJWT's OutstandingToken (with its tables;
        sesstok's own need no record)."""
        if core.blacklist_tables() != "simplejwt":
            return None
        return core.outstand(self.payload, str(self), None, self._time, lookup=True)

    @classmethod
    def for_user(cls, user):
        token = super().for_user(user)
        if core.blacklist_tables() == "simplejwt":
            core.outstand(token.payload, str(token), user, token._time)
        return token


class SlidingToken(BlacklistMixin, Token):
    token_type = "sliding"
    lifetime = _Setting("SLIDING_TOKEN_LIFETIME")

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.token is None:
            self.set_exp(
                jwt_settings.SLIDING_TOKEN_REFRESH_EXP_CLAIM,
                from_time=self.current_time,
                lifetime=jwt_settings.SLIDING_TOKEN_REFRESH_LIFETIME,
            )


class AccessToken(Token):
    token_type = "access"
    lifetime = _Setting("ACCESS_TOKEN_LIFETIME")


class _NoCopy:
    def __get__(self, instance, owner):
        return (jwt_settings.TOKEN_TYPE_CLAIM, "exp", jwt_settings.JTI_CLAIM, "jti", "iat")


class RefreshToken(BlacklistMixin, Token):
    token_type = "refresh"
    lifetime = _Setting("REFRESH_TOKEN_LIFETIME")
    no_copy_claims = _NoCopy()
    access_token_class = AccessToken

    @property
    def access_token(self):
        """A new access token with this token's claims (all but type, exp,
        jti, iat), expiring relative to this token's creation."""
        access = self.access_token_class()
        access.set_exp(from_time=self.current_time)
        no_copy = self.no_copy_claims
        for claim, value in self.payload.items():
            if claim in no_copy:
                continue
            access[claim] = value
        return access


def lifetimes_from_settings():
    """Whether AccessToken's and RefreshToken's lifetimes are still read from
    the settings (not assigned, as SimpleJWT's own tests do): then the login
    fast path may mint the pair without the classes."""
    return isinstance(AccessToken.__dict__.get("lifetime"), _Setting) and isinstance(
        RefreshToken.__dict__.get("lifetime"), _Setting
    )


class UntypedToken(Token):
    token_type = "untyped"
    lifetime = timedelta(seconds=0)

    def verify_token_type(self):
        """Untyped tokens do not check the type claim."""


class TokenUser:
    """SimpleJWT's ``TokenUser``: a user backed by a validated token, no
    database (``JWTStatelessUserAuthentication``)."""

    is_active = True

    _groups = EmptyManager(auth_models.Group)
    _user_permissions = EmptyManager(auth_models.Permission)

    def __init__(self, token):
        self.token = token

    def __str__(self):
        return f"TokenUser {self.id}"

    @cached_property
    def id(self):
        return self.token[jwt_settings.USER_ID_CLAIM]

    @cached_property
    def pk(self):
        return self.id

    @cached_property
    def username(self):
        return self.token.get("username", "")

    @cached_property
    def is_staff(self):
        return self.token.get("is_staff", False)

    @cached_property
    def is_superuser(self):
        return self.token.get("is_superuser", False)

    def __eq__(self, other):
        if not isinstance(other, TokenUser):
            return NotImplemented
        return self.id == other.id

    def __ne__(self, other):
        return not self.__eq__(other)

    def __hash__(self):
        return hash(self.id)

    def save(self):
        raise NotImplementedError("Token users have no DB representation")

    def delete(self):
        raise NotImplementedError("Token users have no DB representation")

    def set_password(self, raw_password):
        raise NotImplementedError("Token users have no DB representation")

    def check_password(self, raw_password):
        raise NotImplementedError("Token users have no DB representation")

    @property
    def groups(self):
        return self._groups

    @property
    def user_permissions(self):
        return self._user_permissions

    def get_group_permissions(self, obj=None):
        return set()

    def get_all_permissions(self, obj=None):
        return set()

    def has_perm(self, perm, obj=None):
        return False

    def has_perms(self, perm_list, obj=None):
        return False

    def has_module_perms(self, module):
        return False

    @property
    def is_anonymous(self):
        return False

    @property
    def is_authenticated(self):
        return True

    def get_username(self):
        return self.username

    def __getattr__(self, attr):
        """Custom claims of the token, as attributes (None if absent)."""
        if attr.startswith("__") or attr == "token":
            raise AttributeError(attr)
        return self.token.get(attr, None)
