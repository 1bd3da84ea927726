"""Verifying keys from a JWK Set URL (SimpleJWT's ``JWK_URL``), fetched and
cached.

SimpleJWT asks PyJWT's ``PyJWKClient`` for the key of every token it
decodes. :class:`JWKSDecoder` fetches the set once, prepares a
:class:`sesstok.jwt.Decoder` holding every signing key of the set (selected
by ``kid`` in C), and reuses it for ``lifespan`` seconds (300, as
``PyJWKClient``). A token whose ``kid`` is not in the set triggers one
refetch, at most every ``cooldown`` seconds (30), so a key rotated in at the
identity provider is picked up at once and junk ``kid``\\ s cannot make it
hammer the URL. A failed fetch is a refused token (SimpleJWT: "Token is
invalid"), never a 500.

Plain Django/Python: no DRF import.
"""

import threading
import time
from typing import Any

from .. import jwt
from ..exceptions import InvalidTokenError, PyJWKClientError

__all__ = ["JWKSDecoder"]


class _State:
    __slots__ = ("decoder", "kids", "expires")

    def __init__(self, decoder: Any, kids: frozenset[str], expires: float) -> None:
        self.decoder = decoder
        self.kids = kids
        self.expires = expires


class JWKSDecoder:
    """A Decoder whose keys come from a JWK Set URL; ``decode(token)`` as
    :meth:`sesstok.jwt.Decoder.decode`. Decoder options (audience, issuer,
    leeway, options) are passed through."""

    def __init__(
        self,
        url: str,
        algorithms: list[str],
        *,
        lifespan: float = 300,
        cooldown: float = 30,
        timeout: float = 30,
        headers: dict[str, str] | None = None,
        **decoder_options: Any,
    ) -> None:
        self.url = url
        self.algorithms = list(algorithms)
        self.lifespan = lifespan
        self.cooldown = cooldown
        self.decoder_options = decoder_options
        self.client = jwt.PyJWKClient(
            url, cache_jwk_set=False, timeout=timeout, headers=headers, cooldown_duration=cooldown
        )
        self._state: _State | None = None
        self._last_fetch: float | None = None
        self._lock = threading.Lock()
        self.fetches = 0

    def _build(self, jwk_set: Any) -> _State:
        entries = []
        for key in jwk_set.keys:
            if key.public_key_use not in ("sig", None) or not key.key_id:
                continue
            if not any(a in key.key.algorithms for a in self.algorithms):
                continue
            entries.append((key.key_id, key.key))
        if not entries:
            raise PyJWKClientError("The JWKS endpoint did not contain any signing keys")
        decoder = jwt.Decoder(entries, self.algorithms, **self.decoder_options)
        return _State(decoder, frozenset(kid for kid, _ in entries), time.monotonic() + self.lifespan)

    def _fetch(self, stale: _State | None) -> _State:
        """A fresh state (one HTTP request), unless another thread just made one."""
        with self._lock:
            if self._state is not None and self._state is not stale:
                return self._state
            self._last_fetch = time.monotonic()
            self.fetches += 1
            jwk_set = self.client.get_jwk_set(refresh=True)
            try:
                self._state = self._build(jwk_set)
            except (ValueError, TypeError) as e:
                raise PyJWKClientError(f"Unusable JWK Set: {e}") from e
            return self._state

    def _current(self) -> _State:
        state = self._state
        if state is None or time.monotonic() > state.expires:
            state = self._fetch(state)
        return state

    def decode(self, token: Any) -> Any:
        state = self._current()
        try:
            return state.decoder.decode(token)
        except InvalidTokenError:
            try:
                kid = jwt.get_unverified_header(token).get("kid")
            except InvalidTokenError:
                raise
            cooling = self._last_fetch is not None and time.monotonic() - self._last_fetch < self.cooldown
            if not isinstance(kid, str) or kid in state.kids or cooling:
                raise
            state = self._fetch(state)
            return state.decoder.decode(token)
