"""Session engines: drop-ins for Django's, on sesstok's C core.

See :mod:`sesstok.sessions.backends`."""
