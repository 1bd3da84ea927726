"""SQLite's "database is locked": the one rule for retrying it.

With deferred transactions (Django's default on SQLite) two workers'
read-then-write transactions deadlock on the lock upgrade and SQLite fails
one at once, without its busy wait. Such a write is retried a few times with
a short backoff; still locked, it is a 503 ``database_unavailable`` (README
"Reliability" gives the settings that avoid it: ``"transaction_mode":
"IMMEDIATE"`` and a busy ``timeout``)."""

import time

from django.db import OperationalError

from .exceptions import StoreUnavailable

ATTEMPTS = 5
BUSY_MESSAGE = "The database is busy; try again."


def is_locked(error):
    """Whether an OperationalError is SQLite's "database is locked"."""
    return isinstance(error, OperationalError) and "database is locked" in str(error)


def backoff(attempt):
    """Sleep before retry number attempt (0-based): 10 ms, 20 ms, 40 ms, ..."""
    time.sleep(0.01 * 2**attempt)


def retrying(call):
    """call(), retried while the database is locked; then
    StoreUnavailable("database_unavailable"). Any other error propagates."""
    last = None
    for attempt in range(ATTEMPTS):
        try:
            return call()
        except OperationalError as e:
            if not is_locked(e):
                raise
            last = e
            backoff(attempt)
    raise StoreUnavailable("database_unavailable", BUSY_MESSAGE) from last
