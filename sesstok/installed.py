"""Start-up guard: sesstok's middleware and DRF classes need the app.

Without ``"sesstok"`` in ``INSTALLED_APPS`` its system checks, signal
receivers and models are missing, and the first token request would fail
with a ``RuntimeError`` (a 500). The middleware and the DRF authentication
classes call :func:`require_app` when they are constructed, so the mistake
is an ``ImproperlyConfigured`` naming the fix, at start-up for middleware
(DRF builds its authenticators per request: the first request says it).
"""

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured

from .conf import sesstok_settings

_ok = []  # [True] once the app was found installed; emptied when settings change


@sesstok_settings.on_change  # INSTALLED_APPS is among the watched settings
def _forget():
    _ok.clear()


def require_app(component):
    """Raise ImproperlyConfigured unless the sesstok app is installed.
    ``component`` is the instance (or class) needing it, named in the message."""
    if _ok:
        return
    if not apps.is_installed("sesstok"):
        cls = component if isinstance(component, type) else type(component)
        raise ImproperlyConfigured(
            f'{cls.__module__}.{cls.__qualname__} needs the sesstok app: add "sesstok" to INSTALLED_APPS '
            "(then run `manage.py migrate sesstok`)."
        )
    _ok.append(True)
