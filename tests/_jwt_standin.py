"""STAND-IN, FOR TESTS ONLY: PyJWT behind the API of ``sesstok.jwt``.

The JWT engineer's ``sesstok.jwt`` (C-backed, PyJWT-compatible, with the
prepared ``Encoder``/``Decoder``) had not landed on this branch when the
Django parts were written. ``sesstok.access_tokens`` is written against that
API; until it exists, the ``jwt_api`` fixture installs this module as
``sesstok.jwt`` (and PyJWT's exceptions as ``sesstok.exceptions``) for the
duration of a test, and removes it afterwards. Once ``sesstok/jwt.py``
exists, the fixture uses the real module and this file is unused.
"""

import types

import jwt as pyjwt


class Encoder:
    def __init__(self, key, algorithm, headers=None):
        self.key, self.algorithm, self.headers = key, algorithm, headers

    def encode(self, payload):
        return pyjwt.encode(payload, self.key, algorithm=self.algorithm, headers=self.headers)


class Decoder:
    def __init__(self, keys, algorithms, audience=None, issuer=None, leeway=0, options=None):
        self.key = keys[0] if isinstance(keys, (list, tuple)) else keys
        self.algorithms = list(algorithms)
        self.audience, self.issuer, self.leeway = audience, issuer, leeway
        self.options = dict(options or {})

    def decode(self, token):
        return pyjwt.decode(
            token,
            self.key,
            algorithms=self.algorithms,
            audience=self.audience,
            issuer=self.issuer,
            leeway=self.leeway,
            options=self.options,
        )


def modules():
    """(sesstok.jwt stand-in, sesstok.exceptions stand-in)."""
    jwt_module = types.ModuleType("sesstok.jwt", "STAND-IN (tests only): PyJWT behind sesstok.jwt's API")
    jwt_module.Encoder = Encoder
    jwt_module.Decoder = Decoder
    jwt_module.encode = pyjwt.encode
    jwt_module.decode = pyjwt.decode
    exceptions = types.ModuleType("sesstok.exceptions", "STAND-IN (tests only): PyJWT's exceptions")
    for name in dir(pyjwt.exceptions):
        if name.endswith("Error"):
            setattr(exceptions, name, getattr(pyjwt.exceptions, name))
    return jwt_module, exceptions
