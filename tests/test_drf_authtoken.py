"""DRF's authtoken Token model stays a way in (sesstok.drf_authtoken): the
same requests answered by DRF's TokenAuthentication (the oracle, setup "drf")
and sesstok's (setup "token") on tests/drf_project, as a project and a
djoser-style library use that model."""

import io

import pytest
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings
from rest_framework.authtoken.models import Token

from sesstok import revocation, tokens
from sesstok.contrib.rest_framework.authentication import TokenAuthentication
from sesstok.models import AuthToken

from test_rest_framework import api, call, drf_urls, same, user_cache  # noqa: F401  (fixtures)

pytestmark = pytest.mark.usefixtures("drf_urls")


def both(api, key):
    """Status of the same request through sesstok's class and DRF's; they must agree."""
    return same(api, "token", "drf", f"Token {key}")[0]


def test_token_created_through_drfs_model_authenticates(api, user):
    token = Token.objects.create(user=user)  # DRF's guide: often in a post_save receiver
    assert both(api, token.key) == 200
    assert call(api, "token", f"Token {token.key}")[1]["username"] == "alice"
    assert AuthToken.objects.get(user=user).origin == AuthToken.ORIGIN_DRF  # kept as a digest


@pytest.mark.parametrize(
    "delete",
    [
        lambda token, user: token.delete(),
        lambda token, user: Token.objects.filter(user=user).delete(),  # djoser's logout
        lambda token, user: user.delete(),
    ],
)
def test_deleting_the_drf_token_or_its_user_revokes_it(api, user, delete):
    token, _ = Token.objects.get_or_create(user=user)  # djoser's login
    key = token.key
    assert both(api, key) == 200
    delete(token, user)
    assert both(api, key) == 401
    assert not AuthToken.objects.filter(digest=tokens.token_digest(key)).exists()


def test_revoked_with_the_user_cache_on(api, user, user_cache):
    token = Token.objects.create(user=user)
    key = token.key
    assert both(api, key) == 200
    assert both(api, key) == 200  # now served from the cache
    token.delete()
    assert both(api, key) == 401


@pytest.mark.parametrize("key", ["abcd1234", "A-b_c:d!e~f", "x", "Z" * 40, "sst_short", "k.e"])
def test_keys_drf_accepts_beyond_40_hex(api, user, key):
    Token.objects.create(user=user, key=key)
    assert both(api, key) == 200


def test_rows_written_around_the_orm_are_mirrored_on_first_use(api, user):
    (token,) = Token.objects.bulk_create([Token(user=user, key=Token.generate_key())])
    assert not AuthToken.objects.exists()
    assert both(api, token.key) == 200
    assert AuthToken.objects.filter(digest=tokens.token_digest(token.key)).exists()
    assert both(api, token.key) == 200
    assert both(api, token.key[:-1] + "x") == 401


def _unmirrored(user):
    (token,) = Token.objects.bulk_create([Token(user=user, key=Token.generate_key())])
    return token


@pytest.mark.parametrize("mirrored", [True, False])
@pytest.mark.parametrize("revoke", ["password", "unusable", "assigned", "everywhere"])
def test_sesstoks_revocations_delete_drfs_rows(api, user, mirrored, revoke):
    # every password change sesstok.user_changes detects (the admin's "disable
    # password", an assigned hash), not only set_password()
    token = Token.objects.create(user=user) if mirrored else _unmirrored(user)
    if revoke == "everywhere":
        revocation.logout_everywhere(user)
    else:
        if revoke == "password":
            user.set_password("a-new-password")
        elif revoke == "unusable":
            user.set_unusable_password()
        else:
            user.password = make_password("a-new-password")
        user.save()
    assert not Token.objects.filter(key=token.key).exists()
    # the lookup fallback finds nothing to bring back
    assert call(api, "token", f"Token {token.key}")[0] == 401


@pytest.mark.parametrize(
    "revoke",
    [
        lambda key: AuthToken.objects.get(digest=tokens.token_digest(key)).delete(),  # request.auth.delete()
        lambda key: tokens.revoke_token(key),  # api/logout/
    ],
)
def test_deleting_the_digest_deletes_the_drf_row(api, user, make_user, revoke):
    token = Token.objects.create(user=user)
    other = Token.objects.create(user=make_user("bob"))
    revoke(token.key)
    assert not Token.objects.filter(key=token.key).exists()
    assert call(api, "token", f"Token {token.key}")[0] == 401
    assert both(api, other.key) == 200


def test_sync_off_leaves_drfs_model_alone(api, user):
    with override_settings(SESSTOK={"DRF_AUTHTOKEN_SYNC": False}):
        token = Token.objects.create(user=user)
        assert not AuthToken.objects.exists()
        assert call(api, "token", f"Token {token.key}")[0] == 401
        assert call(api, "drf", f"Token {token.key}")[0] == 200
        user.set_password("a-new-password")
        user.save()
        assert Token.objects.filter(key=token.key).exists()  # DRF's rows are not sesstok's then


def test_import_command_takes_short_keys_and_refuses_unreadable_ones_loudly(api, user, make_user):
    Token.objects.bulk_create([Token(user=user, key="abcd1234")])
    out = io.StringIO()
    call_command("sesstok_import_drf_tokens", stdout=out)
    assert "Imported 1" in out.getvalue()
    assert both(api, "abcd1234") == 200
    Token.objects.bulk_create([Token(user=make_user("bob"), key="a.b.c"), Token(user=make_user("carol"), key="a b")])
    with pytest.raises(CommandError, match=r"^2 DRF key\(s\) cannot be sent"):
        call_command("sesstok_import_drf_tokens", "--delete", stdout=io.StringIO())
    assert Token.objects.count() == 3  # nothing deleted
    assert both(api, "abcd1234") == 200


def test_import_delete_keeps_the_digests(api, user):
    token = Token.objects.create(user=user)
    call_command("sesstok_import_drf_tokens", "--delete", stdout=io.StringIO())
    assert not Token.objects.exists()
    assert call(api, "token", f"Token {token.key}")[0] == 200


def test_custom_token_model_is_refused_at_construction():
    class CustomTokenAuthentication(TokenAuthentication):
        model = Group  # stands for a project's own token model

    with pytest.raises(ImproperlyConfigured, match="CustomTokenAuthentication.model"):
        CustomTokenAuthentication()

    class DRFModel(TokenAuthentication):
        model = Token  # DRF's own model: what sesstok reads anyway

    class SesstokModel(TokenAuthentication):
        model = AuthToken

    DRFModel()
    SesstokModel()
    TokenAuthentication()


def test_keep_keys_gives_drfs_single_token_back(api, user):
    with override_settings(SESSTOK={"DRF_AUTHTOKEN_KEEP_KEYS": True}):
        data = {"username": "alice", "password": "secret-password"}
        ours = [api.post("/api/auth-token/", data, format="json").json()["token"] for _ in range(2)]
        theirs = api.post("/drf/auth-token/", data, format="json").json()["token"]
        assert ours == [theirs, theirs]
        user.refresh_from_db()
        assert user.auth_token.key == theirs
        assert both(api, theirs) == 200
        user.auth_token.delete()
        assert both(api, theirs) == 401
        fresh = api.post("/api/auth-token/", data, format="json").json()["token"]
        assert fresh != theirs and both(api, fresh) == 200


def test_without_keep_keys_each_call_is_a_new_hashed_token(api, user):
    data = {"username": "alice", "password": "secret-password"}
    first, second = (api.post("/api/auth-token/", data, format="json").json()["token"] for _ in range(2))
    assert first != second and first.startswith("sst_")
    assert not Token.objects.exists()


def test_keep_keys_needs_drfs_app(user):
    from sesstok import drf_authtoken

    with override_settings(SESSTOK={"DRF_AUTHTOKEN_KEEP_KEYS": True}):
        with override_settings(INSTALLED_APPS=["django.contrib.auth", "django.contrib.contenttypes", "sesstok"]):
            with pytest.raises(ImproperlyConfigured, match="rest_framework.authtoken"):
                drf_authtoken.keeps_keys()


@pytest.mark.parametrize("name", ["DRF_AUTHTOKEN_SYNC", "DRF_AUTHTOKEN_KEEP_KEYS"])
def test_settings_are_type_checked(name):
    from django.core import checks

    with override_settings(SESSTOK={name: "yes"}):
        assert [e.id for e in checks.run_checks(tags=["sesstok"])] == ["sesstok.E002"]
