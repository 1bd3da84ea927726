"""manage.py sesstok_import_drf_tokens [--delete] [--name NAME]

Import DRF ``authtoken`` keys: each 40-hex key is stored as sesstok stores
every token (its SHA-256 digest), so clients keep sending the same
``Authorization: Token <key>`` header. Run it as often as you like: keys
imported before are skipped. With ``--delete`` DRF's rows (plain-text keys)
are deleted once imported, in the same transaction.
"""

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from sesstok.models import AuthToken
from sesstok.tokens import import_key


class Command(BaseCommand):
    help = "Import DRF authtoken keys as hashed sesstok tokens."

    def add_arguments(self, parser):
        parser.add_argument("--delete", action="store_true", help="delete DRF's plain-text rows after importing them")
        parser.add_argument("--name", default="drf", help="name of the imported tokens (default: %(default)s)")

    def handle(self, *args, delete, name, **options):
        if not apps.is_installed("rest_framework.authtoken"):
            raise CommandError("rest_framework.authtoken is not in INSTALLED_APPS: there is nothing to import.")
        Token = apps.get_model("authtoken", "Token")
        imported = skipped = 0
        seen = []
        with transaction.atomic():
            for drf in Token.objects.select_related("user").order_by("created").iterator():
                token_name = name
                if AuthToken.objects.filter(user_id=drf.user_id, name=token_name).exclude(
                    digest=_digest(drf.key)
                ).exists():
                    token_name = f"{name}-{drf.key[:8]}"
                if import_key(drf.user, drf.key, name=token_name, created=drf.created) is None:
                    skipped += 1
                else:
                    imported += 1
                seen.append(drf.pk)
            deleted = 0
            if delete:
                # only the rows read above: a key created meanwhile stays
                for start in range(0, len(seen), 500):
                    deleted += Token.objects.filter(pk__in=seen[start : start + 500]).delete()[0]
        self.stdout.write(f"Imported {imported} DRF token(s), {skipped} already imported.")
        if delete:
            self.stdout.write(f"Deleted {deleted} DRF row(s).")


def _digest(key):
    from sesstok.tokens import token_digest

    return token_digest(key)
