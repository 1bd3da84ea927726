"""sesstok's own exceptions, in one module (Django-free).

Two families:

- The JWT exceptions of :mod:`sesstok.jwt`, with PyJWT's class names and
  hierarchy: code that catches ``jwt.exceptions.X`` catches
  ``sesstok.exceptions.X`` after changing the import. The C core raises
  these classes (it looks each one up here the first time it needs it).
- The auth pipeline's (:mod:`sesstok.pipeline`): :class:`AuthenticationError`
  (a credential was presented and refused; ``code`` and ``message`` are
  stable), its SimpleJWT-shaped subclasses :class:`TokenError`,
  :class:`ExpiredTokenError` and :class:`AccountError`, and
  :class:`StoreUnavailable` (a configured check could not run: every adapter
  answers 503, never a pass). The framework-shaped exceptions (DRF's
  ``APIException`` subclasses) live in their adapters.

::

    PyJWTError
    ├── InvalidTokenError
    │   ├── DecodeError
    │   │   └── InvalidSignatureError
    │   ├── ExpiredSignatureError
    │   ├── InvalidAudienceError
    │   ├── InvalidIssuerError
    │   ├── InvalidIssuedAtError
    │   ├── ImmatureSignatureError
    │   ├── InvalidAlgorithmError
    │   ├── MissingRequiredClaimError
    │   ├── InvalidSubjectError
    │   └── InvalidJTIError
    ├── InvalidKeyError
    ├── PyJWKError
    │   └── MissingCryptographyError
    ├── PyJWKSetError
    └── PyJWKClientError
        └── PyJWKClientConnectionError
"""

__all__ = [
    "PyJWTError",
    "InvalidTokenError",
    "DecodeError",
    "InvalidSignatureError",
    "ExpiredSignatureError",
    "InvalidAudienceError",
    "InvalidIssuerError",
    "InvalidIssuedAtError",
    "ImmatureSignatureError",
    "InvalidKeyError",
    "InvalidAlgorithmError",
    "MissingRequiredClaimError",
    "PyJWKError",
    "MissingCryptographyError",
    "PyJWKSetError",
    "PyJWKClientError",
    "PyJWKClientConnectionError",
    "InvalidSubjectError",
    "InvalidJTIError",
    "InsecureKeyLengthWarning",
    "RemovedInPyjwt3Warning",
    "AuthenticationError",
    "StoreUnavailable",
    "RevocationUnavailable",
    "store_failure",
    "TokenError",
    "ExpiredTokenError",
    "TokenRevoked",
    "AccountError",
    "DuplicateTokenName",
    "TokenLimitExceeded",
]


class PyJWTError(Exception):
    """Base class for all exceptions"""


class InvalidTokenError(PyJWTError):
    """Base exception when ``decode()`` fails on a token"""


class DecodeError(InvalidTokenError):
    """Raised when a token cannot be decoded because it failed validation"""


class InvalidSignatureError(DecodeError):
    """Raised when a token's signature doesn't match the one provided as part of
    the token."""


class ExpiredSignatureError(InvalidTokenError):
    """Raised when a token's ``exp`` claim indicates that it has expired"""


class InvalidAudienceError(InvalidTokenError):
    """Raised when a token's ``aud`` claim does not match one of the expected
    audience values"""


class InvalidIssuerError(InvalidTokenError):
    """Raised when a token's ``iss`` claim does not match the expected issuer"""


class InvalidIssuedAtError(InvalidTokenError):
    """Raised when a token's ``iat`` claim is non-numeric"""


class ImmatureSignatureError(InvalidTokenError):
    """Raised when a token's ``nbf`` or ``iat`` claims represent a time in the future"""


class InvalidKeyError(PyJWTError):
    """Raised when the specified key is not in the proper format"""


class InvalidAlgorithmError(InvalidTokenError):
    """Raised when the specified algorithm is not recognized by PyJWT"""


class MissingRequiredClaimError(InvalidTokenError):
    """Raised when a claim that is required to be present is not contained
    in the claimset"""

    def __init__(self, claim: str) -> None:
        self.claim = claim

    def __str__(self) -> str:
        return f'Token is missing the "{self.claim}" claim'


class PyJWKError(PyJWTError):
    pass


class MissingCryptographyError(PyJWKError):
    """Raised if the algorithm requires ``cryptography`` to be installed and it is
    not available. sesstok does its cryptography in OpenSSL itself, so it
    never raises this; the class exists for code that catches it."""


class PyJWKSetError(PyJWTError):
    pass


class PyJWKClientError(PyJWTError):
    pass


class PyJWKClientConnectionError(PyJWKClientError):
    pass


class InvalidSubjectError(InvalidTokenError):
    """Raised when a token's ``sub`` claim is not a string or doesn't match the
    expected ``subject``"""


class InvalidJTIError(InvalidTokenError):
    """Raised when a token's ``jti`` claim is not a string"""


class InsecureKeyLengthWarning(UserWarning):
    """Warning emitted when a key is shorter than the minimum recommended
    length and ``enforce_minimum_key_length`` is off (sesstok's default is
    on: such keys raise :class:`InvalidKeyError`)."""


class RemovedInPyjwt3Warning(DeprecationWarning):
    """Warning for PyJWT 2 calling conventions that PyJWT 3 removes (extra
    keyword arguments to ``decode``)."""


# ---- the auth pipeline ------------------------------------------------------------


class AuthenticationError(Exception):
    """A credential was presented and refused. ``code`` is stable and is what
    the middleware puts in its 401 JSON body; ``status`` the HTTP status."""

    status = 401

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class StoreUnavailable(AuthenticationError):
    """A configured check could not run (the revocation store or the
    database did not answer): nothing is accepted. Every adapter answers
    503 with ``code`` (``revocation_unavailable``, ``database_unavailable``)
    and ``Retry-After: retry_after``."""

    status = 503
    retry_after = 5  # seconds: a restart of Redis or a failover

    MESSAGES = {
        "revocation_unavailable": "The revocation store is unavailable.",
        "database_unavailable": "The database is unavailable.",
    }

    def __init__(self, code: str = "revocation_unavailable", message: str | None = None) -> None:
        super().__init__(code, message or self.MESSAGES.get(code, "A required service is unavailable."))


class RevocationUnavailable(StoreUnavailable):
    """The revocation store could not be read (``revocation_unavailable``)."""

    def __init__(self, message: str | None = None) -> None:
        super().__init__("revocation_unavailable", message)


def store_failure(error: BaseException) -> StoreUnavailable | None:
    """The :class:`StoreUnavailable` that ``error`` means, or None: the one
    place where a store's or a database's failure becomes "a check could not
    run". StoreUnavailable itself; the cache layer's Redis connection,
    timeout, out-of-memory and read-only errors (``revocation_unavailable``); Django's
    ``OperationalError``, ``InterfaceError`` and a bare ``DatabaseError``
    (``database_unavailable``; its other subclasses, ``IntegrityError``,
    ``DataError``..., are bugs or bad input, not outages). Imports lazily:
    this module stays Django-free."""
    if isinstance(error, StoreUnavailable):
        return error
    try:
        from redis import exceptions as redis_errors
    except ImportError:  # pragma: no cover - redis is an optional dependency
        pass
    else:
        outages = (redis_errors.ConnectionError, redis_errors.TimeoutError, redis_errors.OutOfMemoryError)
        if isinstance(error, (*outages, redis_errors.ReadOnlyError)):  # read-only: a failover's old primary
            return RevocationUnavailable()
    try:
        from django import db
    except ImportError:  # pragma: no cover
        return None
    if isinstance(error, (db.OperationalError, db.InterfaceError)) or type(error) is db.DatabaseError:
        return StoreUnavailable("database_unavailable")
    return None


class TokenError(AuthenticationError):
    """SimpleJWT's ``TokenError``: the token is refused. Its views answer
    ``401 {"detail": message, "code": "token_not_valid"}``."""

    def __init__(self, message: str = "Token is invalid", code: str = "token_not_valid") -> None:
        super().__init__(code, message)


class ExpiredTokenError(TokenError):
    def __init__(self, message: str = "Token is expired") -> None:
        super().__init__(message)


class TokenRevoked(TokenError):
    """The token was revoked (denylisted, logout-everywhere, password
    change): SimpleJWT's "Token is blacklisted"."""

    def __init__(self, message: str = "Token is blacklisted") -> None:
        super().__init__(message)


class AccountError(AuthenticationError):
    """The token is fine but its user may not log in (SimpleJWT's
    ``AuthenticationFailed(..., "no_active_account")``)."""

    def __init__(
        self, message: str = "No active account found for the given token.", code: str = "no_active_account"
    ) -> None:
        super().__init__(code, message)


class DuplicateTokenName(ValueError):
    """The user already has a token with this name."""


class TokenLimitExceeded(Exception):
    """Creating the token would exceed ``SESSTOK["TOKEN_MAX_PER_USER"]``."""
