"""SimpleJWT-compatible token pairs: issue, refresh, verify, blacklist.

Plain Django (no DRF import): the DRF views in
:mod:`sesstok.contrib.rest_framework` and sesstok's own login views both use
this module. Tokens are exactly what SimpleJWT makes, so each library
accepts the other's::

    from sesstok import refresh_tokens

    pair = refresh_tokens.issue_pair(user)          # {"refresh": ..., "access": ...}
    pair = refresh_tokens.refresh(pair["refresh"])  # {"access": ...} (+ "refresh" when rotating)
    refresh_tokens.blacklist(pair["refresh"])       # logout
    refresh_tokens.blacklist_user(user)             # logout everywhere

- Settings come from ``SIMPLE_JWT`` with SimpleJWT's defaults
  (:mod:`sesstok.jwt_settings`): lifetimes, ``ROTATE_REFRESH_TOKENS``,
  ``BLACKLIST_AFTER_ROTATION``, the claim names, ``CHECK_REVOKE_TOKEN``,
  ``USER_AUTHENTICATION_RULE``, ``JSON_ENCODER``, keys and ``JWK_URL``.
- Claims are SimpleJWT's, in SimpleJWT's order (``token_type``, ``exp``,
  ``iat``, ``jti``, ``user_id``; ``refresh_exp`` for sliding tokens), so
  with the same clock and ``jti`` the tokens are byte-identical. sesstok adds
  ``sst_ah`` (``SESSTOK["JWT_AUTH_HASH_CLAIM"]``: an HMAC of the password
  hash) to both tokens of a pair, and ``sst_ep`` (the user's logout epoch)
  when ``SESSTOK["JWT_DENYLIST"]`` is on. SimpleJWT ignores both.
- Errors are :class:`sesstok.tokens.AuthenticationError` subclasses with
  SimpleJWT's codes and messages: :class:`TokenError` (``token_not_valid``:
  "Token is invalid", "Token is expired", "Token is blacklisted",
  "Token has wrong type", ...) and :class:`AccountError`
  (``no_active_account``).

Revocation of refresh tokens:

- The blacklist is SimpleJWT's ``OutstandingToken``/``BlacklistedToken``
  tables when ``rest_framework_simplejwt.token_blacklist`` is installed (so
  a token SimpleJWT blacklisted stays refused, and tokens issued here are
  recorded as outstanding, as SimpleJWT records its own), else sesstok's
  :class:`~sesstok.models.BlacklistedRefreshToken`
  (``SESSTOK["REFRESH_BLACKLIST"]`` forces either).
- A password change refuses every refresh token carrying ``sst_ah`` (and,
  with ``CHECK_REVOKE_TOKEN``, SimpleJWT's ``hash_password`` claim).
- :func:`blacklist_user` and :func:`sesstok.revocation.logout_everywhere`
  bump the user's logout epoch; a refresh token issued before is refused
  (exactly by ``sst_ep`` when it has one, else by ``iat``: tokens issued in
  the same second as the bump, before it, are not caught that way; the
  rows recorded in SimpleJWT's tables are blacklisted one by one too).
"""

import time
from datetime import datetime
from datetime import timezone as dt_timezone

from django.apps import apps
from django.conf import settings
from django.db import IntegrityError, InterfaceError, OperationalError, transaction
from django.utils import timezone

from . import _busy, _core, pipeline, revocation, validity
from ._lookup import PreparedLookup
from .conf import sesstok_settings
from .exceptions import (
    AccountError,
    AuthenticationError,
    ExpiredTokenError,
    RevocationUnavailable,
    StoreUnavailable,
    TokenError,
    TokenRevoked,
)
from .jwt_settings import jwt_settings, seconds
from .models import BlacklistedRefreshToken, UserEpoch
from .simplejwt import backend, claims

__all__ = [
    "TokenError",
    "ExpiredTokenError",
    "AccountError",
    "issue_pair",
    "issue_refresh",
    "issue_sliding",
    "access_from_refresh",
    "refresh",
    "refresh_sliding",
    "verify",
    "decode",
    "blacklist",
    "claim_rotation",
    "blacklist_user",
    "is_blacklisted",
    "get_user",
    "blacklist_tables",
    "purge_blacklist",
    "default_user_authentication_rule",
]

ACCESS = "access"
REFRESH = "refresh"
SLIDING = "sliding"
SIMPLEJWT_BLACKLIST_APP = "rest_framework_simplejwt.token_blacklist"

EPOCH_CLAIM = validity.EPOCH_CLAIM


# ---- settings, prepared once per settings change ----------------------------------

_prepared = {}


@sesstok_settings.on_change
def _forget():
    _prepared.clear()


class _Params:
    """Everything the hot paths read, resolved from the settings once."""

    def __init__(self):
        s = jwt_settings
        self.type_claim = s.TOKEN_TYPE_CLAIM
        self.jti_claim = s.JTI_CLAIM
        self.user_id_claim = s.USER_ID_CLAIM
        self.user_id_field = s.USER_ID_FIELD
        self.access_s = seconds(s.ACCESS_TOKEN_LIFETIME)
        self.refresh_s = seconds(s.REFRESH_TOKEN_LIFETIME)
        self.sliding_s = seconds(s.SLIDING_TOKEN_LIFETIME)
        self.sliding_refresh_s = seconds(s.SLIDING_TOKEN_REFRESH_LIFETIME)
        self.sliding_exp_claim = s.SLIDING_TOKEN_REFRESH_EXP_CLAIM
        self.leeway = seconds(s.LEEWAY)
        self.audience = s.AUDIENCE
        self.issuer = s.ISSUER
        self.check_revoke = bool(s.CHECK_REVOKE_TOKEN)
        self.revoke_claim = s.REVOKE_TOKEN_CLAIM
        self.auth_hash_claim = sesstok_settings.JWT_AUTH_HASH_CLAIM
        self.epoch = revocation.jwt_denylist_enabled()
        self.no_copy = {self.type_claim, "exp", self.jti_claim, "jti", "iat"}
        mode = sesstok_settings.REFRESH_BLACKLIST
        if mode == "auto":
            mode = "simplejwt" if apps.is_installed(SIMPLEJWT_BLACKLIST_APP) else "sesstok"
        self.blacklist = mode


def params():
    p = _prepared.get("params")
    if p is None:
        p = _prepared["params"] = _Params()
    return p


def _now():
    """The current time (patch this to freeze the clock)."""
    return time.time()


def now():
    """The token code's clock (:func:`_now`, which tests patch)."""
    return _now()


def new_jti():
    """A fresh token id: 32 lowercase hex digits, 128 bits from the OS CSPRNG
    (the shape of SimpleJWT's ``uuid4().hex``)."""
    return _core.token_hex(16)


def _two_jtis():
    """Two fresh token ids from one draw (a login's pair)."""
    if new_jti is not _new_jti:  # patched (tests freeze the ids through new_jti)
        return new_jti(), new_jti()
    both = _core.token_hex(32)
    return both[:32], both[32:]


_new_jti = new_jti


def _datetime(ts):
    # SimpleJWT's utils.datetime_from_epoch
    value = datetime.fromtimestamp(ts, tz=dt_timezone.utc)
    return value if settings.USE_TZ else value.replace(tzinfo=None)


# ---- the token backend and claim rules (sesstok.simplejwt), under their old names ----

encoder = backend.encoder
decoder = backend.decoder
encode = backend.encode
_md5_password = validity.md5_password


def check_exp(payload, claim="exp", now=None):
    """SimpleJWT's ``Token.check_exp`` (:func:`sesstok.simplejwt.claims.check_exp`)."""
    claims.check_exp(payload, claim, _now() if now is None else now)


def verify_claims(payload, token_type, *, check_blacklist=False, now=None):
    """SimpleJWT's ``Token.verify`` (and ``BlacklistMixin.verify`` when
    check_blacklist): blacklist, exp, jti, token type, in that order. A
    token_type of None skips the type check (``UntypedToken``)."""
    if check_blacklist:
        jti = payload.get(params().jti_claim)
        if jti is None:
            raise TokenError("Token has no id")
        if is_blacklisted(jti):
            raise TokenRevoked()
    claims.verify(payload, token_type, now=_now() if now is None else now)


def decode(raw, token_type=None, *, verify=True, check_blacklist=None, now=None):
    """The payload of a token of token_type (None: any type), verified as
    SimpleJWT's token classes verify it. Refresh and sliding tokens are
    checked against the blacklist unless check_blacklist=False. Raises
    TokenError/ExpiredTokenError."""
    if isinstance(raw, (bytes, bytearray)):
        try:
            raw = bytes(raw).decode()
        except UnicodeDecodeError:
            raise TokenError() from None
    if not isinstance(raw, str):
        raise TokenError()
    payload = backend.decode(raw, verify)
    if not isinstance(payload, dict):
        raise TokenError()
    if verify:
        if check_blacklist is None:
            check_blacklist = token_type in (REFRESH, SLIDING)
        verify_claims(payload, token_type, check_blacklist=check_blacklist, now=now)
    return payload


def verify(raw):
    """SimpleJWT's ``UntypedToken`` check: the payload of any valid token
    (signature, exp, jti), else TokenError. Revocation is not checked (see
    :func:`verify_token`)."""
    return decode(raw, None, check_blacklist=False)


def verify_token(raw):
    """``token/verify/``: the payload of any valid token (as SimpleJWT's
    ``TokenVerifySerializer``), refused when revoked: blacklisted (with
    BLACKLIST_AFTER_ROTATION, as SimpleJWT), denylisted, after a
    logout-everywhere or a password change (TokenRevoked); TokenError
    ("User not found", "User is inactive") for a gone or inactive user."""
    payload = verify(raw)
    if jwt_settings.BLACKLIST_AFTER_ROTATION and is_blacklisted(payload.get(params().jti_claim)):
        raise TokenRevoked()
    user_id = payload.get(params().user_id_claim)
    if user_id is None:
        return payload
    user = pipeline.load_user(user_id)
    if user is None:
        raise TokenError("User not found")
    if not _user_rule()(user):
        raise TokenError("User is inactive")
    try:
        check_user(payload, user)
    except (TokenError, StoreUnavailable):
        raise
    except AuthenticationError as e:  # password_changed
        raise TokenRevoked() from e
    if revocation.jwt_denylist_enabled():
        pipeline.read_state(payload, user.pk).report()
    return payload


# ---- users --------------------------------------------------------------------------


def default_user_authentication_rule(user):
    """SimpleJWT's default ``USER_AUTHENTICATION_RULE``."""
    return user is not None and (not jwt_settings.CHECK_USER_IS_ACTIVE or user.is_active)


def _user_rule():
    return jwt_settings.USER_AUTHENTICATION_RULE


def get_user(user_id, *, seen=None):
    """The user whose USER_ID_FIELD is user_id, or None
    (:func:`sesstok.pipeline.load_user`)."""
    return pipeline.load_user(user_id, seen=seen)


def check_user(payload, user, *, now=None):
    """Refuse a token whose user changed password or logged out everywhere
    since it was issued (:func:`sesstok.validity.check_user`, the logout
    epoch from the revocation store or the database). Returns the user's
    current epoch."""
    epoch, changed_at, marker = _state(user.pk)
    validity.check_user(payload, user, marker=marker)
    if validity.epoch_revoked(validity.token_epoch(payload), validity.issued_at(payload), epoch, changed_at):
        raise TokenRevoked()
    return epoch


def _state(user_pk):
    """(epoch, changed_at, password-change marker) of a user: from the
    revocation store when there is one, else one prepared database query."""
    if sesstok_settings.REVOCATION_CACHE is not None:
        try:
            epoch, changed_at = revocation.get_epoch(user_pk)
        except Exception as e:  # the cache backend's connection errors
            raise RevocationUnavailable() from e
        return epoch, changed_at, revocation.get_marker(user_pk)
    lookup = _prepared.get("epoch_lookup")
    if lookup is None:

        def build(pk):
            return UserEpoch.objects.filter(user_id=pk).values_list("epoch", "changed_at", "password_changed_at")

        lookup = _prepared["epoch_lookup"] = PreparedLookup(UserEpoch, UserEpoch._meta.get_field("user"), build)
    try:
        row, _ = lookup.get(user_pk)
    except (OperationalError, InterfaceError) as e:
        raise StoreUnavailable("database_unavailable") from e
    return row if row is not None else (0, 0.0, 0.0)


def _user_for(payload):
    """SimpleJWT's TokenRefreshSerializer user check: with a user id claim,
    the user must exist and pass USER_AUTHENTICATION_RULE. Returns
    (user or None, current epoch or None)."""
    user_id = payload.get(params().user_id_claim)
    if not user_id:
        return None, None
    user = get_user(user_id)
    if user is None or not _user_rule()(user):
        raise AccountError()
    return user, check_user(payload, user)


# ---- issuing ------------------------------------------------------------------------


def user_claims(user, p, claims, epoch=None):
    extra = {p.user_id_claim: str(getattr(user, p.user_id_field))}
    if p.check_revoke:
        extra[p.revoke_claim] = _md5_password(user)
    if p.auth_hash_claim:
        extra[p.auth_hash_claim] = validity.auth_hash(user)
    if p.epoch:
        extra[EPOCH_CLAIM] = revocation.get_epoch(user.pk)[0] if epoch is None else epoch
    if claims:
        extra.update(claims)
    return extra


def _base(p, token_type, now, lifetime):
    payload = {}
    if p.type_claim is not None:
        payload[p.type_claim] = token_type
    payload["exp"] = int(now + lifetime)
    payload["iat"] = int(now)
    if p.jti_claim is not None:
        payload[p.jti_claim] = new_jti()
    return payload


def issue_pair(user, *, claims=None):
    """``{"refresh": ..., "access": ...}`` for user: what SimpleJWT's
    ``RefreshToken.for_user(user)`` and its ``.access_token`` make (claims,
    lifetimes from the same instant, fresh ``jti`` each), plus ``sst_ah`` /
    ``sst_ep`` and the extra ``claims`` (as a custom
    ``TokenObtainPairSerializer.get_token`` would add them) in both.

    Neither checks whether the user may log in: that is the login view's
    job. With SimpleJWT's blacklist tables the refresh token is recorded in
    ``OutstandingToken``, as SimpleJWT does."""
    p = params()
    now = _now()
    iat = int(now)
    extra = user_claims(user, p, claims)
    refresh_jti, access_jti = _two_jtis()
    type_claim, jti_claim = p.type_claim, p.jti_claim
    refresh_payload = {}
    access_payload = {}
    if type_claim is not None:
        refresh_payload[type_claim] = REFRESH
        access_payload[type_claim] = ACCESS
    refresh_payload["exp"] = int(now + p.refresh_s)
    access_payload["exp"] = int(now + p.access_s)
    refresh_payload["iat"] = access_payload["iat"] = iat
    if jti_claim is not None:
        refresh_payload[jti_claim] = refresh_jti
        access_payload[jti_claim] = access_jti
    refresh_payload.update(extra)
    access_payload.update(extra)
    if p.audience is not None or p.issuer is not None:
        raw_refresh, raw_access = encode(refresh_payload), encode(access_payload)
    else:
        enc = encoder()
        raw_refresh, raw_access = enc.encode(refresh_payload), enc.encode(access_payload)
    if p.blacklist == "simplejwt":
        outstand(refresh_payload, raw_refresh, user, now)
    return {"refresh": raw_refresh, "access": raw_access}


def issue_refresh(user, *, claims=None):
    """``(raw, payload)`` of a new refresh token (``RefreshToken.for_user``)."""
    p = params()
    now = _now()
    payload = _base(p, REFRESH, now, p.refresh_s)
    payload.update(user_claims(user, p, claims))
    raw = encode(payload)
    if p.blacklist == "simplejwt":
        outstand(payload, raw, user, now)
    return raw, payload


def issue_sliding(user, *, claims=None):
    """A sliding token for user (``SlidingToken.for_user``)."""
    p = params()
    now = _now()
    payload = _base(p, SLIDING, now, p.sliding_s)
    payload[p.sliding_exp_claim] = int(now + p.sliding_refresh_s)
    payload.update(user_claims(user, p, claims))
    raw = encode(payload)
    if p.blacklist == "simplejwt":
        outstand(payload, raw, user, now)
    return raw


def access_from_refresh(payload, *, now=None, user=None, epoch=None):
    """The access-token payload SimpleJWT's ``RefreshToken.access_token``
    makes from a refresh payload: new type, exp (from now), iat and jti,
    every other claim copied. With the user at hand, ``sst_ah``/``sst_ep``
    are brought up to date (added to SimpleJWT's tokens)."""
    p = params()
    if now is None:
        now = _now()
    access = _base(p, ACCESS, now, p.access_s)
    no_copy = p.no_copy
    for claim, value in payload.items():
        if claim not in no_copy:
            access[claim] = value
    if user is not None:
        if p.auth_hash_claim:
            access[p.auth_hash_claim] = validity.auth_hash(user)
        if p.epoch and epoch is not None:
            access[EPOCH_CLAIM] = epoch
    return access


def refresh(raw_refresh):
    """SimpleJWT's ``TokenRefreshSerializer``: ``{"access": ...}``, and with
    ROTATE_REFRESH_TOKENS a new ``"refresh"`` too (same claims, new jti, exp,
    iat; the old one blacklisted with BLACKLIST_AFTER_ROTATION).

    Refused (TokenError / AccountError): anything SimpleJWT refuses, a user
    that does not exist (a 500 in SimpleJWT), a password changed or a
    logout-everywhere since the token was issued."""
    p = params()
    now = _now()
    payload = decode(raw_refresh, REFRESH, now=now)
    user, epoch = _user_for(payload)
    rotate = jwt_settings.ROTATE_REFRESH_TOKENS
    if rotate and jwt_settings.BLACKLIST_AFTER_ROTATION:
        claim_rotation(payload, raw_refresh, user, now)  # before anything is issued
    data = {"access": encode(access_from_refresh(payload, now=now, user=user, epoch=epoch))}
    if rotate:
        rotated = dict(payload)
        if p.jti_claim is not None:
            rotated[p.jti_claim] = new_jti()
        rotated["exp"] = int(now + p.refresh_s)
        rotated["iat"] = int(now)
        raw = encode(rotated)
        if p.blacklist == "simplejwt":
            _writing(lambda: outstand(rotated, raw, user, now, lookup=user is None))
        data["refresh"] = raw
    return data


def refresh_sliding(raw_sliding):
    """SimpleJWT's ``TokenRefreshSlidingSerializer``: ``{"token": ...}``, the
    same token with new exp and iat, while its ``refresh_exp`` has not
    passed. sesstok also refuses it for an inactive user, a changed password
    or a logout-everywhere."""
    p = params()
    now = _now()
    payload = decode(raw_sliding, SLIDING, now=now)
    check_exp(payload, p.sliding_exp_claim, now=now)
    _user_for(payload)
    payload["exp"] = int(now + p.sliding_s)
    payload["iat"] = int(now)
    return {"token": encode(payload)}


# ---- the blacklist ------------------------------------------------------------------


def blacklist_tables():
    """ "simplejwt" (SimpleJWT's token_blacklist tables) or "sesstok"
    (:class:`~sesstok.models.BlacklistedRefreshToken`)."""
    return params().blacklist


def _simplejwt_models():
    return apps.get_model("token_blacklist", "OutstandingToken"), apps.get_model("token_blacklist", "BlacklistedToken")


def _blacklist_lookup():
    """The prepared query: a blacklist row by jti (compiled by the ORM once
    per connection; see sesstok._lookup)."""
    lookup = _prepared.get("blacklist_lookup")
    if lookup is None:
        if blacklist_tables() == "simplejwt":
            Outstanding, Blacklisted = _simplejwt_models()
            field = Outstanding._meta.get_field("jti")

            def build(jti):
                return Blacklisted.objects.filter(token__jti=jti).values_list("pk")

            lookup = PreparedLookup(Blacklisted, field, build)
        else:

            def build(jti):
                return BlacklistedRefreshToken.objects.filter(jti=jti).values_list("pk")

            lookup = PreparedLookup(BlacklistedRefreshToken, BlacklistedRefreshToken._meta.get_field("jti"), build)
        _prepared["blacklist_lookup"] = lookup
    return lookup


def is_blacklisted(jti):
    """Whether the token with this jti is on the blacklist (one query)."""
    if not isinstance(jti, str):
        return False
    return _blacklist_lookup().get(jti)[0] is not None


def _user_by_claim(payload):
    user_id = payload.get(params().user_id_claim)
    return get_user(user_id) if user_id is not None else None


def outstand(payload, raw, user, now, lookup=False):
    """Record a token in SimpleJWT's OutstandingToken (get_or_create by jti,
    as ``BlacklistMixin.outstand``)."""
    Outstanding, _ = _simplejwt_models()
    jti = payload.get(params().jti_claim)
    if jti is None:
        return None
    if lookup:
        user = _user_by_claim(payload)
    row, _ = Outstanding.objects.get_or_create(
        jti=jti,
        defaults={"user": user, "created_at": _datetime(now), "token": raw, "expires_at": _datetime(payload["exp"])},
    )
    return row


def _jti_and_user(payload, user):
    """A token's jti (none: TokenError) and its user (looked up when None)."""
    jti = payload.get(params().jti_claim)
    if jti is None:
        raise TokenError("Token has no id")
    return jti, _user_by_claim(payload) if user is None else user


def blacklist_payload(payload, raw, user, now):
    """Blacklist a token: ``(row, created)``, as ``get_or_create``."""
    p = params()
    jti, user = _jti_and_user(payload, user)
    if p.blacklist == "simplejwt":
        _, Blacklisted = _simplejwt_models()
        row = outstand(payload, raw, user, now)
        return Blacklisted.objects.get_or_create(token=row)
    try:
        with transaction.atomic():
            return BlacklistedRefreshToken.objects.get_or_create(
                jti=jti, defaults={"user": user, "expires_at": _datetime(payload["exp"])}
            )
    except IntegrityError:  # a concurrent blacklist of the same token
        return BlacklistedRefreshToken.objects.get(jti=jti), False


def _writing(call):
    """call() (a database write), retried while SQLite is locked
    (:func:`sesstok._busy.retrying`); a database that does not answer is
    StoreUnavailable("database_unavailable")."""
    try:
        return _busy.retrying(call)
    except (OperationalError, InterfaceError) as e:
        raise StoreUnavailable("database_unavailable") from e


def claim_rotation(payload, raw, user, now):
    """Blacklist the refresh token a rotation consumes, so that of any number
    of concurrent refreshes of it exactly one wins: one INSERT on a unique
    column (sesstok's ``jti``; SimpleJWT's ``BlacklistedToken.token``, one
    to one with the ``OutstandingToken`` row), committed before the caller
    issues anything. Every other request, and one whose row is already
    there (a logout, SimpleJWT's own blacklisting), gets TokenRevoked: "Token
    is blacklisted", SimpleJWT's answer for a blacklisted token. (Inside an
    outer transaction, ``ATOMIC_REQUESTS``, the unique index still lets one
    win: the others wait for its commit.)"""
    p = params()
    jti, user = _jti_and_user(payload, user)

    def insert():
        with transaction.atomic():
            if p.blacklist == "simplejwt":
                _, Blacklisted = _simplejwt_models()
                Blacklisted.objects.create(token=outstand(payload, raw, user, now))
            else:
                BlacklistedRefreshToken.objects.create(jti=jti, user=user, expires_at=_datetime(payload["exp"]))

    try:
        _writing(insert)
    except IntegrityError as e:  # another refresh (or a blacklisting) of this token won
        raise TokenRevoked() from e


def blacklist(raw_token, token_type=REFRESH):
    """SimpleJWT's ``TokenBlacklistSerializer``: verify the refresh token
    (an invalid, expired or already blacklisted one raises TokenError) and
    put it on the blacklist. Returns its payload."""
    now = _now()
    payload = decode(raw_token, token_type, now=now)
    blacklist_payload(payload, raw_token, None, now)
    return payload


def blacklist_user(user):
    """Log user out of every refresh (and sliding) token: bumps the user's
    logout epoch (:func:`sesstok.revocation.bump_epoch`; with the denylists
    on, sessions and access tokens go too) and, with SimpleJWT's tables,
    blacklists each outstanding token recorded for the user. Returns the
    number of rows blacklisted."""
    revocation.bump_epoch(user)
    count = 0
    if blacklist_tables() == "simplejwt":
        Outstanding, Blacklisted = _simplejwt_models()
        rows = Outstanding.objects.filter(user_id=user.pk, expires_at__gt=timezone.now(), blacklistedtoken__isnull=True)
        for row in rows:
            Blacklisted.objects.get_or_create(token=row)
            count += 1
    return count


def purge_blacklist(now=None):
    """Delete blacklist rows of tokens that expired anyway (sesstok's table;
    SimpleJWT's has ``manage.py flushexpiredtokens``). Returns how many."""
    deleted, _ = BlacklistedRefreshToken.objects.filter(expires_at__lte=now or timezone.now()).delete()
    return deleted
