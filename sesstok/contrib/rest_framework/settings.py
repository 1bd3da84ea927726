"""Settings of the DRF integration.

- ``api_settings``: SimpleJWT's settings (the ``SIMPLE_JWT`` dict with
  SimpleJWT's defaults), as :data:`sesstok.jwt_settings.jwt_settings`; the
  same name SimpleJWT uses, so ``from ....settings import api_settings`` code
  reads the same values.
- The cookie transport and the blacklist choice are sesstok settings
  (``SESSTOK["JWT_AUTH_COOKIE"]``, ...; see docs/drf.md).

Plain Django: no DRF import.
"""

from ...conf import sesstok_settings
from ...jwt_settings import DEFAULTS, jwt_settings

__all__ = ["api_settings", "DEFAULTS", "sesstok_settings", "cookie_settings"]

api_settings = jwt_settings


def cookie_settings():
    """(access cookie name, refresh cookie name) or (None, None)."""
    return sesstok_settings.JWT_AUTH_COOKIE, sesstok_settings.JWT_REFRESH_COOKIE
