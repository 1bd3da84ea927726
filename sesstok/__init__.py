"""sesstok: fast, wire-compatible Django signing, sessions, tokens and JWT.

The C core lives in ``sesstok._core``; ``sesstok.signing`` is a drop-in for
``django.core.signing``. Importing ``sesstok`` itself needs neither Django nor
any other optional dependency.
"""

__version__ = "0.1.0"


def accelerate_django():
    """Make Django's own ``django.core.signing`` (sessions, signed cookies,
    the messages framework) run on sesstok's C core. Undo with
    :func:`restore_django`."""
    from .accelerate import accelerate_django as accelerate

    return accelerate()


def restore_django():
    """Undo :func:`accelerate_django`, restoring Django exactly."""
    from .accelerate import restore_django as restore

    return restore()
