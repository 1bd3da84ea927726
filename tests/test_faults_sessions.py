"""Signed-cookie sessions without a session id and SESSION_DENYLIST (issue
11): a cookie Django's engine wrote (or one from before the denylist was
on) must not survive logout, whether the server saw it (its digest is
carried forward by the save that replaced it) or not (a per-user cutoff)."""

import pytest
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends import signed_cookies as django_signed
from django.test import AsyncClient, Client, override_settings

from sesstok.sessions.backends.signed_cookies import SESSION_ID_KEY

PREVIOUS_KEY = "_sesstok_prev"  # (sesstok.sessions.backends.signed_cookies.PREVIOUS_KEY)

ENGINE = "sesstok.sessions.backends.signed_cookies"


def django_cookie(user, **extra):
    """A logged-in session cookie written by Django's own engine: no id."""
    store = django_signed.SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    for key, value in extra.items():
        store[key] = value
    store.save()
    return store.session_key


def who(cookie):
    client = Client()
    client.cookies["sessionid"] = cookie
    return client.get("/whoami/").json()["user"]


@pytest.fixture
def engine(locmem_revocation):
    with override_settings(SESSION_ENGINE=ENGINE):
        yield


def test_a_replaced_idless_cookie_dies_at_logout(engine, user):
    old = django_cookie(user)
    client = Client()
    client.cookies["sessionid"] = old
    assert client.get("/session/set/", {"colour": "blue"}).status_code == 200  # a save: a new cookie, with an id
    new = client.cookies["sessionid"].value
    assert new != old
    data = django_signed.SessionStore(new).load()
    assert data[SESSION_ID_KEY] and data[PREVIOUS_KEY]  # the replaced value's digest rides along
    assert "colour" in client.get("/session/get/").json() and PREVIOUS_KEY not in client.get("/session/get/").json()
    assert who(old) == "alice" and who(new) == "alice"
    client.get("/session/logout/")
    assert who(new) is None
    assert who(old) is None


def test_an_idless_copy_never_seen_dies_at_logout(engine, user):
    unseen = django_cookie(user, n="1")  # a copy the server never saw
    presented = django_cookie(user, n="2")
    client = Client()
    client.cookies["sessionid"] = presented
    assert client.get("/whoami/").json()["user"] == "alice"
    client.get("/session/logout/")
    assert who(presented) is None
    assert who(unseen) is None  # signed before the user's logout cutoff
    # logging in again works: sesstok's cookies carry an id, the cutoff does not apply
    client.get("/session/login/", {"username": "alice"})
    assert client.get("/whoami/").json()["user"] == "alice"


def test_cutoff_is_per_user(engine, user, make_user):
    bob = make_user("bob")
    bobs = django_cookie(bob)
    client = Client()
    client.cookies["sessionid"] = django_cookie(user)
    client.get("/session/logout/")
    assert who(bobs) == "bob"


def test_anonymous_idless_sessions_are_untouched(engine, user):
    store = django_signed.SessionStore()
    store["cart"] = "3 apples"
    store.save()
    client = Client()
    client.cookies["sessionid"] = store.session_key
    client.cookies["sessionid"] = django_cookie(user)
    client.get("/session/logout/")
    anonymous = Client()
    anonymous.cookies["sessionid"] = store.session_key
    assert anonymous.get("/session/get/").json() == {"cart": "3 apples"}


def test_async_logout_kills_idless_copies(engine, user):
    from asgiref.sync import async_to_sync

    unseen = django_cookie(user, n="1")
    client = AsyncClient()
    client.cookies["sessionid"] = django_cookie(user, n="2")
    assert async_to_sync(client.get)("/async/whoami/").json()["user"] == "alice"
    async_to_sync(client.get)("/session/alogout/")
    assert who(unseen) is None


def test_without_the_denylist_nothing_changes(db, user):
    """SESSION_DENYLIST off: the cookie is Django's, byte for byte."""
    with override_settings(SESSION_ENGINE=ENGINE):
        old = django_cookie(user)
        client = Client()
        client.cookies["sessionid"] = old
        client.get("/session/set/", {"colour": "blue"})
        data = django_signed.SessionStore(client.cookies["sessionid"].value).load()
        assert SESSION_ID_KEY not in data and PREVIOUS_KEY not in data


@pytest.mark.redis
def test_the_cutoff_survives_a_store_reset(db, user, redis_server):
    caches_ = {
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
        "revocation": {"BACKEND": "sesstok.cache.RedisCache", "LOCATION": redis_server.url},
    }
    with override_settings(
        CACHES=caches_, SESSION_ENGINE=ENGINE, SESSTOK={"REVOCATION_CACHE": "revocation", "SESSION_DENYLIST": True}
    ):
        unseen = django_cookie(user, n="1")
        client = Client()
        client.cookies["sessionid"] = django_cookie(user, n="2")
        client.get("/session/logout/")
        redis_server.client().flushdb()
        assert who(unseen) is None
