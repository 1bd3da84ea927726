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

import hashlib
import time
from datetime import datetime, timezone as dt_timezone

from django.apps import apps
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from . import _core, access_tokens, revocation
from .conf import sesstok_settings
from .jwt_settings import jwt_settings, seconds
from .tokens import AuthenticationError

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

EPOCH_CLAIM = "sst_ep"  # as sesstok.access_tokens.EPOCH_CLAIM


# ---- errors ----------------------------------------------------------------------


class TokenError(AuthenticationError):
    """SimpleJWT's ``TokenError``: the token is refused. Its views answer
    ``401 {"detail": message, "code": "token_not_valid"}``."""

    def __init__(self, message="Token is invalid", code="token_not_valid"):
        super().__init__(code, message)


class ExpiredTokenError(TokenError):
    def __init__(self, message="Token is expired"):
        super().__init__(message)


class AccountError(AuthenticationError):
    """The token is fine but its user may not log in (SimpleJWT's
    ``AuthenticationFailed(..., "no_active_account")``)."""

    def __init__(self, message="No active account found for the given token.", code="no_active_account"):
        super().__init__(code, message)


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


def _md5_password(user):
    # SimpleJWT's utils.get_md5_hash_password
    return hashlib.md5((user.password or "").encode()).hexdigest().upper()


def _datetime(ts):
    # SimpleJWT's utils.datetime_from_epoch
    value = datetime.fromtimestamp(ts, tz=dt_timezone.utc)
    return value if settings.USE_TZ else value.replace(tzinfo=None)


# ---- keys -----------------------------------------------------------------------


def encoder():
    """The prepared Encoder for SIGNING_KEY/ALGORITHM (and JSON_ENCODER)."""
    enc = _prepared.get("encoder")
    if enc is None:
        from . import jwt
        from .jwks_endpoint import encoder_options  # hook: `kid` with SESSTOK["JWKS_ENDPOINT"]

        enc = _prepared["encoder"] = jwt.Encoder(
            jwt_settings.SIGNING_KEY, jwt_settings.ALGORITHM, json_encoder=jwt_settings.JSON_ENCODER,
            **encoder_options(),
        )
    return enc


def _verifying_key():
    algorithm = jwt_settings.ALGORITHM
    if algorithm.startswith("HS"):
        return jwt_settings.SIGNING_KEY
    return jwt_settings.VERIFYING_KEY or jwt_settings.SIGNING_KEY


def decoder():
    """The prepared verifier, SimpleJWT's ``TokenBackend.decode`` options:
    one algorithm, audience checked only when AUDIENCE is set, LEEWAY. With
    JWK_URL (and an asymmetric algorithm) the keys come from that JWK Set."""
    dec = _prepared.get("decoder")
    if dec is None:
        algorithm = jwt_settings.ALGORITHM
        audience = jwt_settings.AUDIENCE
        kwargs = dict(
            audience=audience,
            issuer=jwt_settings.ISSUER,
            leeway=seconds(jwt_settings.LEEWAY),
            options={"verify_aud": audience is not None},
        )
        if jwt_settings.JWK_URL and not algorithm.startswith("HS"):
            from .contrib.rest_framework.jwks import JWKSDecoder

            dec = JWKSDecoder(jwt_settings.JWK_URL, [algorithm], **kwargs)
        else:
            from . import jwt
            from .jwks_endpoint import verifying_keys  # hook: current + previous keys with JWKS_ENDPOINT

            dec = jwt.Decoder(verifying_keys(_verifying_key()), [algorithm], **kwargs)
        _prepared["decoder"] = dec
    return dec


def encode(payload):
    """Sign a payload as SimpleJWT's ``TokenBackend.encode`` does: AUDIENCE
    and ISSUER (when set) overwrite ``aud``/``iss``."""
    p = params()
    if p.audience is not None or p.issuer is not None:
        payload = dict(payload)
        if p.audience is not None:
            payload["aud"] = p.audience
        if p.issuer is not None:
            payload["iss"] = p.issuer
    return encoder().encode(payload)


# ---- decoding and SimpleJWT's Token.verify ------------------------------------------


def _decode_raw(raw, verify=True):
    from .exceptions import ExpiredSignatureError, InvalidTokenError, PyJWKClientError

    try:
        if verify:
            return decoder().decode(raw)
        from . import jwt

        return jwt.decode(raw, options={"verify_signature": False})
    except ExpiredSignatureError:
        raise ExpiredTokenError() from None
    except (InvalidTokenError, PyJWKClientError):
        raise TokenError() from None


def check_exp(payload, claim="exp", now=None):
    """SimpleJWT's ``Token.check_exp``: the claim must be there and not past
    (LEEWAY allowed)."""
    try:
        value = payload[claim]
    except KeyError:
        raise TokenError(f"Token has no '{claim}' claim") from None
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        raise TokenError()
    if now is None:
        now = _now()
    if value <= now - params().leeway:
        raise TokenError(f"Token '{claim}' claim has expired")


def verify_claims(payload, token_type, *, check_blacklist=False, now=None):
    """SimpleJWT's ``Token.verify`` (and ``BlacklistMixin.verify`` when
    check_blacklist): blacklist, exp, jti, token type, in that order. A
    token_type of None skips the type check (``UntypedToken``)."""
    p = params()
    if check_blacklist:
        jti = payload.get(p.jti_claim)
        if jti is None:
            raise TokenError("Token has no id")
        if is_blacklisted(jti):
            raise TokenError("Token is blacklisted")
    check_exp(payload, now=now)
    if p.jti_claim is not None and p.jti_claim not in payload:
        raise TokenError("Token has no id")
    if p.type_claim is not None and token_type is not None:
        try:
            value = payload[p.type_claim]
        except KeyError:
            raise TokenError("Token has no type") from None
        if value != token_type:
            raise TokenError("Token has wrong type")


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
    payload = _decode_raw(raw, verify)
    if not isinstance(payload, dict):
        raise TokenError()
    if verify:
        if check_blacklist is None:
            check_blacklist = token_type in (REFRESH, SLIDING)
        verify_claims(payload, token_type, check_blacklist=check_blacklist, now=now)
    return payload


def verify(raw):
    """SimpleJWT's ``TokenVerifySerializer`` core (``UntypedToken``): the
    payload of any valid token (signature, exp, jti), else TokenError. The
    blacklist is the caller's business (see :func:`is_blacklisted`)."""
    return decode(raw, None, check_blacklist=False)


# ---- users --------------------------------------------------------------------------


def default_user_authentication_rule(user):
    """SimpleJWT's default ``USER_AUTHENTICATION_RULE``."""
    return user is not None and (not jwt_settings.CHECK_USER_IS_ACTIVE or user.is_active)


def _user_rule():
    return jwt_settings.USER_AUTHENTICATION_RULE


def get_user(user_id, *, seen=None):
    """The user whose USER_ID_FIELD is user_id, or None. The one place the
    token code loads a user: through :mod:`sesstok.user_cache` when
    ``SESSTOK["USER_CACHE"]`` is on (and the id field is the primary key),
    else one prepared query. A hostile value (out of the field's range, too
    long) never reaches the database. ``seen``: the user's version as this
    request's revocation check read it (``revocation.check_with_version``)."""
    from .access_tokens import _by_pk, _prepared_user_lookup

    if not isinstance(user_id, (str, int)) or isinstance(user_id, bool):
        return None
    if _by_pk():
        from . import user_cache

        if user_cache.enabled():
            return user_cache.get_user(user_id, seen=seen)
    lookup = _prepared_user_lookup()
    try:
        value = lookup.field.to_python(user_id)
        lookup.field.run_validators(value)
        row, alias = lookup.get(value)
    except (ValueError, TypeError, OverflowError, ValidationError):
        return None
    if row is None:
        return None
    return get_user_model().from_db(alias, lookup.attnames, row)


def check_user(payload, user, *, now=None):
    """Refuse a token whose user changed password or logged out everywhere
    since it was issued: ``sst_ah``, SimpleJWT's revoke claim (with
    CHECK_REVOKE_TOKEN) and the logout epoch (from the revocation store or
    the database)."""
    p = params()
    if p.auth_hash_claim and p.auth_hash_claim in payload:
        if not access_tokens._auth_hash_ok(payload[p.auth_hash_claim], user):
            raise AuthenticationError("password_changed", "The user's password has been changed.")
    if p.check_revoke and p.revoke_claim in payload:
        value = payload[p.revoke_claim]
        if not isinstance(value, str) or not _core.compare_digest(value, _md5_password(user)):
            raise AuthenticationError("password_changed", "The user's password has been changed.")
    epoch, changed_at = _epoch(user.pk)
    token_epoch = payload.get(EPOCH_CLAIM)
    if isinstance(token_epoch, int) and not isinstance(token_epoch, bool):
        if token_epoch != epoch:
            raise TokenError("Token is blacklisted")
    elif changed_at > 0:
        iat = payload.get("iat")
        if not isinstance(iat, (int, float)) or isinstance(iat, bool) or iat < int(changed_at):
            raise TokenError("Token is blacklisted")
    return epoch


def _epoch(user_pk):
    """(epoch, changed_at) of a user: from the revocation store when there is
    one (sesstok.revocation.get_epoch), else one prepared database query."""
    if sesstok_settings.REVOCATION_CACHE is not None:
        return revocation.get_epoch(user_pk)
    lookup = _prepared.get("epoch_lookup")
    if lookup is None:
        from ._lookup import PreparedLookup
        from .models import UserEpoch

        def build(pk):
            return UserEpoch.objects.filter(user_id=pk).values_list("epoch", "changed_at")

        lookup = _prepared["epoch_lookup"] = PreparedLookup(UserEpoch, UserEpoch._meta.get_field("user"), build)
    row, _ = lookup.get(user_pk)
    return row if row is not None else (0, 0.0)


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


def _user_claims(user, p, claims, epoch=None):
    extra = {p.user_id_claim: str(getattr(user, p.user_id_field))}
    if p.check_revoke:
        extra[p.revoke_claim] = _md5_password(user)
    if p.auth_hash_claim:
        extra[p.auth_hash_claim] = access_tokens.auth_hash(user)
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
    extra = _user_claims(user, p, claims)
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
        _outstand(refresh_payload, raw_refresh, user, now)
    return {"refresh": raw_refresh, "access": raw_access}


def issue_refresh(user, *, claims=None):
    """``(raw, payload)`` of a new refresh token (``RefreshToken.for_user``)."""
    p = params()
    now = _now()
    payload = _base(p, REFRESH, now, p.refresh_s)
    payload.update(_user_claims(user, p, claims))
    raw = encode(payload)
    if p.blacklist == "simplejwt":
        _outstand(payload, raw, user, now)
    return raw, payload


def issue_sliding(user, *, claims=None):
    """A sliding token for user (``SlidingToken.for_user``)."""
    p = params()
    now = _now()
    payload = _base(p, SLIDING, now, p.sliding_s)
    payload[p.sliding_exp_claim] = int(now + p.sliding_refresh_s)
    payload.update(_user_claims(user, p, claims))
    raw = encode(payload)
    if p.blacklist == "simplejwt":
        _outstand(payload, raw, user, now)
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
            access[p.auth_hash_claim] = access_tokens.auth_hash(user)
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
    data = {"access": encode(access_from_refresh(payload, now=now, user=user, epoch=epoch))}
    if jwt_settings.ROTATE_REFRESH_TOKENS:
        if jwt_settings.BLACKLIST_AFTER_ROTATION:
            _blacklist_payload(payload, raw_refresh, user, now)
        rotated = dict(payload)
        if p.jti_claim is not None:
            rotated[p.jti_claim] = new_jti()
        rotated["exp"] = int(now + p.refresh_s)
        rotated["iat"] = int(now)
        raw = encode(rotated)
        if p.blacklist == "simplejwt":
            _outstand(rotated, raw, user, now, lookup=user is None)
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
    """"simplejwt" (SimpleJWT's token_blacklist tables) or "sesstok"
    (:class:`~sesstok.models.BlacklistedRefreshToken`)."""
    return params().blacklist


def _simplejwt_models():
    return apps.get_model("token_blacklist", "OutstandingToken"), apps.get_model("token_blacklist", "BlacklistedToken")


def _blacklist_lookup():
    """The prepared query: a blacklist row by jti (compiled by the ORM once
    per connection; see sesstok._lookup)."""
    lookup = _prepared.get("blacklist_lookup")
    if lookup is None:
        from ._lookup import PreparedLookup

        if blacklist_tables() == "simplejwt":
            Outstanding, Blacklisted = _simplejwt_models()
            field = Outstanding._meta.get_field("jti")

            def build(jti):
                return Blacklisted.objects.filter(token__jti=jti).values_list("pk")

            lookup = PreparedLookup(Blacklisted, field, build)
        else:
            from .models import BlacklistedRefreshToken

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


def _outstand(payload, raw, user, now, lookup=False):
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


def _blacklist_payload(payload, raw, user, now):
    p = params()
    jti = payload.get(p.jti_claim)
    if jti is None:
        raise TokenError("Token has no id")
    if user is None:
        user = _user_by_claim(payload)
    if p.blacklist == "simplejwt":
        _, Blacklisted = _simplejwt_models()
        row = _outstand(payload, raw, user, now)
        return Blacklisted.objects.get_or_create(token=row)[0]
    from .models import BlacklistedRefreshToken

    try:
        with transaction.atomic():
            return BlacklistedRefreshToken.objects.get_or_create(
                jti=jti, defaults={"user": user, "expires_at": _datetime(payload["exp"])}
            )[0]
    except IntegrityError:  # a concurrent blacklist of the same token
        return BlacklistedRefreshToken.objects.get(jti=jti)


def blacklist(raw_token, token_type=REFRESH):
    """SimpleJWT's ``TokenBlacklistSerializer``: verify the refresh token
    (an invalid, expired or already blacklisted one raises TokenError) and
    put it on the blacklist. Returns its payload."""
    now = _now()
    payload = decode(raw_token, token_type, now=now)
    _blacklist_payload(payload, raw_token, None, now)
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
        from django.utils import timezone

        Outstanding, Blacklisted = _simplejwt_models()
        rows = Outstanding.objects.filter(user_id=user.pk, expires_at__gt=timezone.now(), blacklistedtoken__isnull=True)
        for row in rows:
            Blacklisted.objects.get_or_create(token=row)
            count += 1
    return count


def purge_blacklist(now=None):
    """Delete blacklist rows of tokens that expired anyway (sesstok's table;
    SimpleJWT's has ``manage.py flushexpiredtokens``). Returns how many."""
    from django.utils import timezone

    from .models import BlacklistedRefreshToken

    deleted, _ = BlacklistedRefreshToken.objects.filter(expires_at__lte=now or timezone.now()).delete()
    return deleted
