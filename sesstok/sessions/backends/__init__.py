"""Drop-in session engines for Django's.

==========================================  ===========================================
Django                                      sesstok
==========================================  ===========================================
django.contrib.sessions.backends.signed_cookies  sesstok.sessions.backends.signed_cookies
django.contrib.sessions.backends.db         sesstok.sessions.backends.db
django.contrib.sessions.backends.cache      sesstok.sessions.backends.cache
django.contrib.sessions.backends.cached_db  sesstok.sessions.backends.cached_db
==========================================  ===========================================

Each module has a class named ``SessionStore`` that subclasses Django's own,
so the whole session API (``cycle_key``, ``flush``, expiry, the async
methods) is Django's, and the signing salt (derived from the class name) is
the same: sessions written by either engine are read by the other. sesstok
replaces the encoding (``sesstok.signing``) and the session-key generation
(``sesstok._core.random_string``), and, with ``SESSTOK["SESSION_DENYLIST"]``,
checks revocation on load (:mod:`sesstok.revocation`)::

    SESSION_ENGINE = "sesstok.sessions.backends.signed_cookies"
"""
