"""sesstok's session engines against Django's own, the oracle.

Each engine must read what Django's engine wrote and the other way round,
produce the same encoded bytes, and keep Django's whole session API. The
signed-cookie engine can be revoked (opt-in); that part is tested against a
LocMem store here and a real Redis too."""

import importlib
import re
from datetime import timedelta

import pytest
from asgiref.sync import async_to_sync
from django.contrib.sessions.backends.base import VALID_KEY_CHARS
from django.core.cache import caches
from django.test import override_settings

from sesstok import revocation
from sesstok.sessions.backends import signed_cookies as sst_signed
from sesstok.sessions.backends.base import new_session_key

from _django_fixtures import REVOCATION_PREFIX, SESSION_PREFIX
from _parity import frozen_time

ENGINES = ["signed_cookies", "db", "cache", "cached_db"]
NOW = 1_700_000_000.0
DATA = {"cart": [1, 2, 3], "name": "Zoë", "nested": {"a": None, "b": 1.5}, "flag": True}


def django_store(engine):
    return importlib.import_module(f"django.contrib.sessions.backends.{engine}").SessionStore


def sesstok_store(engine):
    return importlib.import_module(f"sesstok.sessions.backends.{engine}").SessionStore


def pairs():
    for engine in ENGINES:
        yield pytest.param(engine, django_store, sesstok_store, id=f"{engine}-django->sesstok")
        yield pytest.param(engine, sesstok_store, django_store, id=f"{engine}-sesstok->django")


# ---- the classes -----------------------------------------------------------------


@pytest.mark.parametrize("engine", ENGINES)
def test_engine_is_a_subclass_named_sessionstore(engine):
    mine, theirs = sesstok_store(engine), django_store(engine)
    assert issubclass(mine, theirs)
    assert mine.__qualname__ == "SessionStore"
    assert mine(None).key_salt == theirs(None).key_salt == "django.contrib.sessions.SessionStore"


def test_new_session_keys_are_djangos_shape():
    keys = {new_session_key() for _ in range(2000)}
    assert len(keys) == 2000
    assert all(re.fullmatch(r"[a-z0-9]{32}", k) for k in keys)
    # every allowed character shows up (unbiased over the alphabet)
    assert set("".join(keys)) == set(VALID_KEY_CHARS)


@pytest.mark.parametrize("engine", ["db", "cache", "cached_db"])
def test_new_keys_come_from_the_core(engine, db, monkeypatch):
    from sesstok import _core

    calls = []
    real = _core.random_string

    def spy(length, chars):
        calls.append((length, chars))
        return real(length, chars)

    monkeypatch.setattr(_core, "random_string", spy)
    store = sesstok_store(engine)()
    store["x"] = 1
    store.save()
    assert calls and calls[0] == (32, VALID_KEY_CHARS)
    assert re.fullmatch(r"[a-z0-9]{32}", store.session_key)


@pytest.mark.parametrize("engine", ["db", "cached_db"])
def test_encode_is_byte_identical_to_djangos(engine):
    with frozen_time(NOW):
        assert sesstok_store(engine)().encode(DATA) == django_store(engine)().encode(DATA)


@pytest.mark.parametrize("engine", ENGINES)
def test_decode_reads_djangos_encoding_and_back(engine):
    encoded_by_django = django_store(engine)().encode(DATA)
    encoded_by_sesstok = sesstok_store(engine)().encode(DATA)
    assert sesstok_store(engine)().decode(encoded_by_django) == DATA
    assert django_store(engine)().decode(encoded_by_sesstok) == DATA


@pytest.mark.parametrize("engine", ENGINES)
def test_decode_of_garbage_is_an_empty_session_as_in_django(engine, caplog):
    for bad in ["", "garbage", "a:b:c", encoded_tamper(django_store(engine)().encode(DATA))]:
        assert sesstok_store(engine)().decode(bad) == django_store(engine)().decode(bad) == {}


def encoded_tamper(value):
    return value[:-3] + ("AAA" if not value.endswith("AAA") else "BBB")


def test_signed_cookie_value_is_byte_identical_to_djangos():
    with frozen_time(NOW):
        mine, theirs = sesstok_store("signed_cookies")(), django_store("signed_cookies")()
        mine.update(DATA)
        theirs.update(DATA)
        mine.save()
        theirs.save()
        assert mine.session_key == theirs.session_key


# ---- cross-reading, store level --------------------------------------------------


@pytest.mark.parametrize("engine, writer, reader", list(pairs()))
def test_store_written_by_one_is_read_by_the_other(engine, writer, reader, db):
    w = writer(engine)()
    w.update(DATA)
    w.set_expiry(600)
    w.save()
    r = reader(engine)(w.session_key)
    assert dict(r.items()) == {**DATA, "_session_expiry": 600}
    assert r.get_expiry_age() == 600
    # and modified by the reader, read back by the writer
    r["more"] = "yes"
    r.save()
    again = writer(engine)(r.session_key)
    assert again["more"] == "yes" and again["cart"] == [1, 2, 3]


@pytest.mark.parametrize("engine", ENGINES)
def test_session_api(engine, db):
    Store = sesstok_store(engine)
    s = Store()
    assert s.is_empty()
    s["a"] = 1
    s.setdefault("b", 2)
    assert s.pop("b") == 2
    s.set_expiry(timedelta(seconds=300))
    s.save()
    key = s.session_key
    assert key
    loaded = Store(key)
    assert loaded["a"] == 1
    assert 290 <= loaded.get_expiry_age() <= 300
    assert not loaded.get_expire_at_browser_close()
    loaded.cycle_key()
    if engine != "signed_cookies":
        assert loaded.session_key != key
        assert not Store().exists(key)
        assert Store().exists(loaded.session_key)
    loaded.save()
    assert Store(loaded.session_key)["a"] == 1
    loaded.flush()
    assert loaded.session_key is None
    assert loaded.is_empty()
    Store.clear_expired()


@pytest.mark.parametrize("engine", ENGINES)
def test_async_session_api(engine, db):
    Store = sesstok_store(engine)

    async def scenario():
        s = Store()
        await s.aset("a", 1)
        await s.aset_expiry(120)
        await s.asave()
        key = s.session_key
        loaded = Store(key)
        assert await loaded.aget("a") == 1
        assert await loaded.aget_expiry_age() == 120
        assert await loaded.ahas_key("a")
        await loaded.acycle_key()
        await loaded.asave()
        again = Store(loaded.session_key)
        assert await again.aget("a") == 1
        await again.aflush()
        assert again.session_key is None
        await Store.aclear_expired()
        return True

    assert async_to_sync(scenario)()


def test_key_rotation_keeps_sessions(db):
    old = "old-secret-key-" + "x" * 40
    with override_settings(SECRET_KEY=old):
        s = sesstok_store("signed_cookies")()
        s.update(DATA)
        s.save()
        d = sesstok_store("db")()
        d.update(DATA)
        d.save()
    with override_settings(SECRET_KEY="new-secret-key-" + "y" * 40, SECRET_KEY_FALLBACKS=[old]):
        assert dict(sesstok_store("signed_cookies")(s.session_key).items()) == DATA
        assert dict(sesstok_store("db")(d.session_key).items()) == DATA
        assert dict(django_store("signed_cookies")(s.session_key).items()) == DATA
    with override_settings(SECRET_KEY="new-secret-key-" + "y" * 40, SECRET_KEY_FALLBACKS=[]):
        assert dict(sesstok_store("signed_cookies")(s.session_key).items()) == {}
        assert dict(sesstok_store("db")(d.session_key).items()) == {}


def test_expired_signed_cookie_is_an_empty_session():
    with frozen_time(NOW):
        s = sesstok_store("signed_cookies")()
        s["a"] = 1
        s.save()
    with override_settings(SESSION_COOKIE_AGE=60), frozen_time(NOW + 61):
        loaded = sesstok_store("signed_cookies")(s.session_key)
        assert dict(loaded.items()) == {}
        assert loaded.modified  # as Django: reset, a new cookie will be set
        assert dict(django_store("signed_cookies")(s.session_key).items()) == {}


# ---- through the test clients ----------------------------------------------------


def moved(client):
    """A new client with client's cookies: SessionMiddleware picks its engine
    when the client's handler is first used, so a switch needs a new one."""
    from django.test import Client

    fresh = Client()
    fresh.cookies = client.cookies
    return fresh


@pytest.mark.parametrize("writer_engine", ["django", "sesstok"])
@pytest.mark.parametrize("engine", ENGINES)
def test_client_cross_engine(engine, writer_engine, client, user):
    first = f"django.contrib.sessions.backends.{engine}"
    second = f"sesstok.sessions.backends.{engine}"
    if writer_engine == "sesstok":
        first, second = second, first
    with override_settings(SESSION_ENGINE=first):
        client.get("/session/set/", {"colour": "blue"})
        client.get("/session/login/", {"username": "alice"})
        assert client.get("/whoami/").json()["engine"] == first
    with override_settings(SESSION_ENGINE=second):
        client = moved(client)
        body = client.get("/whoami/").json()
        assert body["engine"] == second
        assert body["user"] == "alice"
        assert body["session"]["colour"] == "blue"
        client.get("/session/set/", {"size": "L"})
    with override_settings(SESSION_ENGINE=first):
        client = moved(client)
        body = client.get("/whoami/").json()
        assert body["engine"] == first
        assert body["user"] == "alice"
        assert body["session"]["size"] == "L"


@pytest.mark.parametrize("engine", ENGINES)
def test_async_client(engine, async_client, user):
    async def scenario():
        await async_client.get("/session/alogin/", {"username": "alice"})
        who = (await async_client.get("/async/whoami/")).json()
        await async_client.get("/session/alogout/")
        after = (await async_client.get("/async/whoami/")).json()
        return who, after

    with override_settings(SESSION_ENGINE=f"sesstok.sessions.backends.{engine}"):
        who, after = async_to_sync(scenario)()
    assert who == {"user": "alice"}
    assert after == {"user": None}


@pytest.mark.parametrize("engine", ENGINES)
def test_password_change_ends_sessions(engine, client, user):
    with override_settings(SESSION_ENGINE=f"sesstok.sessions.backends.{engine}"):
        client.get("/session/login/", {"username": "alice"})
        assert client.get("/whoami/").json()["user"] == "alice"
        user.set_password("another-password")
        user.save()
        assert client.get("/whoami/").json()["user"] is None


# ---- revocable signed cookies -----------------------------------------------------

SIGNED = "sesstok.sessions.backends.signed_cookies"


def _cookie(client):
    return client.cookies["sessionid"].value


def test_without_denylist_a_copied_cookie_survives_logout_as_in_django(client, user):
    with override_settings(SESSION_ENGINE=SIGNED):
        client.get("/session/login/", {"username": "alice"})
        stolen = _cookie(client)
        client.get("/session/logout/")
        client.cookies["sessionid"] = stolen
        assert client.get("/whoami/").json()["user"] == "alice"


def test_sid_is_added_and_hidden(client, user, locmem_revocation):
    with override_settings(SESSION_ENGINE=SIGNED):
        client.get("/session/login/", {"username": "alice"})
        body = client.get("/whoami/").json()
        assert sst_signed.SESSION_ID_KEY not in body["session"]
        assert body["session"][revocation.EPOCH_SESSION_KEY] == 0
        raw = django_store("signed_cookies")(_cookie(client))
        sid = raw[sst_signed.SESSION_ID_KEY]
        assert re.fullmatch(r"[A-Za-z0-9_-]{22}", sid)


@pytest.mark.parametrize("logout_url", ["/session/logout/", "/session/alogout/"])
def test_logout_revokes_the_cookie(client, user, locmem_revocation, logout_url):
    with override_settings(SESSION_ENGINE=SIGNED):
        client.get("/session/login/", {"username": "alice"})
        client.get("/session/set/", {"k": "v"})  # a newer cookie, same session id
        older_copy_holder = _cookie(client)
        client.get("/session/set/", {"k": "w"})
        stolen = _cookie(client)
        client.get(logout_url)
        for cookie in (stolen, older_copy_holder):
            client.cookies["sessionid"] = cookie
            assert client.get("/whoami/").json()["user"] is None


def test_flush_of_a_django_written_cookie_denies_its_digest(client, user, locmem_revocation):
    with override_settings(SESSION_ENGINE="django.contrib.sessions.backends.signed_cookies"):
        client.get("/session/login/", {"username": "alice"})
        stolen = _cookie(client)
    assert sst_signed.SESSION_ID_KEY not in django_store("signed_cookies")(stolen)
    with override_settings(SESSION_ENGINE=SIGNED):
        client = moved(client)
        assert client.get("/whoami/").json()["user"] == "alice"
        client.get("/session/logout/")
        client.cookies["sessionid"] = stolen
        assert client.get("/whoami/").json()["user"] is None
    assert caches["revocation"].get(revocation.cookie_key(stolen)) == 1


def test_cycle_key_denies_the_previous_cookie(locmem_revocation):
    Store = sesstok_store("signed_cookies")
    s = Store()
    s["a"] = 1
    s.save()
    first = s.session_key
    first_sid = s._sesstok_sid
    s.cycle_key()
    assert s.session_key != first
    assert s._sesstok_sid not in (None, first_sid)
    assert dict(Store(first).items()) == {}
    assert dict(Store(s.session_key).items()) == {"a": 1}


def test_denylist_entry_expires_with_the_cookie(locmem_revocation):
    Store = sesstok_store("signed_cookies")
    with override_settings(SESSION_COOKIE_AGE=100):
        with frozen_time(NOW):
            s = Store()
            s["a"] = 1
            s.save()
        with frozen_time(NOW + 30):
            loaded = Store(s.session_key)
            loaded.load()
            [(key, ttl)] = loaded._denials(s.session_key)
        assert key == revocation.session_id_key(loaded._sesstok_sid)
        assert ttl == pytest.approx(71)
        with frozen_time(NOW + 101):
            assert loaded._denials(s.session_key) == []  # expired: nothing to deny
    assert Store()._denials("not a cookie") == []


def test_logout_everywhere_ends_every_session(make_user, locmem_revocation):
    from django.test import Client

    bob = make_user("bob")
    make_user("carol")
    with override_settings(SESSION_ENGINE=SIGNED):
        phone, laptop, carols = Client(), Client(), Client()
        phone.get("/session/login/", {"username": "bob"})
        laptop.get("/session/login/", {"username": "bob"})
        carols.get("/session/login/", {"username": "carol"})
        assert laptop.get("/whoami/").json()["user"] == "bob"
        revocation.logout_everywhere(bob)
        assert phone.get("/whoami/").json()["user"] is None
        assert laptop.get("/whoami/").json()["user"] is None
        assert carols.get("/whoami/").json()["user"] == "carol"
        # a new login works again
        phone.get("/session/login/", {"username": "bob"})
        assert phone.get("/whoami/").json()["user"] == "bob"
        assert phone.get("/whoami/").json()["session"][revocation.EPOCH_SESSION_KEY] == 1


@pytest.mark.parametrize("engine", ["db", "cache", "cached_db"])
def test_logout_everywhere_server_side_engines(engine, make_user, locmem_revocation):
    from django.test import Client

    bob = make_user("bob")
    with override_settings(SESSION_ENGINE=f"sesstok.sessions.backends.{engine}"):
        a, b = Client(), Client()
        a.get("/session/login/", {"username": "bob"})
        b.get("/session/login/", {"username": "bob"})
        a_key = a.cookies["sessionid"].value
        revocation.logout_everywhere(bob)
        assert a.get("/whoami/").json()["user"] is None
        assert b.get("/whoami/").json()["user"] is None
        assert not sesstok_store(engine)().exists(a_key)


def test_async_load_checks_revocation(user, locmem_revocation):
    Store = sesstok_store("signed_cookies")
    s = Store()
    s["_auth_user_id"] = str(user.pk)
    s.save()
    cookie = s.session_key

    async def load():
        return dict(await Store(cookie).aitems())

    assert async_to_sync(load)()["_auth_user_id"] == str(user.pk)
    async_to_sync(Store(cookie).aflush)()
    assert async_to_sync(load)() == {}


def test_revocation_store_failure_is_not_silent(user, locmem_revocation, monkeypatch):
    Store = sesstok_store("signed_cookies")
    s = Store()
    s["a"] = 1
    s.save()

    def broken(*args, **kwargs):
        raise ConnectionError("store down")

    monkeypatch.setattr(caches["revocation"], "get_many", broken)
    with pytest.raises(revocation.RevocationUnavailable):
        Store(s.session_key).load()


def redis_commands(url):
    import redis

    stats = redis.Redis.from_url(url).info("commandstats")
    calls = {name.removeprefix("cmdstat_"): value["calls"] for name, value in stats.items()}
    # the connection handshake and our own bookkeeping are not reads
    for name in ("hello", "client|setinfo", "config|resetstat", "info", "ping"):
        calls.pop(name, None)
    return calls


@pytest.mark.redis
def test_one_store_read_per_load(user, redis_revocation):
    import redis

    Store = sesstok_store("signed_cookies")
    s = Store()
    s["_auth_user_id"] = str(user.pk)
    s.save()
    revocation.get_epoch(user.pk)  # the epoch copy is in the store
    redis.Redis.from_url(redis_revocation).config_resetstat()
    assert Store(s.session_key)["_auth_user_id"] == str(user.pk)
    assert redis_commands(redis_revocation) == {"mget": 1}


# ---- Redis ------------------------------------------------------------------------


@pytest.mark.redis
@pytest.mark.parametrize("engine", ["cache", "cached_db"])
def test_cache_engines_on_redis(engine, client, user, redis_settings):
    import redis

    with override_settings(SESSION_ENGINE=f"sesstok.sessions.backends.{engine}", SESSION_CACHE_ALIAS="sessions"):
        client.get("/session/login/", {"username": "alice"})
        key = client.cookies["sessionid"].value
        assert client.get("/whoami/").json()["user"] == "alice"
        stored = redis.Redis.from_url(redis_settings).keys(f"{SESSION_PREFIX}:*")
        assert any(key.encode() in k for k in stored)
        # Django's engine reads what sesstok's wrote, from Redis
        assert django_store(engine)(key)["_auth_user_id"] == str(user.pk)
        client.get("/session/logout/")
        assert not redis.Redis.from_url(redis_settings).keys(f"{SESSION_PREFIX}:*{key}")


@pytest.mark.redis
def test_signed_cookie_revocation_on_redis(client, user, redis_revocation):
    with override_settings(SESSION_ENGINE=SIGNED):
        client.get("/session/login/", {"username": "alice"})
        stolen = _cookie(client)
        client.get("/session/logout/")
        client.cookies["sessionid"] = stolen
        assert client.get("/whoami/").json()["user"] is None
    import redis

    conn = redis.Redis.from_url(redis_revocation)
    keys = conn.keys(f"{REVOCATION_PREFIX}:*sst:s:*")
    assert len(keys) == 1
    assert 0 < conn.ttl(keys[0]) <= 1209600 + 1


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("key", [None, "x" * 40])
def test_store_sets_what_djangos_init_sets(engine, key):
    mine, theirs = sesstok_store(engine)(key), django_store(engine)(key)
    assert vars(mine) == vars(theirs)
    with override_settings(SESSION_SERIALIZER="django.contrib.sessions.serializers.JSONSerializer"):
        assert sesstok_store(engine)().serializer is django_store(engine)().serializer


@pytest.mark.parametrize("engine", ENGINES)
def test_serializer_is_imported_once_per_value(engine, monkeypatch):
    """Django's SessionBase.__init__ imports SESSION_SERIALIZER for every
    session object, i.e. on every request; sesstok's engines once."""
    from django.contrib.sessions.backends import base as django_base

    from sesstok.sessions.backends import base

    sesstok_store(engine)()  # the current value imported
    imports = []
    real = base.import_string
    monkeypatch.setattr(base, "import_string", lambda path: (imports.append(path), real(path))[1])
    monkeypatch.setattr(django_base, "import_string", lambda path: (imports.append(path), real(path))[1])
    for _ in range(3):
        sesstok_store(engine)()
    assert imports == []


@pytest.mark.parametrize("engine", ENGINES)
@pytest.mark.parametrize("access", ["items", "no_load", "setitem", "bad_key"])
def test_lazy_load_leaves_what_djangos_leaves(engine, access, db):
    """sesstok's engines replace SessionBase._get_session (no AttributeError
    per new session object): the state after each kind of first access must
    be Django's, for a stored session and for a key that loads nothing."""
    writer = django_store(engine)()
    writer.update(DATA)
    writer.save()
    key = "not-a-valid-key-0123456789abcdef" if access == "bad_key" else writer.session_key
    states = []
    for make in (django_store(engine), sesstok_store(engine)):
        store = make(key)
        if access == "no_load":
            result = store._get_session(no_load=True)
        elif access == "setitem":
            store["extra"] = 1
            result = dict(store.items())
        else:
            result = dict(store.items())
        again = store._session  # the cached dict, not a second load
        assert again is store._session_cache
        # sesstok's own attributes (the signed cookie's session id) aside
        state = {k: v for k, v in vars(store).items() if k != "serializer" and not k.startswith("_sesstok")}
        states.append((result, state))
    assert states[0] == states[1]
    if access == "items":
        assert states[1][0] == DATA
