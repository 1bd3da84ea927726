"""Opaque tokens (sesstok.tokens, sesstok.models, admin, management commands).

DRF's authtoken is the oracle for imported keys: a key DRF issued keeps
working, under the same header, once imported and hashed."""

import hashlib
import io
import re
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from sesstok import tokens
from sesstok.models import AuthToken
from sesstok.tokens import AuthenticationError

TOKEN_RE = re.compile(r"sst_[A-Za-z0-9_-]{43}")


def code_of(fn, *args):
    with pytest.raises(AuthenticationError) as info:
        fn(*args)
    return info.value.code


# ---- format ----------------------------------------------------------------------


def test_generated_tokens():
    seen = {tokens.generate_token() for _ in range(1000)}
    assert len(seen) == 1000
    assert all(TOKEN_RE.fullmatch(t) for t in seen)


def test_token_bytes_setting():
    with override_settings(SESSTOK={"TOKEN_BYTES": 20, "TOKEN_PREFIX": "acme_"}):
        token = tokens.generate_token()
        assert re.fullmatch(r"acme_[A-Za-z0-9_-]{27}", token)  # 160 bits
        assert tokens.shape(token) == tokens.OPAQUE
        assert tokens.shape("sst_" + "a" * 43) is None  # the old prefix is not ours any more


def test_digest_is_plain_sha256_of_the_whole_token():
    token = tokens.generate_token()
    assert tokens.token_digest(token) == hashlib.sha256(token.encode()).hexdigest()
    key = "a" * 40
    assert tokens.token_digest(key) == hashlib.sha256(key.encode()).hexdigest()


def test_digest_does_not_depend_on_secret_key():
    token = tokens.generate_token()
    before = tokens.token_digest(token)
    with override_settings(SECRET_KEY="z" * 60):
        assert tokens.token_digest(token) == before


@pytest.mark.parametrize(
    "raw, kind",
    [
        ("sst_" + "A" * 43, tokens.OPAQUE),
        ("sst_" + "-_" * 20 + "abc", tokens.OPAQUE),
        ("0123456789abcdef0123456789abcdef01234567", tokens.DRF),
        ("eyJhbGciOiJIUzI1NiJ9.eyJ1c2VyX2lkIjoiMSJ9.c2ln", tokens.JWT),
        # DRF accepts any key its Token.key (max_length=40) holds, not only 40 hex
        ("0123456789ABCDEF0123456789abcdef01234567", tokens.DRF),
        ("0123456789abcdef0123456789abcdef0123456", tokens.DRF),  # 39
        ("abcd1234", tokens.DRF),
        ("sst_short", tokens.DRF),
        ("a.b", tokens.DRF),
        ("a..c", tokens.DRF),
        ("a.b.c", tokens.JWT),  # two dots: a JWT's shape, whatever its length
        ("a" * 41, None),
        ("a b", None),
        ("sst_" + "A" * 43 + "=", None),
        ("a.b.c.d" * 6, None),
        ("", None),
        ("sst_" + "A" * 43 + " ", None),
        ("x" * 9000, None),
        (None, None),
        (b"sst_" + b"A" * 43, None),
    ],
)
def test_shape(raw, kind):
    assert tokens.shape(raw) == kind


@given(st.text(max_size=200))
def test_shape_never_raises(raw):
    assert tokens.shape(raw) in (None, tokens.OPAQUE, tokens.DRF, tokens.JWT)


# ---- create, use --------------------------------------------------------------------


def test_create_and_authenticate(user):
    instance, plain = tokens.create_token(user, "laptop")
    assert TOKEN_RE.fullmatch(plain)
    stored = AuthToken.objects.get(pk=instance.pk)
    assert stored.digest == hashlib.sha256(plain.encode()).hexdigest()
    assert stored.display_prefix == plain[:8]
    assert plain not in str(AuthToken.objects.filter(pk=instance.pk).values().get())
    found_user, found = tokens.authenticate_token(plain)
    assert found_user == user and found.pk == instance.pk


def test_manager_create_token(user):
    instance, plain = AuthToken.objects.create_token(user, "ci", expires=timedelta(days=1))
    assert instance.expires is not None
    assert tokens.authenticate_token(plain)[0] == user


def test_lookup_is_one_query(user):
    _, plain = tokens.create_token(user)
    AuthToken.objects.update(last_used=timezone.now())
    with CaptureQueriesContext(connection) as queries:
        tokens.authenticate_token(plain)
    assert len(queries) == 1
    sql = queries[0]["sql"]
    assert '"digest" =' in sql and "auth_user" in sql


def test_several_named_tokens(user):
    plains = [tokens.create_token(user, name)[1] for name in ("a", "b", "c")]
    assert {tokens.authenticate_token(p)[1].name for p in plains} == {"a", "b", "c"}
    with pytest.raises(tokens.DuplicateTokenName):
        tokens.create_token(user, "a")


def test_unknown_tampered_and_malformed(user):
    _, plain = tokens.create_token(user)
    tampered = plain[:-1] + ("A" if plain[-1] != "A" else "B")
    assert code_of(tokens.authenticate_token, tampered) == "invalid_token"
    assert code_of(tokens.authenticate_token, tokens.generate_token()) == "invalid_token"
    assert code_of(tokens.authenticate_token, "not a token") == "malformed_token"
    assert code_of(tokens.authenticate_token, "a.b.c") == "malformed_token"  # a JWT is not an API token


def test_cap(user, make_user):
    with override_settings(SESSTOK={"TOKEN_MAX_PER_USER": 2}):
        tokens.create_token(user, "a")
        tokens.create_token(user, "b")
        with pytest.raises(tokens.TokenLimitExceeded):
            tokens.create_token(user, "c")
        tokens.create_token(make_user("bob"), "a")  # per user
        # expired tokens do not count (and go)
        AuthToken.objects.filter(user=user, name="a").update(expires=timezone.now() - timedelta(seconds=1))
        tokens.create_token(user, "c")
        assert sorted(AuthToken.objects.filter(user=user).values_list("name", flat=True)) == ["b", "c"]


def test_expiry(user):
    _, plain = tokens.create_token(user, expires=timedelta(seconds=-1))
    assert code_of(tokens.authenticate_token, plain) == "token_expired"
    # deleted lazily: the second time it is simply unknown
    assert not AuthToken.objects.exists()
    assert code_of(tokens.authenticate_token, plain) == "invalid_token"


def test_default_ttl(user):
    with override_settings(SESSTOK={"TOKEN_TTL": timedelta(hours=1)}):
        instance, _ = tokens.create_token(user)
        assert timedelta(minutes=59) < instance.expires - timezone.now() <= timedelta(hours=1)
        forever, _ = tokens.create_token(user, "forever", expires=None)
        assert forever.expires is None
    with override_settings(SESSTOK={"TOKEN_TTL": 60}):
        instance, _ = tokens.create_token(user, "sixty")
        assert instance.expires - instance.created == timedelta(seconds=60)


def test_last_used_is_written_at_most_once_per_interval(user):
    _, plain = tokens.create_token(user)
    with CaptureQueriesContext(connection) as queries:
        tokens.authenticate_token(plain)
    assert len(queries) == 2  # lookup + the first last_used write
    first = AuthToken.objects.get().last_used
    assert first is not None
    with CaptureQueriesContext(connection) as queries:
        tokens.authenticate_token(plain)
    assert len(queries) == 1
    AuthToken.objects.update(last_used=timezone.now() - timedelta(seconds=61))
    with CaptureQueriesContext(connection) as queries:
        tokens.authenticate_token(plain)
    assert len(queries) == 2
    with override_settings(SESSTOK={"TOKEN_LAST_USED_INTERVAL": None}):
        AuthToken.objects.update(last_used=None)
        tokens.authenticate_token(plain)
        assert AuthToken.objects.get().last_used is None


def test_revoke(user):
    _, plain = tokens.create_token(user)
    assert tokens.revoke_token(plain)
    assert not tokens.revoke_token(plain)
    assert not tokens.revoke_token("garbage")
    assert code_of(tokens.authenticate_token, plain) == "invalid_token"


def test_purge_expired(user):
    tokens.create_token(user, "old", expires=timedelta(seconds=-5))
    tokens.create_token(user, "new", expires=timedelta(days=1))
    tokens.create_token(user, "forever", expires=None)
    assert tokens.purge_expired() == 1
    assert set(AuthToken.objects.values_list("name", flat=True)) == {"new", "forever"}


def test_password_change_revokes_tokens(user):
    _, plain = tokens.create_token(user)
    user.set_password("a new password")
    user.save()
    assert code_of(tokens.authenticate_token, plain) == "invalid_token"


def test_password_change_with_update_fields(user):
    _, plain = tokens.create_token(user)
    user.set_password("a new password")
    user.save(update_fields=["password"])
    assert not AuthToken.objects.exists()


def test_hash_upgrade_and_other_saves_keep_tokens(user):
    _, plain = tokens.create_token(user)
    user.first_name = "Alice"
    user.save()
    # check_password() rehashing with another hasher is not a password change
    with override_settings(
        PASSWORD_HASHERS=[
            "django.contrib.auth.hashers.PBKDF2PasswordHasher",
            "django.contrib.auth.hashers.MD5PasswordHasher",
        ]
    ):
        fresh = get_user_model().objects.get(pk=user.pk)
        assert fresh.check_password("secret-password")
        assert get_user_model().objects.get(pk=user.pk).password.startswith("pbkdf2_sha256$")
    assert tokens.authenticate_token(plain)[0] == user


def test_async_authenticate(user):
    from asgiref.sync import async_to_sync

    _, plain = tokens.create_token(user)
    found_user, _ = async_to_sync(tokens.aauthenticate_token)(plain)
    assert found_user == user
    _, gone = tokens.create_token(user, "gone", expires=timedelta(seconds=-1))
    with pytest.raises(AuthenticationError) as info:
        async_to_sync(tokens.aauthenticate_token)(gone)
    assert info.value.code == "token_expired"
    assert not AuthToken.objects.filter(name="gone").exists()


# ---- management commands ----------------------------------------------------------


def test_create_token_command(user):
    out = io.StringIO()
    call_command("sesstok_create_token", "alice", "--name", "cli", "--expires-in", "3600", stdout=out)
    plain = out.getvalue().strip()
    assert TOKEN_RE.fullmatch(plain)
    user_, instance = tokens.authenticate_token(plain)
    assert user_ == user and instance.name == "cli" and instance.expires is not None
    with pytest.raises(CommandError, match="No user"):
        call_command("sesstok_create_token", "nobody", stdout=io.StringIO())
    with pytest.raises(CommandError, match="already has a token"):
        call_command("sesstok_create_token", "alice", "--name", "cli", stdout=io.StringIO())
    call_command("sesstok_create_token", "alice", "--name", "forever", "--expires-in", "0", stdout=io.StringIO())
    assert AuthToken.objects.get(name="forever").expires is None


def test_import_drf_tokens(client, user, make_user):
    from rest_framework.authtoken.models import Token

    bob = make_user("bob")
    # rows written around the ORM (Token.objects.create is mirrored at once: test_drf_authtoken.py)
    drf_alice, drf_bob = Token.objects.bulk_create(
        [Token(user=user, key=Token.generate_key()), Token(user=bob, key=Token.generate_key())]
    )
    out = io.StringIO()
    call_command("sesstok_import_drf_tokens", stdout=out)
    assert "Imported 2" in out.getvalue()
    stored = AuthToken.objects.get(user=user)
    assert stored.origin == AuthToken.ORIGIN_DRF
    assert stored.digest == hashlib.sha256(drf_alice.key.encode()).hexdigest()
    assert stored.created == drf_alice.created
    # the same header keeps working, now through sesstok
    response = client.get("/api/whoami/", HTTP_AUTHORIZATION=f"Token {drf_alice.key}")
    assert response.json()["user"] == "alice"
    assert tokens.authenticate_token(drf_bob.key)[0] == bob
    # again: nothing new; with --delete DRF's plain-text rows go
    out = io.StringIO()
    call_command("sesstok_import_drf_tokens", "--delete", stdout=out)
    assert "Imported 0" in out.getvalue() and "2 already" in out.getvalue() and "Deleted 2" in out.getvalue()
    assert not Token.objects.exists()
    assert client.get("/api/whoami/", HTTP_AUTHORIZATION=f"Token {drf_alice.key}").json()["user"] == "alice"


def test_import_keeps_names_unique(user):
    from rest_framework.authtoken.models import Token

    tokens.create_token(user, "drf")
    Token.objects.bulk_create([Token(user=user, key=Token.generate_key())])
    call_command("sesstok_import_drf_tokens", stdout=io.StringIO())
    names = sorted(AuthToken.objects.values_list("name", flat=True))
    assert names[0] == "drf" and names[1].startswith("drf-")


def test_purge_command(user):
    tokens.create_token(user, "old", expires=timedelta(seconds=-5))
    out = io.StringIO()
    call_command("sesstok_purge_tokens", stdout=out)
    assert "Deleted 1" in out.getvalue()


# ---- admin -----------------------------------------------------------------------


@pytest.fixture
def admin_client(client, make_user):
    admin = make_user("admin", is_staff=True, is_superuser=True)
    client.force_login(admin)
    return client


def test_admin_creates_a_token_and_shows_it_once(admin_client, user):
    response = admin_client.post("/admin/sesstok/authtoken/add/", {"user": user.pk, "name": "from-admin"})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    plain = TOKEN_RE.search(response.content.decode()).group(0)
    assert tokens.authenticate_token(plain)[1].name == "from-admin"
    instance = AuthToken.objects.get(name="from-admin")
    change = admin_client.get(f"/admin/sesstok/authtoken/{instance.pk}/change/").content.decode()
    assert plain not in change and instance.display_prefix in change
    listing = admin_client.get("/admin/sesstok/authtoken/").content.decode()
    assert plain not in listing


def test_admin_refuses_duplicates_and_cap(admin_client, user):
    tokens.create_token(user, "taken")
    response = admin_client.post("/admin/sesstok/authtoken/add/", {"user": user.pk, "name": "taken"})
    assert response.status_code == 200 and b"errornote" in response.content
    with override_settings(SESSTOK={"TOKEN_MAX_PER_USER": 1}):
        response = admin_client.post("/admin/sesstok/authtoken/add/", {"user": user.pk, "name": "other"})
        assert b"maximum number of tokens" in response.content
    assert AuthToken.objects.count() == 1


def test_admin_revoke_action(admin_client, user):
    plains = [tokens.create_token(user, n)[1] for n in ("a", "b")]
    ids = list(AuthToken.objects.values_list("pk", flat=True))
    response = admin_client.post(
        "/admin/sesstok/authtoken/", {"action": "revoke", "_selected_action": ids}, follow=True
    )
    assert b"2 tokens revoked" in response.content
    for plain in plains:
        assert code_of(tokens.authenticate_token, plain) == "invalid_token"
