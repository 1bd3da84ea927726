"""SimpleJWT's claim rules, in one place: ``Token.check_exp`` and
``Token.verify`` (exp required and not past, jti present, token type), with
SimpleJWT's exact messages. The signature, a present ``exp``, ``aud`` and
``iss`` are checked before, in C (:mod:`.backend`).

Every path uses these: the middleware (:mod:`sesstok.access_tokens`), the
DRF classes' fast path, the token classes, refresh/verify/blacklist
(:mod:`sesstok.refresh_tokens`). Errors are
:class:`~sesstok.exceptions.TokenError`.
"""

import time
from typing import Any

from ..exceptions import TokenError
from ..jwt_settings import jwt_settings
from . import backend

__all__ = ["ACCESS", "REFRESH", "SLIDING", "check_exp", "verify"]

ACCESS = "access"
REFRESH = "refresh"
SLIDING = "sliding"


def check_exp(payload: dict[str, Any], claim: str = "exp", now: float | None = None) -> None:
    """SimpleJWT's ``Token.check_exp``: the claim must be there and not past
    (LEEWAY allowed)."""
    try:
        value = payload[claim]
    except KeyError:
        raise TokenError(f"Token has no '{claim}' claim") from None
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        raise TokenError()
    if now is None:
        now = time.time()
    if value <= now - backend.leeway():
        raise TokenError(f"Token '{claim}' claim has expired")


def verify(
    payload: dict[str, Any], token_type: str | None, *, now: float | None = None, exp_checked: bool = False
) -> None:
    """SimpleJWT's ``Token.verify``: exp, jti, token type, in that order. A
    token_type of None skips the type check (``UntypedToken``).
    ``exp_checked``: the decoder just compared ``exp`` with the clock, only
    its presence is left to check."""
    if exp_checked:
        if "exp" not in payload:
            raise TokenError("Token has no 'exp' claim")
    else:
        check_exp(payload, now=now)
    jti_claim = jwt_settings.JTI_CLAIM
    if jti_claim is not None and jti_claim not in payload:
        raise TokenError("Token has no id")
    type_claim = jwt_settings.TOKEN_TYPE_CLAIM
    if type_claim is not None and token_type is not None:
        try:
            value = payload[type_claim]
        except KeyError:
            raise TokenError("Token has no type") from None
        if value != token_type:
            raise TokenError("Token has wrong type")
