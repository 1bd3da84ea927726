"""The per-request user cache (sesstok.user_cache): tiers, versions,
invalidation, and its use by the token, JWT and session paths.

The ORM is the oracle: a user served by the cache has exactly the field
values the ORM loads, and every write that goes through the model's signals
is seen on the next request."""

import contextlib
import json
import os
import subprocess
import sys
import textwrap
import time
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import caches
from django.db import connection, transaction
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from sesstok import access_tokens, revocation, tokens, user_cache
from sesstok.tokens import AuthenticationError

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

LOCMEM = "django.core.cache.backends.locmem.LocMemCache"


def fields(user):
    return {f.attname: getattr(user, f.attname) for f in type(user)._meta.concrete_fields}


@contextlib.contextmanager
def cache_settings(local_ttl=5, ttl=60, alias="users", backend=LOCMEM, location="users", extra_caches=None, **more):
    """USER_CACHE on, with a fresh shared tier (LocMem survives the database
    rollback between tests; a stale row under a reused pk would be served)."""
    caches_setting = {
        "default": {"BACKEND": LOCMEM},
        alias: {"BACKEND": backend, "LOCATION": location},
        **(extra_caches or {}),
    }
    with override_settings(
        CACHES=caches_setting,
        SESSTOK={"USER_CACHE": alias, "USER_CACHE_TTL": ttl, "USER_CACHE_LOCAL_TTL": local_ttl, **more},
    ):
        if backend == LOCMEM:
            caches[alias].clear()
        try:
            yield
        finally:
            if backend == LOCMEM:
                caches[alias].clear()


@pytest.fixture
def cached(db):
    with cache_settings():
        yield
    user_cache.clear_local()


@pytest.fixture
def shared_only(db):
    with cache_settings(local_ttl=0):
        yield


@pytest.fixture
def store_reads(monkeypatch):
    """store_reads(alias) -> a list that records each top-level read of that
    cache ("get", "get_many"): what a request costs in round trips."""

    def watch(alias):
        calls = []
        cache = caches[alias]
        depth = [0]
        for name in ("get", "get_many"):
            real = getattr(cache, name)

            def wrapper(*args, _real=real, _name=name, **kwargs):
                if depth[0] == 0:
                    calls.append(_name)
                depth[0] += 1
                try:
                    return _real(*args, **kwargs)
                finally:
                    depth[0] -= 1

            monkeypatch.setattr(cache, name, wrapper)
        return calls

    return watch


def sources(before):
    after = user_cache.stats()
    return {k: after[k] - before[k] for k in after}


def served(fn):
    """(result, where it came from, queries run)."""
    before = user_cache.stats()
    with CaptureQueriesContext(connection) as queries:
        result = fn()
    where = [k for k, v in sources(before).items() if v]
    return result, where, len(queries)


# ---- cache off: one prepared query, same instance as the ORM's ----------------------------


def test_off_by_default(user):
    assert not user_cache.enabled()
    loaded, where, queries = served(lambda: user_cache.get_user(user.pk))
    assert fields(loaded) == fields(get_user_model().objects.get(pk=user.pk))
    assert loaded._state.adding is False and loaded._state.db == "default"
    assert where == ["db"] and queries == 1


@pytest.mark.parametrize("value", [None, "", "abc", "1.5", [], {}, -1, 10**30, "999999"])
def test_no_user_for_garbage_or_unknown_ids(user, value):
    assert user_cache.get_user(value) is None


def test_session_string_ids(user):
    assert user_cache.get_user(str(user.pk)) == user


# ---- cache on ----------------------------------------------------------------------------------


def test_tiers(user, cached):
    expected = fields(get_user_model().objects.get(pk=user.pk))
    first, where, queries = served(lambda: user_cache.get_user(user.pk))
    assert where == ["db"] and queries == 1
    second, where, queries = served(lambda: user_cache.get_user(str(user.pk)))
    assert where == ["local"] and queries == 0
    assert fields(first) == fields(second) == expected
    user_cache.clear_local()
    third, where, queries = served(lambda: user_cache.get_user(user.pk))
    assert where == ["shared"] and queries == 0
    assert fields(third) == expected
    assert third._state.adding is False and third._state.db == "default"


def test_shared_only(user, shared_only):
    user_cache.get_user(user.pk)
    loaded, where, queries = served(lambda: user_cache.get_user(user.pk))
    assert where == ["shared"] and queries == 0
    assert fields(loaded) == fields(user)


def test_every_request_gets_its_own_instance(user, cached):
    a = user_cache.get_user(user.pk)
    a.first_name = "changed in one request"
    b = user_cache.get_user(user.pk)
    assert b is not a and b.first_name == ""


def test_save_bumps_the_version(user, cached):
    user_cache.get_user(user.pk)
    user.first_name = "Alice"
    user.save()
    loaded, where, _ = served(lambda: user_cache.get_user(user.pk))
    assert where == ["db"] and loaded.first_name == "Alice"


@pytest.mark.parametrize("local_ttl", [0, 5])
def test_deactivation_and_password_change_are_seen_at_once(user, local_ttl, db):
    with cache_settings(local_ttl=local_ttl):
        old_hash = user.password
        assert user_cache.get_user(user.pk).password == old_hash
        user.set_password("new-password")
        user.save()
        assert user_cache.get_user(user.pk).password != old_hash
        user.is_active = False
        user.save()
        assert user_cache.get_user(user.pk).is_active is False


def test_delete_is_seen_at_once(user, cached):
    user_cache.get_user(user.pk)
    pk = user.pk
    user.delete()
    assert user_cache.get_user(pk) is None


def another_process_bumps(pk, alias="users"):
    """What a bump in another process leaves behind: a new version in the
    store, nothing dropped in this process."""
    caches[alias].set(user_cache.version_key(pk), "someone-else-bumped")


def later(monkeypatch, seconds):
    """Move the monotonic clock (the in-process tier's) forward."""
    now = time.monotonic()
    monkeypatch.setattr(time, "monotonic", lambda: now + seconds)


def test_hot_in_process_hits_read_nothing(user, cached, store_reads):
    user_cache.get_user(user.pk)
    reads = store_reads("users")
    loaded, where, queries = served(lambda: user_cache.get_user(user.pk))
    assert where == ["local"] and queries == 0 and reads == []
    assert fields(loaded) == fields(user)


def test_another_process_bump_is_seen_within_the_local_ttl(user, cached, monkeypatch, store_reads):
    """Revocation checks off: an in-process entry is served unchecked for
    USER_CACHE_LOCAL_TTL after its version was read; then one read."""
    user_cache.get_user(user.pk)
    get_user_model().objects.filter(pk=user.pk).update(first_name="Bob")  # another process's write...
    another_process_bumps(user.pk)  # ...and its bump
    later(monkeypatch, 4.9)  # USER_CACHE_LOCAL_TTL is 5 here
    loaded, where, _ = served(lambda: user_cache.get_user(user.pk))
    assert where == ["local"] and loaded.first_name == ""  # not seen yet: within the bound
    later(monkeypatch, 5.1)
    loaded, where, _ = served(lambda: user_cache.get_user(user.pk))
    assert where == ["db"] and loaded.first_name == "Bob"


def test_after_the_local_ttl_one_version_read_renews_the_entry(user, db, monkeypatch, store_reads):
    with cache_settings(ttl=60, local_ttl=2):
        user_cache.get_user(user.pk)
        reads = store_reads("users")
        later(monkeypatch, 2.5)
        _, where, queries = served(lambda: user_cache.get_user(user.pk))
        assert where == ["local"] and queries == 0 and reads == ["get"]  # the version only
        _, where, _ = served(lambda: user_cache.get_user(user.pk))
        assert where == ["local"] and reads == ["get"]  # renewed: nothing read again
        later(monkeypatch, 4.6)
        user_cache.get_user(user.pk)
        assert reads == ["get", "get"]


def test_default_local_ttl_is_two_seconds():
    from sesstok.conf import DEFAULTS

    assert DEFAULTS["USER_CACHE_LOCAL_TTL"] == 2


def test_a_bump_in_this_process_drops_its_copies_at_once(user, cached, monkeypatch):
    user_cache.get_user(user.pk)
    assert user.pk in user_cache._leases
    get_user_model().objects.filter(pk=user.pk).update(first_name="Bob")
    user_cache.invalidate(user)  # what every signal and revocation does
    assert user.pk not in user_cache._leases
    assert user_cache.user_key(user_cache.user_model(), user.pk) not in user_cache._local
    loaded, where, _ = served(lambda: user_cache.get_user(user.pk))
    assert where == ["db"] and loaded.first_name == "Bob"


def test_local_ttl_zero_reads_the_version_on_every_request(user, shared_only, store_reads):
    user_cache.get_user(user.pk)
    reads = store_reads("users")
    for _ in range(3):
        _, where, queries = served(lambda: user_cache.get_user(user.pk))
        assert where == ["shared"] and queries == 0
    assert reads == ["get_many"] * 3  # version and row in one read
    another_process_bumps(user.pk)
    _, where, _ = served(lambda: user_cache.get_user(user.pk))
    assert where == ["db"]


# ---- revocation checks on: every request validated, the version in the check's read ------------


@contextlib.contextmanager
def checks_on(local_ttl=5, **more):
    """The user cache with revocation checks on: versions live in the
    revocation store ("rev"), rows in the shared tier ("users")."""
    with cache_settings(
        local_ttl=local_ttl,
        REVOCATION_CACHE="rev",
        JWT_DENYLIST=True,
        SESSION_DENYLIST=True,
        extra_caches={"rev": {"BACKEND": LOCMEM, "LOCATION": "rev"}},
        **more,
    ):
        try:
            yield
        finally:
            caches["rev"].clear()


def test_checks_on_is_revocation_store_and_a_denylist(db):
    with cache_settings():
        assert not user_cache.checks_on()
    with cache_settings(REVOCATION_CACHE="users"):
        assert not user_cache.checks_on()  # a store, but nothing checked
    for flag in ("JWT_DENYLIST", "SESSION_DENYLIST"):
        with cache_settings(REVOCATION_CACHE="users", **{flag: True}):
            assert user_cache.checks_on()


def test_versions_live_in_the_revocation_store(user, db):
    with checks_on():
        user_cache.get_user(user.pk)
        assert caches["rev"].get(user_cache.version_key(user.pk)) is not None
        assert caches["users"].get(user_cache.version_key(user.pk)) is None
        version = caches["rev"].get(user_cache.version_key(user.pk))
        user.save()
        assert caches["rev"].get(user_cache.version_key(user.pk)) != version


def test_checks_on_every_request_reads_the_version(user, db, store_reads):
    with checks_on():
        user_cache.get_user(user.pk)
        rev, users = store_reads("rev"), store_reads("users")
        _, where, queries = served(lambda: user_cache.get_user(user.pk))
        assert where == ["local"] and queries == 0
        assert rev == ["get"] and users == []  # one read: the version
        another_process_bumps(user.pk, "rev")  # no lease: seen at once
        _, where, _ = served(lambda: user_cache.get_user(user.pk))
        assert where == ["db"]


def test_checks_on_the_version_rides_in_the_revocation_read(user, db, store_reads):
    with checks_on():
        user_cache.get_user(user.pk)
        version = caches["rev"].get(user_cache.version_key(user.pk))
        rev, users = store_reads("rev"), store_reads("users")
        revoked, seen = revocation.check_with_version(("sst:j:some-jti",), user.pk, 0, None)
        assert not revoked and seen.version == version
        assert rev == ["get_many"]
        _, where, queries = served(lambda: user_cache.get_user(user.pk, seen=seen))
        assert where == ["local"] and queries == 0
        assert rev == ["get_many"] and users == []  # nothing more than the check's one read


def test_a_version_seen_by_the_check_invalidates_a_stale_entry(user, db):
    with checks_on():
        user_cache.get_user(user.pk)
        get_user_model().objects.filter(pk=user.pk).update(first_name="Bob")
        another_process_bumps(user.pk, "rev")
        _, seen = revocation.check_with_version((), user.pk, 0, None)
        loaded, where, _ = served(lambda: user_cache.get_user(user.pk, seen=seen))
        assert where == ["db"] and loaded.first_name == "Bob"


def test_a_version_seen_before_a_bump_in_this_process_is_not_used(user, db):
    with checks_on():
        user_cache.get_user(user.pk)
        _, seen = revocation.check_with_version((), user.pk, 0, None)
        get_user_model().objects.filter(pk=user.pk).update(first_name="Bob")
        user_cache.invalidate(user)  # after the check's read, before the load
        loaded, where, _ = served(lambda: user_cache.get_user(user.pk, seen=seen))
        assert where == ["db"] and loaded.first_name == "Bob"


def test_a_version_seen_for_another_user_is_not_used(user, make_user, db, store_reads):
    other = make_user()
    with checks_on():
        user_cache.get_user(user.pk)
        _, seen = revocation.check_with_version((), other.pk, 0, None)
        rev = store_reads("rev")
        _, where, _ = served(lambda: user_cache.get_user(user.pk, seen=seen))
        assert where == ["local"] and rev == ["get"]  # read its own version


def test_no_version_rides_with_the_cache_off(user, db):
    with cache_settings(USER_CACHE=None, REVOCATION_CACHE="users", JWT_DENYLIST=True):
        assert revocation.check_with_version((), user.pk, 0, None) == (False, None)


def test_probe_of_garbage_ids(db):
    with checks_on():
        for value in ("abc", None, [], "1.5"):
            assert user_cache.probe(value, "rev") is None
        assert user_cache.probe("1", "users") is None  # not where the versions are


def test_queryset_update_is_bounded_by_the_ttl(user, db, monkeypatch):
    with cache_settings(ttl=60, local_ttl=5):
        user_cache.get_user(user.pk)
        get_user_model().objects.filter(pk=user.pk).update(first_name="Bob")
        now = time.time()
        monkeypatch.setattr(time, "time", lambda: now + 30)
        user_cache.clear_local()
        assert user_cache.get_user(user.pk).first_name == ""  # shared copy, 30 s old
        monkeypatch.setattr(time, "time", lambda: now + 61)
        user_cache.clear_local()
        loaded, where, _ = served(lambda: user_cache.get_user(user.pk))
        assert where == ["db"] and loaded.first_name == "Bob"


def test_local_tier_outlives_the_local_ttl_revalidated(user, db, monkeypatch):
    with cache_settings(ttl=60, local_ttl=5):
        user_cache.get_user(user.pk)
        later(monkeypatch, 6)
        _, where, _ = served(lambda: user_cache.get_user(user.pk))
        assert where == ["local"]  # the version was read, the row was not


def test_local_tier_never_outlives_the_shared_ttl(user, db, monkeypatch):
    with cache_settings(ttl=10, local_ttl=10):
        user_cache.get_user(user.pk)
        user_cache.clear_local()
        wall, mono = time.time(), time.monotonic()
        monkeypatch.setattr(time, "time", lambda: wall + 8)
        user_cache.get_user(user.pk)  # shared copy, 8 s old, now in the local tier for at most 2 s
        monkeypatch.setattr(time, "time", lambda: wall + 11)
        monkeypatch.setattr(time, "monotonic", lambda: mono + 3)
        _, where, _ = served(lambda: user_cache.get_user(user.pk))
        assert where == ["db"]


def test_local_tier_is_bounded(make_user, db):
    with cache_settings(USER_CACHE_LOCAL_SIZE=3):
        users = [make_user() for _ in range(5)]
        for u in users:
            user_cache.get_user(u.pk)
        assert len(user_cache._local) == 3
        _, where, _ = served(lambda: user_cache.get_user(users[-1].pk))
        assert where == ["local"]
        _, where, _ = served(lambda: user_cache.get_user(users[0].pk))
        assert where == ["shared"]


def test_bump_inside_a_transaction_is_repeated_on_commit(user, cached, monkeypatch):
    bumps = []
    real = user_cache._bump
    monkeypatch.setattr(user_cache, "_bump", lambda pk: (bumps.append(pk), real(pk)))
    with transaction.atomic():
        user.first_name = "Alice"
        user.save()
        assert bumps == [user.pk]
    # the test runs inside the db fixture's transaction: on_commit waits for
    # it; run the callbacks the way a commit would
    callbacks = [c for _, c, _ in connection.run_on_commit]
    assert len(callbacks) == 1
    callbacks[0]()
    assert bumps == [user.pk, user.pk]


def test_a_racing_reader_never_caches_under_the_new_version(user, cached, monkeypatch):
    """The version is read before the row: a bump between the two leaves a
    copy stored under the old version, which is never served."""
    real_row = user_cache._db_row

    def row_then_bump(info, pk):
        result = real_row(info, pk)
        get_user_model().objects.filter(pk=pk).update(first_name="Bob")
        user_cache.invalidate(pk)
        return result

    monkeypatch.setattr(user_cache, "_db_row", row_then_bump)
    assert user_cache.get_user(user.pk).first_name == ""
    monkeypatch.setattr(user_cache, "_db_row", real_row)
    loaded, where, _ = served(lambda: user_cache.get_user(user.pk))
    assert where == ["db"] and loaded.first_name == "Bob"


def test_shared_tier_down_falls_back_to_the_database(user, db):
    with cache_settings(backend="django.core.cache.backends.redis.RedisCache", location="redis://127.0.0.1:1/0"):
        loaded, where, queries = served(lambda: user_cache.get_user(user.pk))
        assert loaded == user and where == ["db"] and queries == 1


def test_bump_failure_propagates(user, db):
    with cache_settings(backend="django.core.cache.backends.redis.RedisCache", location="redis://127.0.0.1:1/0"):
        with pytest.raises(Exception):
            user_cache.invalidate(user)


def test_missing_version_is_created_once(user, cached, monkeypatch):
    user_cache.get_user(user.pk)
    version = caches["users"].get(user_cache.version_key(user.pk))
    assert isinstance(version, str) and len(version) == 16
    caches["users"].delete(user_cache.version_key(user.pk))  # evicted, or Redis restarted
    later(monkeypatch, 6)  # past the local TTL: the version is read
    _, where, _ = served(lambda: user_cache.get_user(user.pk))
    assert where == ["db"]
    assert caches["users"].get(user_cache.version_key(user.pk)) not in (None, version)


def test_settings_change_empties_the_local_tier(user, cached):
    user_cache.get_user(user.pk)
    assert user_cache._local
    with override_settings(SECRET_KEY="another-secret-key-0123456789abcdefghijklmnopqrstuvwxyz"):
        assert not user_cache._local


def test_async(user, cached):
    from asgiref.sync import async_to_sync

    first = async_to_sync(user_cache.aget_user)(user.pk)
    _, where, _ = served(lambda: async_to_sync(user_cache.aget_user)(user.pk))
    assert first == user and where == ["local"]


def test_get_user_by_field(user, cached):
    assert user_cache.get_user_by_field("id", user.pk) == user
    assert user_cache.get_user_by_field("username", "alice") == user
    assert user_cache.get_user_by_field("username", "nobody") is None


# ---- tokens ------------------------------------------------------------------------------------


def test_token_through_the_cache(user, cached):
    _, plain = tokens.create_token(user, "t")
    (u1, t1), where, queries = served(lambda: tokens.authenticate_token(plain))
    assert where == ["db"] and queries == 3  # user id by digest, token + user, last_used write
    (u2, t2), where, queries = served(lambda: tokens.authenticate_token(plain))
    assert where == ["local"] and queries == 0
    assert fields(u1) == fields(u2) == fields(get_user_model().objects.get(pk=user.pk))
    assert fields(t1) == fields(t2)
    user_cache.clear_local()
    (u3, t3), where, queries = served(lambda: tokens.authenticate_token(plain))
    assert where == ["shared"] and queries == 0 and fields(t3) == fields(t1)


@pytest.mark.parametrize("local_ttl", [0, 5])
def test_token_revocation_is_seen_at_once(user, db, local_ttl):
    with cache_settings(local_ttl=local_ttl):
        _, plain = tokens.create_token(user, "t")
        _, other = tokens.create_token(user, "u")
        tokens.authenticate_token(plain)
        tokens.authenticate_token(plain)
        assert tokens.revoke_token(plain)
        with pytest.raises(AuthenticationError):
            tokens.authenticate_token(plain)
        tokens.authenticate_token(other)
        revocation.logout_everywhere(user)
        with pytest.raises(AuthenticationError):
            tokens.authenticate_token(other)


def test_token_hot_hits_read_nothing(user, cached, store_reads):
    _, plain = tokens.create_token(user, "t")
    tokens.authenticate_token(plain)
    reads = store_reads("users")
    _, where, queries = served(lambda: tokens.authenticate_token(plain))
    assert where == ["local"] and queries == 0 and reads == []


def _delete_as_another_process(plain, user, alias):
    """A token deleted by another process: the row is gone and the user's
    version bumped in the store; nothing happened in this process."""
    from sesstok.models import AuthToken

    queryset = AuthToken.objects.filter(digest=tokens.token_digest(plain))
    queryset._raw_delete(queryset.db)  # no signal here: it fired in the other process
    another_process_bumps(user.pk, alias)


def test_token_revoked_elsewhere_is_refused_within_the_local_ttl(user, cached, monkeypatch):
    _, plain = tokens.create_token(user, "t")
    tokens.authenticate_token(plain)
    _delete_as_another_process(plain, user, "users")
    assert tokens.authenticate_token(plain)[0] == user  # within USER_CACHE_LOCAL_TTL (5 s here)
    later(monkeypatch, 5.1)
    with pytest.raises(AuthenticationError):
        tokens.authenticate_token(plain)


def test_token_revoked_elsewhere_with_checks_on_is_refused_at_once(user, db, store_reads):
    with checks_on():
        _, plain = tokens.create_token(user, "t")
        tokens.authenticate_token(plain)
        rev, users = store_reads("rev"), store_reads("users")
        _, where, queries = served(lambda: tokens.authenticate_token(plain))
        assert where == ["local"] and queries == 0
        assert rev == ["get"] and users == []  # one read per request: the user's version
        _delete_as_another_process(plain, user, "rev")
        with pytest.raises(AuthenticationError):
            tokens.authenticate_token(plain)


def test_token_deleted_by_a_bulk_delete(user, cached):
    from sesstok.models import AuthToken

    _, plain = tokens.create_token(user, "t")
    tokens.authenticate_token(plain)
    AuthToken.objects.filter(user=user).delete()  # the admin's bulk action does this
    with pytest.raises(AuthenticationError):
        tokens.authenticate_token(plain)


def test_token_user_password_change(user, cached):
    _, plain = tokens.create_token(user, "t")
    tokens.authenticate_token(plain)
    user.set_password("changed")
    user.save()  # deletes the user's tokens (sesstok.receivers)
    with pytest.raises(AuthenticationError):
        tokens.authenticate_token(plain)


def test_token_user_deactivated(user, cached):
    from sesstok.backends import TokenBackend

    _, plain = tokens.create_token(user, "t")
    assert TokenBackend().authenticate(None, token=plain) == user
    user.is_active = False
    user.save()
    assert TokenBackend().authenticate(None, token=plain) is None


def test_token_expiry_is_checked_on_cached_copies(user, cached, monkeypatch):
    from datetime import timedelta

    from django.utils import timezone

    _, plain = tokens.create_token(user, "t", expires=timedelta(seconds=30))
    tokens.authenticate_token(plain)
    later = timezone.now() + timedelta(seconds=31)
    monkeypatch.setattr(timezone, "now", lambda: later)
    with pytest.raises(AuthenticationError) as info:
        tokens.authenticate_token(plain)
    assert info.value.code == "token_expired"


def test_last_used_write_updates_the_cached_copy(user, cached, monkeypatch):
    from datetime import timedelta

    from django.utils import timezone

    from sesstok.models import AuthToken

    _, plain = tokens.create_token(user, "t")
    tokens.authenticate_token(plain)
    first = AuthToken.objects.get().last_used
    later = timezone.now() + timedelta(seconds=61)
    monkeypatch.setattr(timezone, "now", lambda: later)
    _, where, queries = served(lambda: tokens.authenticate_token(plain))
    assert where == ["local"] and queries == 1  # the write, once
    assert AuthToken.objects.get().last_used == later != first
    _, where, queries = served(lambda: tokens.authenticate_token(plain))
    assert queries == 0
    user_cache.clear_local()
    (_, token), where, queries = served(lambda: tokens.authenticate_token(plain))
    assert where == ["shared"] and queries == 0 and token.last_used == later


def test_unknown_token_is_not_cached(user, cached):
    plain = tokens.generate_token()
    for _ in range(2):
        _, where, queries = served(lambda: pytest.raises(AuthenticationError, tokens.authenticate_token, plain))
        assert where == ["db"] and queries == 1


def test_token_racing_a_revocation_is_never_served(user, cached, monkeypatch):
    from sesstok.models import AuthToken

    _, plain = tokens.create_token(user, "t")
    real_load = tokens._load_rows

    def load_then_revoke(digest):
        rows = real_load(digest)
        AuthToken.objects.filter(digest=digest).delete()
        return rows

    monkeypatch.setattr(tokens, "_load_rows", load_then_revoke)
    tokens.authenticate_token(plain)  # read just before the revocation
    monkeypatch.setattr(tokens, "_load_rows", real_load)
    with pytest.raises(AuthenticationError):
        tokens.authenticate_token(plain)


# ---- JWT ---------------------------------------------------------------------------------------


def test_jwt_through_the_cache(user, jwt_api, cached):
    raw = access_tokens.issue_access_token(user)
    access_tokens.authenticate_access_token(raw)
    (loaded, _), where, queries = served(lambda: access_tokens.authenticate_access_token(raw))
    assert loaded == user and where == ["local"] and queries == 0
    user.set_password("changed")
    user.save()
    with pytest.raises(AuthenticationError):
        access_tokens.authenticate_access_token(raw)


def test_jwt_with_another_id_field_is_not_cached(user, jwt_api, db):
    with cache_settings(JWT_USER_ID_FIELD="username"):
        raw = access_tokens.issue_access_token(user)
        (loaded, _), where, queries = served(lambda: access_tokens.authenticate_access_token(raw))
        assert loaded == user and where == [] and queries == 1


def test_jwt_logout_bumps_the_version(client, user, jwt_api, db):
    with cache_settings(REVOCATION_CACHE="users", JWT_DENYLIST=True):
        raw = access_tokens.issue_access_token(user)
        version = caches["users"].get(user_cache.version_key(user.pk))
        response = client.post("/api/logout/", HTTP_AUTHORIZATION=f"Bearer {raw}")
        assert response.json() == {"revoked": "jwt"}
        assert caches["users"].get(user_cache.version_key(user.pk)) != version
        assert client.get("/api/whoami/", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401


# ---- sessions (sesstok.middleware.AuthenticationMiddleware) -------------------------------------

SESSTOK_AUTH = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "sesstok.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "sesstok.middleware.TokenAuthenticationMiddleware",
]


@pytest.fixture(params=["off", "local", "shared"])
def session_cache(request, db):
    settings = {
        "off": override_settings(MIDDLEWARE=SESSTOK_AUTH),
        "local": cache_settings(),
        "shared": cache_settings(local_ttl=0),
    }[request.param]
    with settings, override_settings(MIDDLEWARE=SESSTOK_AUTH):
        yield request.param


def login(client, username="alice"):
    assert client.get("/session/login/", {"username": username}).status_code == 200


def test_session_user(client, user, session_cache):
    login(client)
    for _ in range(2):
        assert client.get("/whoami/").json()["user"] == "alice"
    before = user_cache.stats()
    assert client.get("/whoami/").json()["user"] == "alice"
    expected = {"off": ["db"], "local": ["local"], "shared": ["shared"]}[session_cache]
    assert [k for k, v in sources(before).items() if v] == expected


def test_session_async(async_client, user, session_cache):
    from asgiref.sync import async_to_sync

    async def run():
        await async_client.get("/session/alogin/", {"username": "alice"})
        return [(await async_client.get("/async/whoami/")).json()["user"] for _ in range(2)]

    assert async_to_sync(run)() == ["alice", "alice"]


def test_session_password_change_logs_out(client, user, session_cache):
    login(client)
    assert client.get("/whoami/").json()["user"] == "alice"
    user.set_password("changed")
    user.save()
    assert client.get("/whoami/").json()["user"] is None


def test_session_password_change_async(async_client, user, session_cache):
    from asgiref.sync import async_to_sync

    async def run():
        await async_client.get("/session/alogin/", {"username": "alice"})
        first = (await async_client.get("/async/whoami/")).json()["user"]
        await user.aset_password("changed") if hasattr(user, "aset_password") else user.set_password("changed")
        await user.asave()
        return first, (await async_client.get("/async/whoami/")).json()["user"]

    assert async_to_sync(run)() == ("alice", None)


def test_session_inactive_user(client, user, session_cache):
    login(client)
    get_user_model().objects.filter(pk=user.pk).update(is_active=False)
    user_cache.invalidate(user)
    assert client.get("/whoami/").json()["user"] is None


def test_session_backend_removed(client, user, session_cache):
    login(client)
    with override_settings(AUTHENTICATION_BACKENDS=["sesstok.backends.TokenBackend"]):
        assert client.get("/whoami/").json()["user"] is None


def test_session_fallback_secret_cycles_the_hash(client, user, session_cache):
    old = "old-secret-key-0123456789abcdefghijklmnopqrstuvwxyz-0123456789"
    new = "new-secret-key-0123456789abcdefghijklmnopqrstuvwxyz-0123456789"
    with override_settings(SECRET_KEY=old):
        login(client)
        assert client.get("/whoami/").json()["user"] == "alice"
    with override_settings(SECRET_KEY=new, SECRET_KEY_FALLBACKS=[old]):
        session = client.get("/whoami/").json()
        assert session["user"] == "alice"
        assert session["session"]["_auth_user_hash"] == user.get_session_auth_hash()
    with override_settings(SECRET_KEY=new):
        assert client.get("/whoami/").json()["user"] == "alice"


def test_session_hash_mismatch_flushes(client, user, session_cache):
    login(client)
    session = client.session
    session["_auth_user_hash"] = "0" * 64
    session.save()
    assert client.get("/whoami/").json()["user"] is None


def test_session_custom_backend_is_called_as_django_calls_it(client, user, session_cache, monkeypatch):
    from django.contrib.auth.backends import ModelBackend

    calls = []

    class Backend(ModelBackend):
        def get_user(self, user_id):
            calls.append(user_id)
            return super().get_user(user_id)

    monkeypatch.setattr(sys.modules[__name__], "CustomBackend", Backend, raising=False)
    path = f"{__name__}.CustomBackend"
    with override_settings(AUTHENTICATION_BACKENDS=[path]):
        from django.contrib.auth import BACKEND_SESSION_KEY

        login(client)
        session = client.session
        session[BACKEND_SESSION_KEY] = path
        session.save()
        assert client.get("/whoami/").json()["user"] == "alice"
        assert calls == [user.pk]


def test_session_matches_djangos_middleware(client, make_user, db):
    """Same answers as Django's AuthenticationMiddleware for the same cookies."""
    make_user("alice")
    bob = make_user("bob")
    login(client, "bob")
    django_view = client.get("/whoami/").json()
    with cache_settings(), override_settings(MIDDLEWARE=SESSTOK_AUTH):
        assert client.get("/whoami/").json() == django_view
        bob.set_password("x")
        bob.save()
        sesstok_view = client.get("/whoami/").json()
    assert sesstok_view["user"] is None


# ---- system checks -------------------------------------------------------------------------------


def check_ids(**settings):
    from django.core import checks

    with override_settings(**settings):
        return sorted({m.id for m in checks.run_checks(tags=["sesstok"]) if m.id.startswith("sesstok.")})


def test_checks(db):
    caches_setting = {
        "default": {"BACKEND": LOCMEM},
        "users": {"BACKEND": LOCMEM},
        "dummy": {"BACKEND": "django.core.cache.backends.dummy.DummyCache"},
        "redis": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1"},
    }
    assert check_ids(CACHES=caches_setting, SESSTOK={"USER_CACHE": "nope"}, MIDDLEWARE=SESSTOK_AUTH) == ["sesstok.E012"]
    assert check_ids(CACHES=caches_setting, SESSTOK={"USER_CACHE": "dummy"}, MIDDLEWARE=SESSTOK_AUTH) == [
        "sesstok.E012"
    ]
    assert check_ids(CACHES=caches_setting, SESSTOK={"USER_CACHE": "users"}, MIDDLEWARE=SESSTOK_AUTH) == [
        "sesstok.W002"
    ]
    assert check_ids(CACHES=caches_setting, SESSTOK={"USER_CACHE": "users"}, MIDDLEWARE=SESSTOK_AUTH, DEBUG=True) == []
    assert check_ids(CACHES=caches_setting, SESSTOK={"USER_CACHE": "redis"}, MIDDLEWARE=SESSTOK_AUTH) == []
    assert check_ids(CACHES=caches_setting, SESSTOK={"USER_CACHE": "redis"}) == ["sesstok.W003"]
    assert check_ids(CACHES=caches_setting, SESSTOK={"USER_CACHE_TTL": 0}) == ["sesstok.E002"]
    assert check_ids(CACHES=caches_setting, SESSTOK={"USER_CACHE_LOCAL_SIZE": "big"}) == ["sesstok.E002"]
    # W002 is about where the versions live: the revocation store when there is one
    assert (
        check_ids(
            CACHES=caches_setting, SESSTOK={"USER_CACHE": "users", "REVOCATION_CACHE": "redis"}, MIDDLEWARE=SESSTOK_AUTH
        )
        == []
    )
    assert "sesstok.W002" in check_ids(
        CACHES=caches_setting, MIDDLEWARE=SESSTOK_AUTH, SESSTOK={"USER_CACHE": "redis", "REVOCATION_CACHE": "users"}
    )


def test_check_large_local_ttl(db):
    caches_setting = {
        "default": {"BACKEND": LOCMEM},
        "redis": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": "redis://127.0.0.1:1"},
    }

    def ids(debug=False, **sesstok):
        return check_ids(
            CACHES=caches_setting, MIDDLEWARE=SESSTOK_AUTH, DEBUG=debug, SESSTOK={"USER_CACHE": "redis", **sesstok}
        )

    assert ids(USER_CACHE_LOCAL_TTL=10) == []
    assert ids(USER_CACHE_LOCAL_TTL=10.5) == ["sesstok.W005"]
    assert ids(USER_CACHE_LOCAL_TTL=timedelta(minutes=1)) == ["sesstok.W005"]
    assert ids(True, USER_CACHE_LOCAL_TTL=60) == []
    # with revocation checks on, nothing waits for the local TTL
    assert ids(USER_CACHE_LOCAL_TTL=60, REVOCATION_CACHE="redis", JWT_DENYLIST=True) == []
    assert ids(USER_CACHE_LOCAL_TTL=60, REVOCATION_CACHE="redis") == ["sesstok.W005"]


def test_token_middleware_after_sesstok_auth_middleware(db):
    bad = [SESSTOK_AUTH[0], SESSTOK_AUTH[4], SESSTOK_AUTH[2]]
    assert check_ids(MIDDLEWARE=bad) == ["sesstok.E003"]


# ---- what a hot request costs, counted on Redis --------------------------------------------------


@pytest.fixture(params=["checks off", "checks on"])
def redis_user_cache(request, redis_url, db):
    """The user cache on Redis (its own alias and key prefix), warm requests
    to count: with revocation checks on (both denylists, the revocation store
    another alias on the same Redis) or off."""
    import redis

    from _django_fixtures import RUN_ID, redis_caches

    prefix = f"u{RUN_ID}"
    conn = redis.Redis.from_url(redis_url)

    def empty():
        for pattern in (f"{prefix}:*", f"t{RUN_ID}:*", f"s{RUN_ID}:*"):
            keys = list(conn.scan_iter(match=pattern, count=1000))
            if keys:
                conn.delete(*keys)
        user_cache.clear_local()

    config = {"USER_CACHE": "users", "USER_CACHE_LOCAL_TTL": 30}
    if request.param == "checks on":
        config.update(REVOCATION_CACHE="revocation", SESSION_DENYLIST=True, JWT_DENYLIST=True)
    users = {"BACKEND": "sesstok.cache.RedisCache", "LOCATION": redis_url, "KEY_PREFIX": prefix}
    with override_settings(
        CACHES=redis_caches(redis_url, users=users),
        SESSTOK=config,
        MIDDLEWARE=SESSTOK_AUTH,
        SESSION_ENGINE="sesstok.sessions.backends.signed_cookies",
    ):
        empty()
        try:
            yield request.param
        finally:
            empty()


def redis_commands_of(url, request):
    """(the Redis commands one warm request sends, where its user came from)."""
    import redis

    from test_sessions import redis_commands

    request()
    request()  # warm: tiers filled, epoch copy in the store
    redis.Redis.from_url(url).config_resetstat()
    before = user_cache.stats()
    request()
    return redis_commands(url), [k for k, v in sources(before).items() if v]


@pytest.mark.redis
@pytest.mark.parametrize("path", ["session", "token", "jwt", "drf token", "drf jwt", "jwt async", "session async"])
def test_one_store_read_per_request(path, client, async_client, user, jwt_api, redis_url, redis_user_cache):
    """Revocation checks off: a hot request reads nothing (the in-process
    tier). On: exactly one read, the revocation check's MGET with the
    user's version in it, or (opaque tokens, which have no check) one GET of
    the version."""
    from asgiref.sync import async_to_sync
    from rest_framework.test import APIClient

    _, plain = tokens.create_token(user, "t")
    raw = access_tokens.issue_access_token(user)
    api = APIClient()

    def ok(response):
        assert response.status_code == 200, response.content
        return response

    requests = {
        "session": lambda: ok(client.get("/whoami/")).json()["user"] == "alice",
        "token": lambda: ok(client.get("/api/whoami/", HTTP_AUTHORIZATION=f"Token {plain}")),
        "jwt": lambda: ok(client.get("/api/whoami/", HTTP_AUTHORIZATION=f"Bearer {raw}")),
        "drf token": lambda: ok(api.get("/api/token/items/", HTTP_AUTHORIZATION=f"Token {plain}")),
        "drf jwt": lambda: ok(api.get("/api/jwt/items/", HTTP_AUTHORIZATION=f"Bearer {raw}")),
        "jwt async": lambda: async_to_sync(access_tokens.aauthenticate_access_token)(raw),
        "session async": lambda: async_to_sync(async_client.get)("/async/whoami/").json()["user"] == "alice",
    }
    if path.startswith("session"):
        login(client)
        async_client.cookies = client.cookies
        assert client.get("/whoami/").json()["user"] == "alice"
    # DRF authenticates its views itself: no sesstok token middleware in front
    drf = {"ROOT_URLCONF": "drf_project.urls", "MIDDLEWARE": SESSTOK_AUTH[:3]}
    with override_settings(**(drf if path.startswith("drf") else {})):
        commands, where = redis_commands_of(redis_url, requests[path])
    assert where == ["local"]
    if redis_user_cache == "checks off":
        assert commands == {}
    elif path in ("token", "drf token"):
        assert commands == {"get": 1}
    else:
        assert commands == {"mget": 1}


# ---- two processes sharing Redis -------------------------------------------------------------------

WORKER = textwrap.dedent(
    """
    import json, sys, time
    sys.path[:0] = [{root!r}, {here!r}]
    import conftest
    from django.conf import settings
    redis = lambda prefix: {{"BACKEND": "sesstok.cache.RedisCache", "LOCATION": {url!r}, "KEY_PREFIX": prefix}}
    settings.configure(
        SECRET_KEY=conftest.TEST_SECRET_KEY, USE_TZ=True, DEBUG=False,
        INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", "sesstok"],
        DATABASES={{"default": {{"ENGINE": "django.db.backends.sqlite3", "NAME": {db!r}}}}},
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
        DEFAULT_AUTO_FIELD="django.db.models.AutoField",
        CACHES={{"default": {{"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}},
                 "users": redis({prefix!r} + "-u"), "revocation": redis({prefix!r} + "-r")}},
        SESSTOK={sesstok!r},
    )
    import django
    django.setup()
    from django.contrib.auth import get_user_model
    from sesstok import access_tokens, tokens, user_cache
    User = get_user_model()
    skew = [0.0]
    real_monotonic = time.monotonic
    time.monotonic = lambda: real_monotonic() + skew[0]

    def where(fn):
        before = user_cache.stats()
        result = fn()
        after = user_cache.stats()
        return result, [k for k in after if after[k] != before[k]]

    for line in sys.stdin:
        command, arg = json.loads(line)
        try:
            if command == "migrate":
                from django.core.management import call_command
                call_command("migrate", verbosity=0)
                result = None
            elif command == "create":
                user = User.objects.create_user(arg, password="pw")
                result = [user.pk, tokens.create_token(user, "t")[1], access_tokens.issue_access_token(user)]
            elif command == "token":
                (user, _), used = where(lambda: tokens.authenticate_token(arg))
                result = [user.username, user.first_name, user.is_active, used]
            elif command == "jwt":
                (user, _), used = where(lambda: access_tokens.authenticate_access_token(arg))
                result = [user.username, user.first_name, user.is_active, used]
            elif command == "user":
                user, used = where(lambda: user_cache.get_user(arg))
                result = [user.first_name, used]
            elif command == "rename":
                user = User.objects.get(pk=arg[0]); user.first_name = arg[1]; user.save()
                result = None
            elif command == "deactivate":
                user = User.objects.get(pk=arg); user.is_active = False; user.save()
                result = None
            elif command == "password":
                user = User.objects.get(pk=arg); user.set_password("changed"); user.save()
                result = None
            elif command == "revoke":
                result = tokens.revoke_token(arg)
            elif command == "advance":  # the in-process tier's clock, in this process only
                skew[0] += arg
                result = None
            else:
                raise ValueError(command)
            print(json.dumps(["ok", result]), flush=True)
        except Exception as e:
            print(json.dumps(["error", type(e).__name__]), flush=True)
    """
)


class Worker:
    def __init__(self, url, db, prefix, sesstok):
        script = WORKER.format(root=ROOT, here=HERE, url=url, db=db, prefix=prefix, sesstok=sesstok)
        self.process = subprocess.Popen(
            [sys.executable, "-c", script],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONWARNINGS": "error"},
        )

    def __call__(self, command, arg=None):
        self.process.stdin.write(json.dumps([command, arg]) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        assert line, f"worker died on {command}"
        return json.loads(line)

    def close(self):
        self.process.stdin.close()
        self.process.wait(timeout=30)
        self.process.stdout.close()


@contextlib.contextmanager
def two_workers(redis_url, tmp_path, sesstok):
    import uuid

    import redis

    prefix = f"uc{uuid.uuid4().hex[:8]}"  # this test's keys only: a shared REDIS_URL is never flushed
    db = str(tmp_path / "shared.sqlite3")
    a, b = Worker(redis_url, db, prefix, sesstok), Worker(redis_url, db, prefix, sesstok)
    try:
        assert a("migrate") == ["ok", None]
        yield a, b
    finally:
        a.close()
        b.close()
        conn = redis.Redis.from_url(redis_url)
        keys = list(conn.scan_iter(match=f"{prefix}-*", count=1000))
        if keys:
            conn.delete(*keys)


@pytest.mark.redis
@pytest.mark.slow
def test_two_processes_checks_off_seen_within_the_local_ttl(redis_url, tmp_path):
    """Revocation checks off: another process's change reaches a warm
    in-process tier within USER_CACHE_LOCAL_TTL (2 s; the clock is moved,
    nothing sleeps); the process that made it sees it at once."""
    config = {"USER_CACHE": "users", "USER_CACHE_LOCAL_TTL": 2, "USER_CACHE_TTL": 60}
    with two_workers(redis_url, tmp_path, config) as (a, b):
        status, (pk, plain, _) = a("create", "carol")
        assert status == "ok"
        _, other, _ = b("create", "dave")[1]
        # A caches carol in its in-process tier
        assert a("token", plain)[1][3] == ["db"]
        assert a("token", plain)[1][3] == ["local"]
        assert a("user", pk)[1][1] in (["local"], ["shared"], ["db"])
        assert a("user", pk)[1] == ["", ["local"]]
        # B renames carol: B sees it at once, A within its local TTL
        b("rename", [pk, "Carol"])
        assert b("user", pk)[1][0] == "Carol"
        assert a("user", pk)[1] == ["", ["local"]]  # within the bound
        a("advance", 2.1)
        assert a("user", pk)[1] == ["Carol", ["shared"]]  # the row B's read cached
        assert a("token", plain)[1][:2] == ["carol", "Carol"]
        # B deactivates carol: A refuses within the local TTL
        b("deactivate", pk)
        a("advance", 2.1)
        assert a("token", plain)[1][2] is False
        # B revokes dave's token after A cached it: refused within the local TTL
        assert a("token", other)[0] == "ok"
        assert a("token", other)[1][3] == ["local"]
        assert b("revoke", other) == ["ok", True]
        a("advance", 2.1)
        assert a("token", other) == ["error", "AuthenticationError"]


@pytest.mark.redis
@pytest.mark.slow
def test_two_processes_checks_on_seen_at_once(redis_url, tmp_path):
    """Revocation checks on: another process's revocation, password change or
    deactivation is seen by the next request while the in-process tier is
    warm (a long USER_CACHE_LOCAL_TTL changes nothing)."""
    config = {
        "USER_CACHE": "users",
        "USER_CACHE_LOCAL_TTL": 30,
        "USER_CACHE_TTL": 60,
        "REVOCATION_CACHE": "revocation",
        "JWT_DENYLIST": True,
        "SESSION_DENYLIST": True,
    }
    with two_workers(redis_url, tmp_path, config) as (a, b):
        _, (pk, plain, access) = a("create", "carol")
        _, (other_pk, other, other_access) = b("create", "dave")
        for _ in range(2):
            a("token", plain), a("jwt", access), a("token", other), a("jwt", other_access)
        assert a("token", plain)[1][3] == ["local"]
        assert a("jwt", access)[1][3] == ["local"]
        # B renames carol: A's next request sees it, by token and by JWT
        b("rename", [pk, "Carol"])
        assert a("jwt", access)[1] == ["carol", "Carol", True, ["db"]]
        assert a("token", plain)[1][:3] == ["carol", "Carol", True]
        # B revokes dave's token: A refuses it at once; dave's JWT still works
        assert a("token", other)[1][3] == ["local"]
        assert b("revoke", other) == ["ok", True]
        assert a("token", other) == ["error", "AuthenticationError"]
        assert a("jwt", other_access)[0] == "ok"
        # B changes dave's password: A refuses his JWT at once (sst_ah against the fresh row)
        assert a("jwt", other_access)[1][3] == ["local"]
        b("password", other_pk)
        assert a("jwt", other_access) == ["error", "AuthenticationError"]
        # B deactivates carol: A sees it at once (her JWT revoked for good)
        b("deactivate", pk)
        assert a("jwt", access) == ["error", "AuthenticationError"]
        assert a("token", plain)[1][2] is False


# ---- building instances ------------------------------------------------------------------------------


def _row(instance):
    return tuple(getattr(instance, f.attname) for f in type(instance)._meta.concrete_fields)


def test_builder_matches_from_db(user):
    info = user_cache.user_model()
    assert info.builder.fast
    row = _row(user)
    fast = info.builder.build(row, "default")
    slow = get_user_model().from_db("default", info.attnames, row)
    assert fields(fast) == fields(slow)
    assert (fast._state.adding, fast._state.db) == (slow._state.adding, slow._state.db) == (False, "default")
    assert fast == slow and fast.get_session_auth_hash() == slow.get_session_auth_hash()
    assert set(fast.__dict__) == set(slow.__dict__)
    fast.first_name = "x"
    fast.save(update_fields=["first_name"])  # a built instance saves like a loaded one
    assert get_user_model().objects.get(pk=user.pk).first_name == "x"


def test_builder_token_instances(user):
    from sesstok.models import AuthToken

    instance, plain = tokens.create_token(user, "t")
    _, loaded = tokens.authenticate_token(plain)
    assert fields(loaded) == fields(AuthToken.objects.get(pk=instance.pk))
    assert loaded.user == user  # the user came with it: no query
    with CaptureQueriesContext(connection) as queries:
        loaded.user.get_username()
    assert len(queries) == 0


def test_builder_runs_init_when_someone_listens(user):
    from django.db.models.signals import post_init

    seen = []

    def receiver(sender, instance, **kwargs):
        seen.append(instance)

    post_init.connect(receiver, sender=get_user_model())
    try:
        built = user_cache.user_model().builder.build(_row(user), "default")
    finally:
        post_init.disconnect(receiver, sender=get_user_model())
    assert seen == [built]


def test_builder_copies_mutable_values():
    values = ({"mutable": [1]},)
    assert user_cache._copy(values) is not values and user_cache._copy(values) == values
    plain = (1, "x", None)
    assert user_cache._copy(plain) is plain
    # a cached entry knows which it is (checked once, not per request)
    assert user_cache._Entry("v", values, 0.0).immutable is False
    assert user_cache._Entry("v", plain, 0.0).immutable is True
    assert user_cache._Entry("v", None, 0.0, (1, plain, values, "default")).immutable == (True, False)
    assert user_cache._copy(values, False) is not values and user_cache._copy(plain, True) is plain


def test_unknown_user_is_one_query(db):
    with cache_settings():
        _, where, queries = served(lambda: user_cache.get_user(424242))
        assert where == ["db"] and queries == 1
        assert user_cache.get_user_entry(424242) == (None, None)
