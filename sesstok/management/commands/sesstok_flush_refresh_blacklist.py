"""manage.py sesstok_flush_refresh_blacklist

Delete rows of sesstok's refresh-token blacklist whose token has expired
anyway (SimpleJWT's ``flushexpiredtokens`` for sesstok's own table). Optional:
an expired token is refused whether or not its row is still there.
"""

from django.core.management.base import BaseCommand

from sesstok.refresh_tokens import purge_blacklist


class Command(BaseCommand):
    help = "Delete blacklist rows of refresh tokens that have expired."

    def handle(self, *args, **options):
        self.stdout.write(f"Deleted {purge_blacklist()} expired blacklist row(s).")
