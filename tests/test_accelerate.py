"""The ways into sesstok's signing besides the module: SIGNING_BACKEND and
accelerate_django(), which patches django.core.signing in place."""

import pytest
from django.conf import settings
from django.contrib.messages import constants
from django.contrib.messages.storage.base import Message
from django.contrib.messages.storage.cookie import CookieStorage
from django.contrib.sessions.backends import base as sessions_base, cache as sessions_cache
from django.contrib.sessions.backends.signed_cookies import SessionStore
from django.middleware import csrf
from django.utils import crypto as crypto_module
from django.core import signing as dj
from django.http import HttpRequest, HttpResponse
from django.test import override_settings
from hypothesis import given
from hypothesis import strategies as st

import sesstok
from sesstok import accelerate, crypto

from _parity import assert_same, frozen_time, outcome

NOW = 1_750_000_000.5
PATCHED = {
    crypto_module: ("get_random_string",),
    sessions_base: ("get_random_string",),
    csrf: ("get_random_string",),
    dj.Signer: ("signature", "sign", "unsign", "sign_object", "unsign_object"),
    dj.TimestampSigner: ("sign", "unsign", "sign_object", "unsign_object"),
    dj: ("dumps", "loads", "b64_encode", "b64_decode", "b62_encode", "b62_decode", "base64_hmac"),
}


def _snapshot():
    return {(owner, name): owner.__dict__.get(name) for owner, names in PATCHED.items() for name in names}


ORIGINAL = _snapshot()


def original(owner, name):
    return ORIGINAL[(owner, name)] or getattr(dj.Signer, name)


@pytest.fixture
def accelerated():
    assert sesstok.accelerate_django() is True
    try:
        yield
    finally:
        assert sesstok.restore_django() is True
    assert _snapshot() == ORIGINAL


def test_switch_is_idempotent_and_restores_exactly():
    assert not accelerate.is_accelerated()
    assert sesstok.accelerate_django() is True
    assert sesstok.accelerate_django() is False
    assert accelerate.is_accelerated()
    assert dj.dumps is not ORIGINAL[(dj, "dumps")]
    assert sesstok.restore_django() is True
    assert sesstok.restore_django() is False
    assert _snapshot() == ORIGINAL
    assert "sign_object" not in dj.TimestampSigner.__dict__


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda c: st.lists(c, max_size=4) | st.dictionaries(st.text(max_size=8), c, max_size=4),
    max_leaves=15,
)


@given(obj=json_values, compress=st.booleans(), salt=st.text(max_size=10))
def test_accelerated_django_matches_original(obj, compress, salt):
    with frozen_time(NOW):
        expected = ORIGINAL[(dj, "dumps")](obj, salt=salt, compress=compress)
        sesstok.accelerate_django()
        try:
            assert dj.dumps(obj, salt=salt, compress=compress) == expected
            assert dj.loads(expected, salt=salt) == obj or obj != obj
            signer = dj.TimestampSigner(salt=salt)
            assert signer.sign_object(obj, compress=compress) == expected
            assert signer.unsign_object(expected, max_age=10) == obj or obj != obj
        finally:
            sesstok.restore_django()


@given(value=st.text(max_size=50), key=st.text(min_size=1, max_size=20))
def test_accelerated_signer_methods(value, key):
    with frozen_time(NOW):
        signer = dj.Signer(key=key, salt="s")
        ts = dj.TimestampSigner(key=key, salt="s")
        expected = (signer.sign(value), ts.sign(value), signer.signature(value))
        sesstok.accelerate_django()
        try:
            assert (signer.sign(value), ts.sign(value), signer.signature(value)) == expected
            assert signer.unsign(expected[0]) == value
            assert ts.unsign(expected[1], max_age=5) == value
        finally:
            sesstok.restore_django()


def test_objects_created_before_the_switch_benefit():
    from unittest import mock

    from sesstok import _core

    signer = dj.TimestampSigner(key="k")
    sesstok.accelerate_django()
    try:
        with mock.patch.object(_core, "django_sign", wraps=_core.django_sign) as spy:
            signed = signer.sign("v")
        spy.assert_called_once_with(signer, True, "v")
        assert signer.unsign(signed) == "v"
    finally:
        sesstok.restore_django()


def test_errors_match_under_the_switch(accelerated):
    with frozen_time(NOW):
        good = dj.dumps({"a": 1})
    cases = [good[:-1] + "x", "nosep", good + ":extra", ""]
    for bad in cases:
        got = assert_same(lambda: original(dj, "loads")(bad), lambda: dj.loads(bad))
        assert got[0] == "raise"
    with frozen_time(NOW + 100):
        assert_same(lambda: original(dj, "loads")(good, max_age=10), lambda: dj.loads(good, max_age=10))


def test_subclass_overrides_keep_djangos_path(accelerated):
    class Fixed(dj.TimestampSigner):
        def timestamp(self):
            return "fixed"

    class Shouting(dj.Signer):
        def signature(self, value, key=None):
            return super().signature(value, key).upper()

    assert Fixed(key="k").sign("v").split(":")[1] == "fixed"
    assert Fixed(key="k").unsign(Fixed(key="k").sign("v")) == "v"
    signed = Shouting(key="k").sign("v")
    assert signed.split(":")[1].isupper() or not any(c.isalpha() for c in signed.split(":")[1])
    assert Shouting(key="k").unsign(signed) == "v"
    assert Shouting(key="k").unsign_object(Shouting(key="k").sign_object([1])) == [1]


class _RecordingUnsign(dj.TimestampSigner):
    """Overrides unsign, so unsign_object must forward its **kwargs to it."""

    calls = []

    def unsign(self, value, max_age=None, **extra):
        self.calls.append((max_age, extra))
        return super().unsign(value, max_age=max_age)


def _unsign_object(signer, token, kwargs):
    """What signer.unsign_object(token, **kwargs) does 100 s after signing,
    and the arguments its unsign received."""
    _RecordingUnsign.calls = []
    with frozen_time(NOW + 100):
        result = outcome(lambda: signer.unsign_object(token, **kwargs))
    return result, _RecordingUnsign.calls


@pytest.mark.parametrize("kwargs", [{"max_age": 10}, {"max_age": 10**6}, {"max_age": 10, "other": 1}, {}])
def test_unsign_object_forwards_kwargs_to_an_overriding_unsign(kwargs):
    # Regression: under the switch, unsign_object dropped max_age (and any
    # other keyword) on its way to a subclass's unsign: an expired value was
    # accepted.
    signer = _RecordingUnsign(key="k")
    with frozen_time(NOW):
        token = signer.sign_object({"a": 1})
    expected = _unsign_object(signer, token, kwargs)
    sesstok.accelerate_django()
    try:
        actual = _unsign_object(signer, token, kwargs)
    finally:
        sesstok.restore_django()
    assert actual == expected
    assert expected[1] == [(kwargs.get("max_age"), {k: v for k, v in kwargs.items() if k != "max_age"})]
    if kwargs.get("max_age") == 10:
        assert expected[0][:2] == ("raise", dj.SignatureExpired)


def test_custom_serializer_under_the_switch(accelerated):
    class Upper:
        def dumps(self, obj):
            return obj.upper().encode()

        def loads(self, data):
            return data.decode().lower()

    with frozen_time(NOW):
        signed = dj.dumps("hello", serializer=Upper)
    assert dj.loads(signed, serializer=Upper) == "hello"


def test_sessions_and_messages_under_the_switch():
    with frozen_time(NOW):
        store = SessionStore()
        store["cart"] = [1, 2, 3]
        store["user"] = "42"
        expected = store.encode(store._session)
        sesstok.accelerate_django()
        try:
            assert store.encode(store._session) == expected
            assert store.decode(expected) == store._session
            request = HttpRequest()
            storage = CookieStorage(request)
            response = HttpResponse()
            messages = [Message(constants.INFO, "hello"), Message(constants.ERROR, "bad", extra_tags="x")]
            storage._store(messages, response)
            cookie = response.cookies[storage.cookie_name].value
        finally:
            sesstok.restore_django()
        # Django, restored, reads what the accelerated one wrote
        request = HttpRequest()
        request.COOKIES[CookieStorage.cookie_name] = cookie
        assert list(CookieStorage(request)) == messages


# ---- SIGNING_BACKEND -----------------------------------------------------------------

BACKEND = "sesstok.signing.TimestampSigner"


def _set_cookie(value, salt=""):
    response = HttpResponse()
    response.set_signed_cookie("pref", value, salt=salt)
    return response.cookies["pref"].value


def _get_cookie(cookie, salt="", max_age=None):
    request = HttpRequest()
    request.COOKIES["pref"] = cookie
    return request.get_signed_cookie("pref", default="<default>", salt=salt, max_age=max_age)


@given(value=st.text(max_size=40).filter(lambda v: "\x00" not in v), salt=st.text(max_size=10))
def test_signed_cookies_cross_backends(value, salt):
    with frozen_time(NOW):
        django_made = _set_cookie(value, salt)
        with override_settings(SIGNING_BACKEND=BACKEND):
            sesstok_made = _set_cookie(value, salt)
            assert sesstok_made == django_made
            assert _get_cookie(django_made, salt) == value
        assert _get_cookie(sesstok_made, salt) == value


def test_signed_cookie_errors_cross_backends():
    with frozen_time(NOW):
        good = _set_cookie("v", "s")
    with frozen_time(NOW + 50):
        for cookie, kwargs in [
            (good, {"salt": "other"}),
            (good[:-1] + "x", {"salt": "s"}),
            (good, {"salt": "s", "max_age": 10}),
            ("garbage", {}),
        ]:
            expected = _get_cookie(cookie, **kwargs)
            with override_settings(SIGNING_BACKEND=BACKEND):
                assert _get_cookie(cookie, **kwargs) == expected == "<default>"


@pytest.mark.skipif(not hasattr(dj, "_cookie_signer_legacy_salt"), reason="Django without the v2 cookie salt")
@pytest.mark.parametrize("fallback", [True, False])
def test_legacy_cookie_salt_fallback(fallback):
    # a cookie made before the salt format changed (cookie name + salt)
    import warnings

    with frozen_time(NOW):
        legacy = dj.get_cookie_signer(salt=dj._cookie_signer_legacy_salt("pref", "s")).sign("old")
        for backend in (settings.SIGNING_BACKEND, BACKEND):
            with warnings.catch_warnings():
                # Django 6.1 deprecates the transitional setting itself
                warnings.filterwarnings("ignore", message="The SIGNED_COOKIE_LEGACY_SALT_FALLBACK")
                overridden = override_settings(SIGNING_BACKEND=backend, SIGNED_COOKIE_LEGACY_SALT_FALLBACK=fallback)
                overridden.enable()
            try:
                assert _get_cookie(legacy, "s") == ("old" if fallback else "<default>")
            finally:
                overridden.disable()


def test_cookie_signer_from_backend_is_sesstoks():
    with override_settings(SIGNING_BACKEND=BACKEND):
        signer = dj.get_cookie_signer(salt="x")
    from sesstok import signing

    assert type(signer) is signing.TimestampSigner
    assert signer.salt == "x"
    assert signer.key == b"django.http.cookies" + settings.SECRET_KEY.encode()


def test_session_keys_and_csrf_secrets_are_drawn_in_c():
    assert (
        sessions_base.get_random_string
        is crypto_module.get_random_string
        is ORIGINAL[(crypto_module, "get_random_string")]
    )
    with_django = sessions_cache.SessionStore()._get_new_session_key()
    assert sesstok.accelerate_django() is True
    try:
        for module in (crypto_module, sessions_base, csrf):
            assert module.get_random_string is crypto.get_random_string
        key = sessions_cache.SessionStore()._get_new_session_key()
        assert len(key) == len(with_django) == 32 and set(key) <= set(sessions_base.VALID_KEY_CHARS)
        secret = csrf._get_new_csrf_string()
        assert len(secret) == csrf.CSRF_SECRET_LENGTH and set(secret) <= set(csrf.CSRF_ALLOWED_CHARS)
    finally:
        assert sesstok.restore_django() is True
    assert sessions_base.get_random_string is ORIGINAL[(crypto_module, "get_random_string")]
    assert _snapshot() == ORIGINAL
