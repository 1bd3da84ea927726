"""Settings of the demo site, built for one database file.

A demonstration, not a production configuration. DEBUG is off (so the pages
and errors look as they would in production), but:

- the secret key is generated on first run and kept next to the database
  (``<db>.secret``, mode 0600);
- cookies are not ``Secure`` (the demo serves plain HTTP on 127.0.0.1);
- without ``--redis``, the revocation store, the user cache's shared tier
  and the login-failure counters are in-process (LocMem). The demo is one
  process, so every request sees them, but they are lost on restart: a
  logged-out signed cookie works again after a restart. Production needs
  Redis (``--redis redis://...`` shows the same site with it).

The system checks that refuse those choices in production are silenced
here, each with its reason.
"""

import os

from sesstok import _core

LOCMEM = "django.core.cache.backends.locmem.LocMemCache"
REDIS = "sesstok.cache.RedisCache"


def secret_key(db_path):
    """The demo's secret key: read from ``<db>.secret``, created on first run."""
    path = db_path + ".secret"
    try:
        with open(path, encoding="ascii") as f:
            key = f.read().strip()
        if len(key) >= 50:
            return key
    except FileNotFoundError:
        pass
    key = _core.token_urlsafe(48)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as f:
        f.write(key + "\n")
    return key


def redis_prefix(key):
    """The demo's Redis key prefix: one per database (derived from its secret
    key), so a fresh database never meets another one's cached rows,
    versions or epochs in a Redis that outlived it."""
    return "sesstok-demo-" + _core.hex(_core.digest("sha256", key.encode()))[:12]


def build(db_path, redis_url=None):
    """The settings dict for ``settings.configure(**build(...))``."""
    key = secret_key(db_path)
    if redis_url:
        base = redis_prefix(key)
        shared = lambda part: {"BACKEND": REDIS, "LOCATION": redis_url, "KEY_PREFIX": f"{base}-{part}"}
        caches = {
            "default": {"BACKEND": LOCMEM},
            "revocation": shared("revocation"),
            "users": shared("users"),
            "throttle": shared("throttle"),
        }
        silenced = []
    else:
        caches = {
            "default": {"BACKEND": LOCMEM},
            "revocation": {"BACKEND": LOCMEM, "LOCATION": "sesstok-demo-revocation"},
            "users": {"BACKEND": LOCMEM, "LOCATION": "sesstok-demo-users"},
            "throttle": {"BACKEND": LOCMEM, "LOCATION": "sesstok-demo-throttle"},
        }
        silenced = [
            "sesstok.E007",  # LocMem revocation store: the demo is a single process
            "sesstok.W002",  # LocMem user-cache tier: idem
            "sesstok.W004",  # LocMem login-failure counters: idem
        ]
    silenced.append("sesstok.E009")  # cookies without Secure: the demo serves plain HTTP on 127.0.0.1
    return dict(
        DEBUG=False,
        SECRET_KEY=key,
        ALLOWED_HOSTS=["127.0.0.1", "localhost", "[::1]"],
        INSTALLED_APPS=[
            "django.contrib.contenttypes",
            "django.contrib.auth",
            "django.contrib.sessions",
            "sesstok",
        ],
        MIDDLEWARE=[
            "django.middleware.security.SecurityMiddleware",
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.middleware.common.CommonMiddleware",
            "django.middleware.csrf.CsrfViewMiddleware",
            "sesstok.middleware.AuthenticationMiddleware",
            "sesstok.middleware.TokenAuthenticationMiddleware",
            "django.middleware.clickjacking.XFrameOptionsMiddleware",
        ],
        ROOT_URLCONF="sesstok.demo.urls",
        TEMPLATES=[
            {
                "BACKEND": "django.template.backends.django.DjangoTemplates",
                "APP_DIRS": True,
                "OPTIONS": {
                    "context_processors": [
                        "django.template.context_processors.request",
                        "django.contrib.auth.context_processors.auth",
                    ]
                },
            }
        ],
        DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": db_path}},
        DEFAULT_AUTO_FIELD="django.db.models.BigAutoField",
        USE_TZ=True,
        TIME_ZONE="UTC",  # pages show times in UTC, not Django's default America/Chicago
        CACHES=caches,
        SESSION_ENGINE="sesstok.sessions.backends.signed_cookies",
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        CSRF_FAILURE_VIEW="sesstok.views.csrf_failure",
        LOGIN_URL="sesstok:login",
        AUTH_PASSWORD_VALIDATORS=[
            {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
            {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
            {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
            {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
        ],
        SESSTOK={
            "REGISTRATION_OPEN": True,
            "REVOCATION_CACHE": "revocation",
            "SESSION_DENYLIST": True,
            "JWT_DENYLIST": True,
            "USER_CACHE": "users",
            "LOGIN_THROTTLE_CACHE": "throttle",
        },
        SILENCED_SYSTEM_CHECKS=silenced,
        LOGGING={
            "version": 1,
            "disable_existing_loggers": False,
            "formatters": {"plain": {"format": "%(message)s"}},
            "handlers": {"stderr": {"class": "logging.StreamHandler", "formatter": "plain"}},
            "loggers": {"django.server": {"handlers": ["stderr"], "level": "INFO", "propagate": False}},
        },
    )
