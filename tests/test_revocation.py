"""Revocation state (sesstok.revocation): denylists, the per-user epoch,
one read per check, nothing cached in-process, and revocations seen by
another process sharing the same Redis."""

import json
import os
import subprocess
import sys
import textwrap
import time

import pytest
from asgiref.sync import async_to_sync
from django.core.cache import caches
from django.test import override_settings

from sesstok import access_tokens, revocation, tokens
from sesstok.models import UserEpoch
from sesstok.sessions.backends.signed_cookies import SessionStore

from _django_fixtures import REVOCATION_PREFIX, RUN_ID
from _parity import frozen_time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)


def test_off_by_default(user):
    assert revocation.store() is None
    assert not revocation.session_denylist_enabled()
    assert not revocation.jwt_denylist_enabled()
    assert revocation.check(["x"], user.pk, 0) is False
    assert revocation.deny("x", 100) is False


def test_switches_are_separate(locmem_revocation):
    with override_settings(SESSTOK={"REVOCATION_CACHE": "revocation", "SESSION_DENYLIST": True}):
        assert revocation.session_denylist_enabled() and not revocation.jwt_denylist_enabled()
    with override_settings(SESSTOK={"REVOCATION_CACHE": "revocation", "JWT_DENYLIST": True}):
        assert revocation.jwt_denylist_enabled() and not revocation.session_denylist_enabled()


def test_deny_and_check(locmem_revocation):
    assert not revocation.check([revocation.jti_key("a")])
    assert revocation.deny(revocation.jti_key("a"), 0.2)
    assert revocation.check([revocation.jti_key("a")])
    assert not revocation.deny(revocation.jti_key("b"), 0)  # already over
    assert not revocation.deny(revocation.jti_key("b"), -5)


def test_epoch_lives_in_the_database(user, locmem_revocation):
    assert revocation.get_epoch(user.pk) == (0, 0.0)
    with frozen_time(1_800_000_000.5):
        assert revocation.bump_epoch(user) == 1
    row = UserEpoch.objects.get(user=user)
    assert (row.epoch, row.changed_at) == (1, 1_800_000_000.5)
    assert revocation.get_epoch(user.pk) == (1, 1_800_000_000.5)
    # the store's copy is gone (a Redis restart): filled from the database
    caches["revocation"].clear()
    assert revocation.get_epoch(user.pk) == (1, 1_800_000_000.5)
    assert caches["revocation"].get(revocation.epoch_key(user.pk)) == "1:1800000000.5"


def test_fill_never_overwrites_a_bump(user, locmem_revocation, monkeypatch):
    # a reader that found no copy and read the database before a bump must
    # not put the old epoch back over the bump's copy: it uses add()
    real = revocation._db_epoch

    def read_then_bump(user_pk):
        value = real(user_pk)
        revocation.bump_epoch(user)
        return value

    monkeypatch.setattr(revocation, "_db_epoch", read_then_bump)
    assert revocation.check(user_pk=user.pk, epoch=0) is False  # its own (old) read
    monkeypatch.setattr(revocation, "_db_epoch", real)
    assert revocation.get_epoch(user.pk)[0] == 1
    assert revocation.check(user_pk=user.pk, epoch=0) is True


def test_epoch_check_by_issue_time_for_tokens_without_an_epoch(user, locmem_revocation):
    with frozen_time(1_800_000_100.0):
        revocation.bump_epoch(user)
    assert revocation.check(user_pk=user.pk, issued_at=1_800_000_099)
    assert not revocation.check(user_pk=user.pk, issued_at=1_800_000_101)
    assert not revocation.check(user_pk=user.pk)  # nothing to compare


def test_nothing_is_cached_in_process(user, locmem_revocation):
    s = SessionStore()
    s["_auth_user_id"] = str(user.pk)
    s.save()
    for _ in range(3):
        assert SessionStore(s.session_key)["_auth_user_id"] == str(user.pk)
    revocation.bump_epoch(user)
    assert dict(SessionStore(s.session_key).items()) == {}


def test_logout_everywhere_keeps_tokens_on_request(user, locmem_revocation):
    _, plain = tokens.create_token(user)
    revocation.logout_everywhere(user, tokens=False)
    assert tokens.authenticate_token(plain)[0] == user
    revocation.logout_everywhere(user)
    with pytest.raises(tokens.AuthenticationError):
        tokens.authenticate_token(plain)
    assert revocation.get_epoch(user.pk)[0] == 2


def test_async_logout_everywhere_and_check(user, locmem_revocation):
    async_to_sync(revocation.alogout_everywhere)(user)
    assert async_to_sync(revocation.acheck)((), user.pk, 0) is True
    assert async_to_sync(revocation.acheck)((), user.pk, 1) is False
    caches["revocation"].clear()
    assert async_to_sync(revocation.acheck)((), user.pk, 1) is False  # filled from the database


def test_jti_denylist(user, jwt_api, locmem_revocation):
    raw = access_tokens.issue_access_token(user)
    assert access_tokens.authenticate_access_token(raw)[0] == user
    payload = access_tokens.decode_access_token(raw)
    assert access_tokens.revoke_access_token(payload)
    with pytest.raises(tokens.AuthenticationError):
        access_tokens.authenticate_access_token(raw)
    other = access_tokens.issue_access_token(user)
    assert access_tokens.authenticate_access_token(other)[0] == user
    # an expired or bad token has nothing left to revoke
    assert not access_tokens.revoke_access_token("x.y.z")


def test_jti_denylist_off_means_no_store_read(user, jwt_api, locmem_revocation, monkeypatch):
    raw = access_tokens.issue_access_token(user)
    with override_settings(SESSTOK={"REVOCATION_CACHE": "revocation", "SESSION_DENYLIST": True}):
        monkeypatch.setattr(revocation, "check", lambda *a, **k: pytest.fail("read the store"))
        assert access_tokens.authenticate_access_token(raw)[0] == user


def test_jwt_epoch_claim(user, jwt_api, locmem_revocation):
    import jwt as pyjwt

    raw = access_tokens.issue_access_token(user)
    assert pyjwt.decode(raw, options={"verify_signature": False})[access_tokens.EPOCH_CLAIM] == 0
    revocation.logout_everywhere(user)
    with pytest.raises(tokens.AuthenticationError):
        access_tokens.authenticate_access_token(raw)
    # issued in the same second after the bump: the epoch claim decides, exactly
    assert access_tokens.authenticate_access_token(access_tokens.issue_access_token(user))[0] == user


def test_simplejwt_tokens_and_logout_everywhere(user, jwt_api, locmem_revocation):
    from rest_framework_simplejwt.tokens import AccessToken

    raw = str(AccessToken.for_user(user))
    assert access_tokens.authenticate_access_token(raw)[0] == user
    with frozen_time(time.time() + 2):
        revocation.logout_everywhere(user)
    with pytest.raises(tokens.AuthenticationError):
        access_tokens.authenticate_access_token(raw)


def test_access_token_ttl_of_the_denylist_entry(user, jwt_api, locmem_revocation, monkeypatch):
    seen = {}
    monkeypatch.setattr(revocation, "deny", lambda key, ttl: seen.update(key=key, ttl=ttl) or True)
    raw = access_tokens.issue_access_token(user)
    access_tokens.revoke_access_token(raw)
    assert seen["key"].startswith("sst:j:")
    assert 299 < seen["ttl"] <= 301


# ---- Redis, and two processes --------------------------------------------------------


@pytest.mark.redis
def test_denylist_entries_expire_in_redis(user, jwt_api, redis_revocation):
    import redis

    conn = redis.Redis.from_url(redis_revocation)
    raw = access_tokens.issue_access_token(user, lifetime=60)
    access_tokens.revoke_access_token(raw)
    (key,) = conn.keys(f"{REVOCATION_PREFIX}:*sst:j:*")
    assert 55 <= conn.ttl(key) <= 62
    revocation.bump_epoch(user)
    (epoch_key,) = conn.keys(f"{REVOCATION_PREFIX}:*sst:e:*")
    assert conn.ttl(epoch_key) == -1  # no timeout: the copy of the database's epoch


@pytest.mark.redis
def test_redis_maxmemory_policy_is_noeviction(redis_url):
    import redis

    assert redis.Redis.from_url(redis_url).config_get("maxmemory-policy")["maxmemory-policy"] == "noeviction"


def run_other_process(redis_url, body):
    """Run body in a fresh interpreter configured like the tests, with the
    same Redis as revocation store (but its own in-memory database)."""
    script = textwrap.dedent(
        """
        import json, sys
        sys.path[:0] = [{root!r}, {here!r}]
        import conftest
        conftest.pytest_configure(None)
        from django.test.utils import override_settings
        from _django_fixtures import redis_caches
        with override_settings(CACHES=redis_caches({url!r}, {run_id!r}),
                               SESSTOK={{"REVOCATION_CACHE": "revocation", "SESSION_DENYLIST": True,
                                        "JWT_DENYLIST": True}}):
        """
    ).format(root=ROOT, here=HERE, url=redis_url, run_id=RUN_ID) + textwrap.indent(textwrap.dedent(body), "    ")
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "PYTHONWARNINGS": "error"},
    )
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.redis
@pytest.mark.slow
def test_session_logout_in_another_process(client, user, redis_revocation):
    with override_settings(SESSION_ENGINE="sesstok.sessions.backends.signed_cookies"):
        client.get("/session/login/", {"username": "alice"})
        cookie = client.cookies["sessionid"].value
        assert client.get("/whoami/").json()["user"] == "alice"
        run_other_process(
            redis_revocation,
            f"""
            from django.core.management import call_command
            call_command("migrate", verbosity=0)  # denylist entries are kept in the database too
            from sesstok.sessions.backends.signed_cookies import SessionStore
            SessionStore({cookie!r}).flush()
            """,
        )
        assert client.get("/whoami/").json()["user"] is None


@pytest.mark.redis
@pytest.mark.slow
def test_logout_everywhere_in_another_process(client, user, jwt_api, redis_revocation):
    raw = access_tokens.issue_access_token(user)
    assert access_tokens.authenticate_access_token(raw)[0] == user
    with override_settings(SESSION_ENGINE="sesstok.sessions.backends.signed_cookies"):
        client.get("/session/login/", {"username": "alice"})
        assert client.get("/whoami/").json()["user"] == "alice"
        # the other process has its own database: it makes the user there and
        # bumps the epoch; what reaches this process is the shared store
        run_other_process(
            redis_revocation,
            f"""
            from django.core.management import call_command
            call_command("migrate", verbosity=0)
            from django.contrib.auth import get_user_model
            from sesstok import revocation
            user = get_user_model().objects.create(pk={user.pk}, username="alice")
            revocation.bump_epoch(user)
            """,
        )
        assert client.get("/whoami/").json()["user"] is None
    with pytest.raises(tokens.AuthenticationError):
        access_tokens.authenticate_access_token(raw)


@pytest.mark.redis
@pytest.mark.slow
def test_jwt_revoked_in_another_process(user, jwt_api, redis_revocation):
    raw = access_tokens.issue_access_token(user)
    out = run_other_process(
        redis_revocation,
        f"""
        from django.core.management import call_command
        call_command("migrate", verbosity=0)  # denylist entries are kept in the database too
        from sesstok import access_tokens
        payload = access_tokens.decode_access_token({raw!r})
        print(json.dumps(access_tokens.revoke_access_token(payload)))
        """,
    )
    assert json.loads(out) is True
    with pytest.raises(tokens.AuthenticationError):
        access_tokens.authenticate_access_token(raw)


@pytest.mark.redis
def test_sesstok_redis_cache_reuses_its_client_and_behaves_like_djangos(redis_settings):
    from django.core.cache.backends.redis import RedisCache as DjangoRedisCache

    from sesstok.cache import RedisCache

    mine = RedisCache(redis_settings, {"KEY_PREFIX": REVOCATION_PREFIX})
    theirs = DjangoRedisCache(redis_settings, {"KEY_PREFIX": REVOCATION_PREFIX})
    assert isinstance(mine, DjangoRedisCache)
    assert mine._cache.get_client() is mine._cache.get_client()
    mine.set("k", {"a": 1}, 30)
    assert theirs.get("k") == {"a": 1}
    theirs.set("n", 5, None)
    assert mine.get_many(["k", "n", "missing"]) == {"k": {"a": 1}, "n": 5}
    assert mine.add("k", 2) is False and mine.add("new", 2) is True
    mine.delete("k")
    assert theirs.get("k") is None


@pytest.mark.redis
def test_revocation_on_sesstok_redis_cache(client, user, redis_url, redis_settings):
    from _django_fixtures import redis_caches

    caches_ = redis_caches(
        redis_url,
        revocation={"BACKEND": "sesstok.cache.RedisCache", "LOCATION": redis_url, "KEY_PREFIX": REVOCATION_PREFIX},
    )
    with override_settings(
        CACHES=caches_,
        SESSION_ENGINE="sesstok.sessions.backends.signed_cookies",
        SESSTOK={"REVOCATION_CACHE": "revocation", "SESSION_DENYLIST": True},
    ):
        client.get("/session/login/", {"username": "alice"})
        stolen = client.cookies["sessionid"].value
        client.get("/session/logout/")
        client.cookies["sessionid"] = stolen
        assert client.get("/whoami/").json()["user"] is None


# ---- logout of what authenticated the request ------------------------------------------


def test_logout_revokes_the_presented_token(client, user):
    _, plain = tokens.create_token(user)
    _, other = tokens.create_token(user, "other")
    header = {"HTTP_AUTHORIZATION": f"Token {plain}"}
    assert client.post("/api/logout/", **header).json() == {"revoked": "token"}
    assert client.get("/api/whoami/", **header).status_code == 401
    assert client.get("/api/whoami/", HTTP_AUTHORIZATION=f"Token {other}").json()["user"] == "alice"


def test_logout_revokes_the_presented_jwt(client, user, jwt_api, locmem_revocation):
    raw = access_tokens.issue_access_token(user)
    header = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    assert client.post("/api/logout/", **header).json() == {"revoked": "jwt"}
    assert client.get("/api/whoami/", **header).status_code == 401


def test_logout_of_a_session(client, user, locmem_revocation):
    with override_settings(SESSION_ENGINE="sesstok.sessions.backends.signed_cookies"):
        client.get("/session/login/", {"username": "alice"})
        stolen = client.cookies["sessionid"].value
        assert client.post("/logout/").json() == {"revoked": "session"}
        client.cookies["sessionid"] = stolen
        assert client.get("/whoami/").json()["user"] is None


def test_async_logout(async_client, user):
    _, plain = tokens.create_token(user)

    async def scenario():
        r = await async_client.post("/api/alogout/", headers={"Authorization": f"Token {plain}"})
        s = await async_client.post("/api/alogout/")
        return r.json(), s.json()

    assert async_to_sync(scenario)() == ({"revoked": "token"}, {"revoked": "session"})
    with pytest.raises(tokens.AuthenticationError):
        tokens.authenticate_token(plain)


@pytest.mark.redis
def test_jwt_check_is_one_store_read(user, jwt_api, redis_revocation):
    import redis

    from test_sessions import redis_commands

    raw = access_tokens.issue_access_token(user)  # fills the epoch copy
    redis.Redis.from_url(redis_revocation).config_resetstat()
    assert access_tokens.authenticate_access_token(raw)[0] == user
    assert redis_commands(redis_revocation) == {"mget": 1}


@pytest.mark.redis
def test_async_check_is_one_store_read(user, jwt_api, redis_revocation):
    """Django's RedisCache has no aget_many of its own (the default awaits
    one aget per key): the async check still sends a single MGET."""
    import redis

    from test_sessions import redis_commands

    raw = access_tokens.issue_access_token(user)
    redis.Redis.from_url(redis_revocation).config_resetstat()
    assert async_to_sync(access_tokens.aauthenticate_access_token)(raw)[0] == user
    assert redis_commands(redis_revocation) == {"mget": 1}
