"""Models: hashed opaque tokens and the per-user logout epoch.

``AuthToken`` never holds a token in plain text: only the SHA-256 digest of
the whole token string (unkeyed, so rotating ``SECRET_KEY`` never invalidates
a token) and a short display prefix for people to recognise it by. Create
tokens with ``AuthToken.objects.create_token(user, name)``, which returns the
plain token once.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuthTokenQuerySet(models.QuerySet):
    def expired(self, now=None):
        return self.filter(expires__isnull=False, expires__lte=now or timezone.now())

    def active(self, now=None):
        return self.exclude(expires__isnull=False, expires__lte=now or timezone.now())


class AuthTokenManager(models.Manager.from_queryset(AuthTokenQuerySet)):
    def create_token(self, user, name="default", *, expires=None):
        """Create a token for user and return ``(instance, plain_token)``.

        The plain token is returned only here; the database keeps its digest.
        ``expires`` is a datetime, a timedelta or seconds from now; without it
        ``SESSTOK["TOKEN_TTL"]`` applies. Raises ``TokenLimitExceeded`` when
        ``SESSTOK["TOKEN_MAX_PER_USER"]`` would be exceeded."""
        from .tokens import create_token

        return create_token(user, name, expires=expires)


class AuthToken(models.Model):
    """A named opaque API token of a user, stored as its SHA-256 digest."""

    ORIGIN_SESSTOK = "sesstok"
    ORIGIN_DRF = "drf"
    ORIGINS = [(ORIGIN_SESSTOK, "sesstok"), (ORIGIN_DRF, "DRF authtoken (imported)")]

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="sesstok_tokens",
        verbose_name=_("user"),
    )
    name = models.CharField(_("name"), max_length=64, default="default")
    digest = models.CharField(_("digest"), max_length=64, unique=True, editable=False)
    display_prefix = models.CharField(_("prefix"), max_length=16, editable=False)
    origin = models.CharField(_("origin"), max_length=16, choices=ORIGINS, default=ORIGIN_SESSTOK, editable=False)
    created = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    expires = models.DateTimeField(_("expires"), null=True, blank=True, db_index=True)
    last_used = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)

    objects = AuthTokenManager()

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["-created"]
        constraints = [models.UniqueConstraint(fields=["user", "name"], name="sesstok_authtoken_user_name")]

    def __str__(self):
        return f"{self.display_prefix}… ({self.name})"

    def is_expired(self, now=None):
        return self.expires is not None and self.expires <= (now or timezone.now())


class UserEpoch(models.Model):
    """How many times a user logged out everywhere, and when last.

    The database is the source of truth; the revocation cache holds a copy
    with no timeout so that each check is one read of that store."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        primary_key=True,
        related_name="sesstok_epoch",
    )
    epoch = models.PositiveBigIntegerField(default=0)
    changed_at = models.FloatField(default=0.0)  # Unix time of the last bump
    # Unix time of the last password change (sesstok.user_changes); 0: never
    password_changed_at = models.FloatField(default=0.0)

    class Meta:
        verbose_name = _("logout epoch")
        verbose_name_plural = _("logout epochs")

    def __str__(self):
        return f"{self.user_id}: {self.epoch}"


class BlacklistedRefreshToken(models.Model):
    """A refresh or sliding JWT refused before it expires, by its ``jti``.

    sesstok's own blacklist, used when SimpleJWT's ``token_blacklist`` app is
    not installed (with it, its ``OutstandingToken``/``BlacklistedToken``
    tables are used instead; see :mod:`sesstok.refresh_tokens`). Rows are
    useless once ``expires_at`` has passed (the token is refused anyway);
    ``manage.py sesstok_flush_refresh_blacklist`` deletes them."""

    jti = models.CharField(_("token id"), max_length=255, unique=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("user"),
    )
    expires_at = models.DateTimeField(_("expires"), db_index=True)
    blacklisted_at = models.DateTimeField(_("blacklisted"), default=timezone.now)

    class Meta:
        verbose_name = _("blacklisted refresh token")
        verbose_name_plural = _("blacklisted refresh tokens")
        ordering = ["-blacklisted_at"]

    def __str__(self):
        return f"{self.jti} ({self.user_id})"
