"""manage.py sesstok_import_drf_tokens [--delete] [--name NAME]

Import DRF ``authtoken`` keys: each key (any key DRF holds, up to 40
characters) is stored as sesstok stores every token (its SHA-256 digest), so
clients keep sending the same ``Authorization: Token <key>`` header. Run it
as often as you like: keys imported before are skipped. While
``rest_framework.authtoken`` is installed, rows saved through DRF's model are
mirrored anyway (:mod:`sesstok.drf_authtoken`); this command catches rows
written around the ORM and rows from before the switch.

With ``--delete`` DRF's rows (plain-text keys) are deleted once imported, in
the same transaction, without revoking their digests: run it once no code
uses DRF's ``Token`` model any more (deleting a row is then no longer a way
to revoke it). A key that sesstok cannot read from an ``Authorization``
header (whitespace or control characters, or shaped like a JWT) is not
imported: the command names the count and fails, and ``--delete`` deletes
nothing.
"""

from django.apps import apps
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from sesstok import drf_authtoken, tokens


class Command(BaseCommand):
    help = "Import DRF authtoken keys as hashed sesstok tokens."

    def add_arguments(self, parser):
        parser.add_argument("--delete", action="store_true", help="delete DRF's plain-text rows after importing them")
        parser.add_argument("--name", default="drf", help="name of the imported tokens (default: %(default)s)")

    def handle(self, *args, delete, name, **options):
        if not apps.is_installed("rest_framework.authtoken"):
            raise CommandError("rest_framework.authtoken is not in INSTALLED_APPS: there is nothing to import.")
        Token = drf_authtoken.token_model()
        imported = skipped = 0
        refused = []
        seen = []
        with transaction.atomic():
            for drf in Token.objects.select_related("user").order_by("created").iterator():
                if tokens.shape(drf.key) != tokens.DRF:
                    refused.append(drf.pk)
                    continue
                if drf_authtoken.mirror(drf, name) is None:
                    skipped += 1
                else:
                    imported += 1
                seen.append(drf.pk)
            if refused:
                raise CommandError(
                    f"{len(refused)} DRF key(s) cannot be sent as sesstok reads an Authorization header "
                    "(whitespace or control characters, or shaped like a JWT): nothing was imported. Give "
                    "those users new tokens and delete these rows first (users: "
                    f"{sorted(set(Token.objects.filter(pk__in=refused[:20]).values_list('user_id', flat=True)))}"
                    f"{' ...' if len(refused) > 20 else ''})."
                )
            deleted = 0
            if delete:
                # only the rows read above: a key created meanwhile stays
                with drf_authtoken.detached():
                    for start in range(0, len(seen), 500):
                        deleted += Token.objects.filter(pk__in=seen[start : start + 500]).delete()[0]
        self.stdout.write(f"Imported {imported} DRF token(s), {skipped} already imported.")
        if delete:
            self.stdout.write(f"Deleted {deleted} DRF row(s).")
