"""SimpleJWT compatibility, plain Django (no DRF import).

- :mod:`.backend`: the one token backend (encoder, decoder with
  ``JWK_URL``, ``JSON_ENCODER``, the verifying key) that access, refresh and
  sliding tokens, the DRF token classes and the middleware all use.
- :mod:`.claims`: SimpleJWT's claim rules (exp required, jti, token type),
  with SimpleJWT's messages, checked in one place.
- :mod:`.jwks`: verifying keys from a JWK Set URL.
- :mod:`.keyset`: the verifying key, and with ``SESSTOK["JWKS_ENDPOINT"]``
  the ``kid`` and previous keys (the JWK Set :mod:`sesstok.jwks_endpoint` serves).

Token pairs, refresh and the blacklist are :mod:`sesstok.refresh_tokens`;
the settings reader is :mod:`sesstok.jwt_settings`.
"""
