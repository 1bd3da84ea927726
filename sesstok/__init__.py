"""sesstok: fast, wire-compatible Django signing, sessions, tokens and JWT."""

__version__ = "0.1.0"
