"""Signal receivers connected in ``SesstokConfig.ready()``.

- ``user_logged_in``: with ``SESSION_DENYLIST`` on, record the user's logout
  epoch in the new session, so a later logout-everywhere refuses it.
- ``post_save`` of the user model after ``set_password()``: delete the user's
  opaque tokens. A password change revokes every session (Django's session
  auth hash) and every JWT (sesstok's auth-hash claim) by itself; opaque
  tokens carry no key-derived value, so they are deleted here. A hash
  upgrade done by ``check_password()`` is not a password change and keeps
  them.
"""

from django.conf import settings
from django.contrib.auth.signals import user_logged_in
from django.db.models.signals import post_save
from django.dispatch import receiver

from . import revocation


@receiver(user_logged_in, dispatch_uid="sesstok.stamp_epoch")
def stamp_epoch(sender, request, user, **kwargs):
    session = getattr(request, "session", None)
    if session is None or not revocation.session_denylist_enabled():
        return
    session[revocation.EPOCH_SESSION_KEY] = revocation.get_epoch(user.pk)[0]


def password_saved(sender, instance, created, raw=False, **kwargs):
    if created or raw or getattr(instance, "_password", None) is None:
        return
    from .tokens import revoke_user_tokens

    revoke_user_tokens(instance)


post_save.connect(password_saved, sender=settings.AUTH_USER_MODEL, dispatch_uid="sesstok.password_saved")
