"""DRF's ``authtoken.Token`` model stays a way in while it is installed.

With ``rest_framework.authtoken`` in ``INSTALLED_APPS`` and
``SESSTOK["DRF_AUTHTOKEN_SYNC"]`` on (the default), sesstok's
``TokenAuthentication`` accepts every key of DRF's ``Token`` table, stored
on sesstok's side as its digest (an ``AuthToken`` of origin ``drf``):

- a ``Token`` saved through the ORM (``Token.objects.create(user=...)``, a
  ``post_save`` receiver as in DRF's guide, djoser's login) is mirrored as
  it is saved (``post_save``); a row written around the ORM (a fixture,
  ``bulk_create``, raw SQL, rows from before the switch) is mirrored on its
  first use (the lookup fallback below);
- deleting a ``Token`` (or its user) deletes its digest in the same
  transaction, so it is refused from the next request (with the user cache
  on, within its staleness contract: the deletion bumps the user's version);
- sesstok's own revocations delete DRF's rows too: deleting an ``AuthToken``
  of origin ``drf`` (``request.auth.delete()``, ``api/logout/``) deletes its
  ``Token`` row, and ``revoke_user_tokens`` (password change,
  logout-everywhere) deletes all of the user's, so no fallback can bring a
  revoked key back.

DRF keeps its keys in plain text; while a row exists, so does its key.
``manage.py sesstok_import_drf_tokens --delete`` drops the rows (without
revoking their digests) once no code uses DRF's model.

``SESSTOK["DRF_AUTHTOKEN_KEEP_KEYS"]`` (off by default) makes sesstok's
``obtain_auth_token`` answer as DRF's: the user's single ``Token`` (created
on first call, in DRF's table, in plain text), the same key on every call,
so ``user.auth_token`` works. This opts out of hashing at rest for those
tokens: their keys stay readable in DRF's table until the token is deleted.
"""

import contextlib
import contextvars

from django.apps import apps
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction
from django.db.models import signals

from .conf import sesstok_settings

__all__ = [
    "enabled",
    "keeps_keys",
    "token_model",
    "mirror",
    "find_unmirrored",
    "single_token",
    "revoke_user",
    "detached",
    "connect",
    "check_token_class",
]

_detached = contextvars.ContextVar("sesstok_drf_detached", default=False)


def installed():
    return apps.is_installed("rest_framework.authtoken")


def enabled():
    """Whether DRF's Token rows are a way in (installed and DRF_AUTHTOKEN_SYNC)."""
    return bool(sesstok_settings.DRF_AUTHTOKEN_SYNC) and installed()


def keeps_keys():
    """Whether obtain_auth_token hands out DRF's single, plain-text Token."""
    if not sesstok_settings.DRF_AUTHTOKEN_KEEP_KEYS:
        return False
    if not installed():
        raise ImproperlyConfigured(
            'SESSTOK["DRF_AUTHTOKEN_KEEP_KEYS"] keeps keys in DRF\'s Token table: add '
            '"rest_framework.authtoken" to INSTALLED_APPS, or turn the setting off.'
        )
    return True


def token_model():
    return apps.get_model("authtoken", "Token")


def mirror(row, name="drf"):
    """Store a DRF Token row's key as a digest. Return the new AuthToken, or
    None if that key is stored already."""
    # imported here: sesstok.tokens imports this module (its lookup fallback
    # and revoke_user_tokens call it), and models need the app registry
    from .models import AuthToken
    from .tokens import import_key, token_digest

    digest = token_digest(row.key)
    if AuthToken.objects.filter(user_id=row.user_id, name=name).exclude(digest=digest).exists():
        name = f"{name}-{row.key[:8]}"  # the user already has a token of that name
    try:
        with transaction.atomic():
            return import_key(row.user, row.key, name=name, created=row.created)
    except IntegrityError:  # mirrored meanwhile by a concurrent request
        return None


def find_unmirrored(key):
    """Lookup fallback for ``tokens.authenticate_token``: mirror the DRF row
    with this key, if one exists and DRF's rows are a way in. Return whether
    one was mirrored."""
    if not enabled():
        return False
    row = token_model().objects.select_related("user").filter(key=key).first()
    if row is None:
        return False
    mirror(row)  # None: mirrored meanwhile, which is as good
    return True


def single_token(user):
    """DRF's obtain_auth_token: the user's one Token key (created if needed)."""
    return token_model().objects.get_or_create(user=user)[0].key


def revoke_user(user):
    """Delete a user's DRF Token rows (their digests go with them)."""
    if enabled():
        token_model().objects.filter(user_id=user.pk).delete()


@contextlib.contextmanager
def detached():
    """Delete DRF rows inside this block without revoking their digests
    (``sesstok_import_drf_tokens --delete``)."""
    reset = _detached.set(True)
    try:
        yield
    finally:
        _detached.reset(reset)


# ---- signals ----------------------------------------------------------------------


def _token_saved(sender, instance, raw=False, **kwargs):
    if enabled() and not raw:  # a fixture's row (raw) is mirrored on first use: its user may load later
        mirror(instance)


def _token_deleted(sender, instance, **kwargs):
    if enabled() and not _detached.get():
        from .models import AuthToken
        from .tokens import token_digest

        AuthToken.objects.filter(digest=token_digest(instance.key)).delete()


def _authtoken_deleted(sender, instance, **kwargs):
    """A mirrored AuthToken deleted by sesstok: delete the DRF row it came from."""
    if instance.origin != instance.ORIGIN_DRF or not enabled() or _detached.get():
        return
    from .tokens import token_digest

    for row in token_model().objects.filter(user_id=instance.user_id):  # DRF: one per user
        if token_digest(row.key) == instance.digest:
            row.delete()


def connect():
    """Called by ``SesstokConfig.ready()``: with DRF's authtoken installed, the
    receivers on its Token model and on sesstok's AuthToken (a receiver
    makes Django load the rows a bulk delete removes, so without DRF's app
    none is connected)."""
    from .models import AuthToken

    if installed():
        Token = token_model()
        signals.post_save.connect(_token_saved, sender=Token, dispatch_uid="sesstok.drf.token_saved")
        signals.post_delete.connect(_token_deleted, sender=Token, dispatch_uid="sesstok.drf.token_deleted")
        signals.post_delete.connect(_authtoken_deleted, sender=AuthToken, dispatch_uid="sesstok.drf.authtoken_deleted")


# ---- TokenAuthentication.model -------------------------------------------------------

_checked_classes = set()


def check_token_class(cls):
    """``model = X`` on a TokenAuthentication subclass (DRF's hook): DRF's own
    Token model and sesstok's AuthToken are what sesstok reads anyway; any
    other model raises ImproperlyConfigured (checked once per class)."""
    if cls in _checked_classes:
        return
    from .models import AuthToken

    model = getattr(cls, "model", None)
    if model not in (None, AuthToken) and not (installed() and model is token_model()):
        raise ImproperlyConfigured(
            f"{cls.__module__}.{cls.__qualname__}.model = {model!r}: sesstok's TokenAuthentication reads "
            "sesstok's AuthToken table (and DRF's Token model through SESSTOK['DRF_AUTHTOKEN_SYNC']), not a "
            "custom token model. Remove `model`, or subclass rest_framework.authentication.TokenAuthentication "
            "for that model."
        )
    _checked_classes.add(cls)
