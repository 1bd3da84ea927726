"""DRF exceptions with SimpleJWT's response bodies.

``AuthenticationFailed`` and ``InvalidToken`` answer as SimpleJWT's do::

    401 {"detail": "Given token not valid for any token type",
         "code": "token_not_valid",
         "messages": [{"token_class": "AccessToken", "token_type": "access",
                       "message": "Token is invalid"}]}
"""

from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status

from ...exceptions import StoreUnavailable

__all__ = ["DetailDictMixin", "AuthenticationFailed", "InvalidToken", "ServiceUnavailable", "RevocationUnavailable"]


class DetailDictMixin:
    """SimpleJWT's: the response body is a dict with ``detail`` and ``code``."""

    default_detail = ""
    default_code = ""

    def __init__(self, detail=None, code=None):
        detail_dict = {"detail": self.default_detail, "code": self.default_code}
        if isinstance(detail, dict):
            detail_dict.update(detail)
        elif detail is not None:
            detail_dict["detail"] = detail
        if code is not None:
            detail_dict["code"] = code
        super().__init__(detail_dict)


class AuthenticationFailed(DetailDictMixin, exceptions.AuthenticationFailed):
    pass


class InvalidToken(AuthenticationFailed):
    status_code = status.HTTP_401_UNAUTHORIZED
    default_detail = _("Token is invalid or expired")
    default_code = "token_not_valid"


class ServiceUnavailable(exceptions.APIException):
    """A configured check could not run (:class:`sesstok.exceptions.StoreUnavailable`):
    ``503 {"detail": ..., "code": ...}`` with ``Retry-After``; nothing is
    accepted unchecked."""

    status_code = status.HTTP_503_SERVICE_UNAVAILABLE
    default_detail = _("The revocation store is unavailable.")
    default_code = "revocation_unavailable"

    def __init__(self, error=None):
        code = getattr(error, "code", self.default_code)
        message = getattr(error, "message", self.default_detail)
        self.wait = getattr(error, "retry_after", StoreUnavailable.retry_after)  # DRF sets Retry-After from it
        super().__init__({"detail": message, "code": code})


RevocationUnavailable = ServiceUnavailable  # the old name
