"""``sesstok demo``: create and migrate the database on first
run, check the configuration, print the curl examples, and serve the demo
with Django's threaded WSGI server (the one ``runserver`` uses:
``django.core.servers.basehttp``, without the autoreloader and without
static-file handling, which the demo does not need) on 127.0.0.1 until
Ctrl-C."""

import os
import shlex
import signal
import sys

DEMO_USER = "alice"
DEMO_PASSWORD = "orbit-tulip-harbor-42"

BANNER = """\
sesstok demo: a DEMONSTRATION, NOT FOR PRODUCTION. DEBUG is off, but the secret
key lives next to the database, cookies are not Secure (plain HTTP) and, without
--redis, revocations live in this process's memory.

Serving {base}/ (Django's threaded WSGI server, one process, pid {pid}). Ctrl-C stops it.
Database: {db}{created}
Stores: {stores}
"""


def curl_examples(base):
    """[(title, shell commands)] for every flow, against base."""
    from ..__main__ import command_name

    q = shlex.quote
    cli = command_name()
    login_body = q(f'{{"username": "{DEMO_USER}", "password": "{DEMO_PASSWORD}"}}')
    assign = (
        'eval "$(python3 -c \'import json; d = json.load(open("login.json")); '
        'print(*(f"{k.upper()}={d[k]}" for k in ("token", "access", "refresh")))\')"'
    )
    return [
        (
            "Register (JSON; the browser form is at /register/)",
            f"curl -s -X POST {base}/register/ -H 'Content-Type: application/json' \\\n     -d {login_body}",
        ),
        (
            "Log in: an opaque token and a JWT access/refresh pair",
            f"curl -s -X POST {base}/api/login/ -H 'Content-Type: application/json' \\\n"
            f"     -d {login_body} > login.json\n"
            f"{assign}   # sets TOKEN, ACCESS, REFRESH",
        ),
        (
            "A mobile app or script: the token on each request",
            f'curl -s {base}/api/me/ -H "Authorization: Token $TOKEN"',
        ),
        (
            "Short-lived JWT access token, renewed with the refresh token",
            f'curl -s {base}/api/me/ -H "Authorization: Bearer $ACCESS"\n'
            f"curl -s -X POST {base}/api/token/refresh/ -H 'Content-Type: application/json' \\\n"
            f'     -d "{{\\"refresh\\": \\"$REFRESH\\"}}"',
        ),
        (
            "Log out this token; log out everywhere",
            f'curl -s -X POST {base}/api/logout/ -H "Authorization: Token $TOKEN"\n'
            f'curl -s -X POST {base}/api/logout-all/ -H "Authorization: Bearer $ACCESS"',
        ),
        (
            "A browser, by hand: session cookie and CSRF token in a cookie jar",
            f"curl -s -c jar -b jar {base}/login/ -o /dev/null\n"
            f"curl -s -c jar -b jar -X POST {base}/login/ -o /dev/null -w '%{{http_code}} %{{redirect_url}}\\n' \\\n"
            f"     -d csrfmiddlewaretoken=$(awk '$6==\"csrftoken\"{{print $7}}' jar) \\\n"
            f"     -d username={DEMO_USER} -d password={DEMO_PASSWORD}\n"
            f"curl -s -b jar {base}/api/me/",
        ),
        (
            "Look inside a token or cookie",
            f'{cli} inspect "$ACCESS"\n{cli} inspect "$(awk \'$6=="sessionid"{{print $7}}\' jar)"',
        ),
    ]


def default_db():
    """``$XDG_DATA_HOME/sesstok/demo.sqlite3`` (``~/.local/share/...``): out
    of any source checkout, so its secret key cannot be committed, and kept
    between runs."""
    data = os.environ.get("XDG_DATA_HOME", "")
    if not os.path.isabs(data):  # unset, empty or relative: the XDG default
        data = os.path.join(os.path.expanduser("~"), ".local", "share")
    return os.path.join(data, "sesstok", "demo.sqlite3")


def _configure(db, redis_url):
    import django
    from django.conf import settings

    from . import settings as demo_settings

    settings.configure(**demo_settings.build(db, redis_url))
    django.setup()


def _migrate(db):
    from django.core.management import call_command

    created = not os.path.exists(db) or os.path.getsize(db) == 0
    call_command("migrate", interactive=False, verbosity=0)
    return created


def _server(port, app):
    from django.core.servers.basehttp import ThreadedWSGIServer, WSGIRequestHandler

    httpd = ThreadedWSGIServer(("127.0.0.1", port), WSGIRequestHandler, ipv6=False)
    httpd.set_app(app)
    return httpd


def run(port=8000, db=None, redis_url=None, out=sys.stdout):
    try:
        import django  # noqa: F401
    except ImportError:
        print("The demo needs Django: pip install '.[demo]' (from a source checkout)", file=sys.stderr)
        return 2
    if db is None:
        db = default_db()
        os.makedirs(os.path.dirname(db), mode=0o700, exist_ok=True)
    db = os.path.abspath(db)
    directory = os.path.dirname(db)
    if not os.path.isdir(directory):
        print(f"No such directory for the database: {directory}", file=sys.stderr)
        return 2
    _configure(db, redis_url)
    from django.core.management import call_command
    from django.core.wsgi import get_wsgi_application

    created = _migrate(db)
    call_command("check", fail_level="ERROR")
    app = get_wsgi_application()
    try:
        httpd = _server(port, app)
    except OSError as e:
        print(f"Cannot listen on 127.0.0.1:{port}: {e.strerror}", file=sys.stderr)
        return 1
    base = f"http://127.0.0.1:{httpd.server_address[1]}"
    stores = f"Redis at {redis_url}" if redis_url else "in-process (LocMem); pass --redis URL to use Redis"

    def stop(signum, frame):
        raise KeyboardInterrupt

    # installed before the banner: whoever reads it may stop us at once
    previous = signal.signal(signal.SIGTERM, stop)
    try:
        out.write(
            BANNER.format(
                base=base, pid=os.getpid(), db=db, created=" (created and migrated)" if created else "", stores=stores
            )
        )
        out.write("\nTry it with curl (password validators apply: pick your own, or use this one):\n\n")
        for title, commands in curl_examples(base):
            out.write(f"# {title}\n{commands}\n\n")
        out.flush()
        httpd.serve_forever(poll_interval=0.2)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        httpd.server_close()
    out.write("Stopped.\n")
    out.flush()
    return 0
