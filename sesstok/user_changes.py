"""What a password change or a deactivation revokes, decided in one place.

A change is detected wherever it happens (``set_password()``,
``set_unusable_password()`` as the admin's "disable password", an assigned
``user.password = make_password(...)``, ``is_active = False``): before a
user row is saved, its stored password hash and ``is_active`` are read and
compared with what is being written (:func:`before_save`,
:func:`after_save`, connected by :mod:`sesstok.receivers`). A hash upgrade
by ``check_password()`` is not a change. ``QuerySet.update(password=...)``
sends no signal and is not seen.

- A password change deletes the user's opaque tokens (sesstok's, and DRF's
  ``Token`` rows while ``rest_framework.authtoken`` is a way in:
  :func:`sesstok.tokens.revoke_user_tokens`, which logout-everywhere uses
  too) and sets the user's
  password-change marker (the time of the change, in
  :class:`~sesstok.models.UserEpoch` with a copy in the revocation store).
  JWTs and refresh tokens carrying ``sst_ah`` are refused by that claim;
  the others (SimpleJWT's, from before a switch) and stateless tokens,
  which no user is loaded for, by the marker: refused when issued no later
  than the change (:func:`sesstok.validity.marker_revoked`). Sessions follow
  Django: the one ``update_session_auth_hash()`` keeps stays valid.
- A deactivation bumps the user's logout epoch
  (:func:`sesstok.revocation.bump_epoch`): refresh tokens, and with the
  denylists on access tokens, stateless tokens and sessions, are refused for
  good; reactivating the user does not restore them. Opaque tokens are kept:
  refused while the user is inactive (as DRF's), working again after a
  reactivation (a backend that lets inactive users in keeps them working).
"""

import time
from typing import Any

from django.db import transaction

from . import revocation, tokens, user_cache
from .models import UserEpoch

__all__ = ["before_save", "after_save", "password_changed", "deactivated"]

_BEFORE = "_sesstok_before_save"


def before_save(user: Any, update_fields: Any = None) -> None:
    """Remember the stored (password, is_active) of a user about to be
    saved, when the save may change either."""
    if user.pk is None or user._state.adding:
        return
    if update_fields is not None and not {"password", "is_active"} & set(update_fields):
        return
    model = type(user)
    has_active = any(f.name == "is_active" for f in model._meta.concrete_fields)
    fields = ("password", "is_active") if has_active else ("password",)
    row = model._default_manager.filter(pk=user.pk).values_list(*fields).first()
    if row is not None:
        setattr(user, _BEFORE, (row[0], row[1] if has_active else True))


def after_save(user: Any, update_fields: Any = None) -> None:
    """Revoke what the save just changed (see the module docstring)."""
    before = user.__dict__.pop(_BEFORE, None)
    if before is None:
        return
    password, was_active = before
    if was_active and not getattr(user, "is_active", True):
        deactivated(user)
    elif password != user.password and not _hash_upgrade(user, update_fields):
        password_changed(user)


def _hash_upgrade(user: Any, update_fields: Any) -> bool:
    # check_password()'s setter: set_password(), then _password = None, then
    # save(update_fields=["password"]) (django.contrib.auth.base_user)
    return getattr(user, "_password", None) is None and update_fields is not None and set(update_fields) == {"password"}


def password_changed(user: Any) -> float:
    """Record a password change of user now: the marker, in the database
    and the store; the user's opaque tokens deleted. Returns the marker."""
    now = time.time()
    with transaction.atomic():
        row, _ = UserEpoch.objects.select_for_update().get_or_create(user_id=user.pk)
        row.password_changed_at = max(now, row.password_changed_at)
        row.save(update_fields=["password_changed_at"])
    store = revocation.store()
    if store is not None:
        store.set(revocation.marker_key(user.pk), row.password_changed_at, timeout=None)
    tokens.revoke_user_tokens(user)
    user_cache.invalidate(user)
    return row.password_changed_at


def deactivated(user: Any) -> None:
    """A deactivation: every JWT and session of the user is refused, for good."""
    revocation.bump_epoch(user)
