"""manage.py sesstok_import_simplejwt_blacklist [--include-expired]

Copy SimpleJWT's blacklist (``rest_framework_simplejwt.token_blacklist``:
each ``BlacklistedToken`` with its ``OutstandingToken``'s jti, user and
expiry) into sesstok's own table, ``sesstok.BlacklistedRefreshToken``, so a
refresh token blacklisted before the switch stays refused once that app is
removed. Tokens that have expired anyway are skipped unless
``--include-expired``; rows already copied are skipped, so it is safe to run
again (run it once more right before removing the app).

While the app is installed sesstok reads its tables directly; the order is:

1. ``manage.py migrate sesstok``
2. ``manage.py sesstok_import_simplejwt_blacklist``
3. set ``SESSTOK["REFRESH_BLACKLIST"] = "sesstok"`` (or remove the app), deploy
4. ``manage.py sesstok_import_simplejwt_blacklist`` again (tokens blacklisted
   during the deploy), then drop the app's tables if you like.
"""

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from sesstok.models import BlacklistedRefreshToken


class Command(BaseCommand):
    help = "Copy SimpleJWT's refresh-token blacklist into sesstok's."

    def add_arguments(self, parser):
        parser.add_argument("--include-expired", action="store_true", help="also copy tokens that have expired")

    def handle(self, *args, include_expired, **options):
        if not apps.is_installed("rest_framework_simplejwt.token_blacklist"):
            raise CommandError(
                "rest_framework_simplejwt.token_blacklist is not in INSTALLED_APPS: there is nothing to import."
            )
        Blacklisted = apps.get_model("token_blacklist", "BlacklistedToken")
        rows = Blacklisted.objects.select_related("token").order_by("pk")
        if not include_expired:
            rows = rows.filter(token__expires_at__gt=timezone.now())
        imported = skipped = 0
        with transaction.atomic():
            known = set(BlacklistedRefreshToken.objects.values_list("jti", flat=True))
            batch = []
            for row in rows.iterator():
                outstanding = row.token
                if outstanding.jti in known:
                    skipped += 1
                    continue
                known.add(outstanding.jti)
                batch.append(
                    BlacklistedRefreshToken(
                        jti=outstanding.jti,
                        user_id=outstanding.user_id,
                        expires_at=outstanding.expires_at,
                        blacklisted_at=row.blacklisted_at,
                    )
                )
                if len(batch) >= 500:
                    BlacklistedRefreshToken.objects.bulk_create(batch)
                    imported += len(batch)
                    batch = []
            BlacklistedRefreshToken.objects.bulk_create(batch)
            imported += len(batch)
        self.stdout.write(f"Imported {imported} blacklisted token(s), {skipped} already imported.")
