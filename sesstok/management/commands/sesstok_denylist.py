"""manage.py sesstok_denylist purge|rebuild

``purge``: delete expired denylist entries from the database (useless once
expired; run it from cron). ``rebuild``: write every unexpired entry back to
the revocation store (after the store lost its data, with a backend other
than ``sesstok.cache.RedisCache``, which rebuilds by itself).
"""

from django.core.management.base import BaseCommand, CommandError

from sesstok import denylist, revocation


class Command(BaseCommand):
    help = "Purge expired denylist entries, or rebuild the revocation store from the database."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["purge", "rebuild"])

    def handle(self, *args, action, **options):
        if action == "purge":
            self.stdout.write(f"Deleted {denylist.purge()} expired denylist entr(y/ies).")
            return
        store = revocation.store()
        if store is None:
            raise CommandError("SESSTOK['REVOCATION_CACHE'] is None: there is no store to rebuild.")
        self.stdout.write(f"Wrote {denylist.rebuild(store)} denylist entr(y/ies) to the revocation store.")
