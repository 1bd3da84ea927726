"""Moved to :mod:`sesstok.simplejwt.jwks` (plain Django); this old import
path keeps working."""

from ...simplejwt.jwks import JWKSDecoder

__all__ = ["JWKSDecoder"]
