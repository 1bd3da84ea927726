"""manage.py sesstok_purge_tokens

Delete expired API tokens. Optional: expired tokens are refused and deleted
when presented anyway; this only tidies up those never presented again.
"""

from django.core.management.base import BaseCommand

from sesstok.tokens import purge_expired


class Command(BaseCommand):
    help = "Delete expired sesstok API tokens."

    def handle(self, *args, **options):
        count = purge_expired()
        self.stdout.write(f"Deleted {count} expired token(s).")
