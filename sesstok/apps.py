"""The Django application: ``INSTALLED_APPS += ["sesstok"]``.

Registers the system checks, the signal receivers that keep revocation state
(password change, login epoch stamp) and, if ``SESSTOK["ACCELERATE_DJANGO_SIGNING"]``
is set, runs ``django.core.signing`` on the C core.
"""

from django.apps import AppConfig


class SesstokConfig(AppConfig):
    name = "sesstok"
    label = "sesstok"
    verbose_name = "sesstok"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # imported here, not at the top: they import models (and the user
        # model), which Django allows only once the app registry is ready
        from . import checks, drf_authtoken, receivers, user_cache  # noqa: F401  registers

        user_cache.connect_signals()
        drf_authtoken.connect()  # DRF's Token model as a way in
        from .conf import sesstok_settings
        from .contrib.rest_framework import checks as jwt_checks  # registers (no DRF import)

        try:
            jwt_checks.prepare_keys()  # parse asymmetric JWT keys once, at start-up
        except Exception:  # noqa: BLE001 - reported by the system checks (sesstok.E103)
            pass

        if sesstok_settings.ACCELERATE_DJANGO_SIGNING:
            from . import accelerate

            accelerate.accelerate_django()
