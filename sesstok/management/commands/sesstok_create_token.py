"""manage.py sesstok_create_token USERNAME [--name NAME] [--expires-in SECONDS]

Create an API token and print it once (to stdout, nothing else there).
"""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from sesstok.tokens import DuplicateTokenName, TokenLimitExceeded, create_token


class Command(BaseCommand):
    help = "Create an opaque API token for a user and print it (it cannot be shown again)."

    def add_arguments(self, parser):
        parser.add_argument("username", help="the user's USERNAME_FIELD value")
        parser.add_argument(
            "--name", default="default", help="the token's name, unique per user (default: %(default)s)"
        )
        parser.add_argument(
            "--expires-in",
            type=int,
            default=None,
            metavar="SECONDS",
            help="lifetime in seconds; 0 for a token that never expires (default: SESSTOK['TOKEN_TTL'])",
        )

    def handle(self, *args, username, name, expires_in, **options):
        User = get_user_model()
        try:
            user = User._default_manager.get_by_natural_key(username)
        except User.DoesNotExist:
            raise CommandError(f"No user {username!r}.") from None
        kwargs = {}
        if expires_in is not None:
            if expires_in < 0:
                raise CommandError("--expires-in must not be negative.")
            kwargs["expires"] = expires_in or None
        try:
            instance, plain = create_token(user, name, **kwargs)
        except (DuplicateTokenName, TokenLimitExceeded) as e:
            raise CommandError(str(e)) from e
        if options["verbosity"] >= 2:
            self.stderr.write(f"Created {instance} for {user}, expires {instance.expires or 'never'}.")
        self.stdout.write(plain)
