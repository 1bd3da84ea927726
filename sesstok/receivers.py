"""Signal receivers connected in ``SesstokConfig.ready()``.

- ``user_logged_in``: with ``SESSION_DENYLIST`` on, record the user's logout
  epoch in the new session, so a later logout-everywhere refuses it.
- ``pre_save``/``post_save`` of the user model: a change of the stored
  password hash or a deactivation, however it was made, revokes what
  :mod:`sesstok.user_changes` decides (a hash upgrade by
  ``check_password()`` is not a change).
"""

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_save, pre_save
from django.dispatch import receiver

from . import revocation, user_changes


@receiver(user_logged_in, dispatch_uid="sesstok.stamp_epoch")
def stamp_epoch(sender, request, user, **kwargs):
    session = getattr(request, "session", None)
    if session is None or not revocation.session_denylist_enabled():
        return
    session[revocation.EPOCH_SESSION_KEY] = revocation.get_epoch(user.pk)[0]


def user_saving(sender, instance, raw=False, update_fields=None, **kwargs):
    if not raw:
        user_changes.before_save(instance, update_fields)


def password_saved(sender, instance, created, raw=False, update_fields=None, **kwargs):
    if created or raw:
        return
    user_changes.after_save(instance, update_fields)


pre_save.connect(user_saving, sender=settings.AUTH_USER_MODEL, dispatch_uid="sesstok.user_saving")
post_save.connect(password_saved, sender=settings.AUTH_USER_MODEL, dispatch_uid="sesstok.password_saved")
