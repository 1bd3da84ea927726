"""sesstok.refresh_tokens against SimpleJWT (the oracle): the same tokens
byte for byte, each library accepting the other's, the same refusals with
the same messages, and both blacklists (SimpleJWT's tables, sesstok's)."""

import subprocess
import time
import sys
import textwrap
from datetime import timedelta

import jwt as pyjwt
import pytest
from django.test import override_settings

from _simplejwt import frozen, simplejwt_settings
from sesstok import refresh_tokens, revocation
from sesstok.refresh_tokens import AccountError, ExpiredTokenError, TokenError
from sesstok.tokens import AuthenticationError

NO_AUTH_HASH = {"JWT_AUTH_HASH_CLAIM": None}

# one frozen instant for the blocks a test compares (a fresh now per block
# could straddle a second)
AT = int(time.time()) + 0.25


def claims(raw):
    return pyjwt.decode(raw, options={"verify_signature": False})


@pytest.fixture(params=["simplejwt", "sesstok"])
def tables(request, db):
    """Run the test with SimpleJWT's blacklist tables and with sesstok's."""
    with override_settings(SESSTOK={"REFRESH_BLACKLIST": request.param}):
        assert refresh_tokens.blacklist_tables() == request.param
        yield request.param


def sj_pair(user):
    from rest_framework_simplejwt.tokens import RefreshToken

    refresh = RefreshToken.for_user(user)
    return {"refresh": str(refresh), "access": str(refresh.access_token)}


# ---- the same tokens ----------------------------------------------------------------


SETTINGS_VARIANTS = [
    {},
    {"ALGORITHM": "HS512", "SIGNING_KEY": "k" * 64, "ACCESS_TOKEN_LIFETIME": timedelta(minutes=17, seconds=30)},
    {"USER_ID_CLAIM": "uid", "TOKEN_TYPE_CLAIM": "typ", "JTI_CLAIM": "id", "REFRESH_TOKEN_LIFETIME": timedelta(days=9)},
    {"AUDIENCE": "api", "ISSUER": "https://auth.example"},
    {"AUDIENCE": ["api", "web"], "CHECK_REVOKE_TOKEN": True},
    {"USER_ID_FIELD": "username"},
]


@pytest.mark.parametrize("simple_jwt", SETTINGS_VARIANTS)
def test_pair_is_byte_identical_to_simplejwt(user, simple_jwt):
    with simplejwt_settings(simple_jwt, SESSTOK={**NO_AUTH_HASH, "REFRESH_BLACKLIST": "sesstok"}):
        with frozen(AT):
            theirs = sj_pair(user)
        with frozen(AT):
            ours = refresh_tokens.issue_pair(user)
    assert ours == theirs


def test_custom_claims_like_a_custom_obtain_serializer(user):
    from rest_framework_simplejwt.tokens import RefreshToken

    with simplejwt_settings({"AUDIENCE": "api"}, SESSTOK={**NO_AUTH_HASH, "REFRESH_BLACKLIST": "sesstok"}):
        with frozen(AT):
            refresh = RefreshToken.for_user(user)
            refresh["name"] = "Alice"
            refresh["roles"] = ["a", "b"]
            theirs = {"refresh": str(refresh), "access": str(refresh.access_token)}
        with frozen(AT):
            ours = refresh_tokens.issue_pair(user, claims={"name": "Alice", "roles": ["a", "b"]})
    assert ours == theirs


def test_sliding_token_is_byte_identical(user):
    from rest_framework_simplejwt.tokens import SlidingToken

    with simplejwt_settings({}, SESSTOK={**NO_AUTH_HASH, "REFRESH_BLACKLIST": "sesstok"}):
        with frozen(AT):
            theirs = str(SlidingToken.for_user(user))
        with frozen(AT):
            ours = refresh_tokens.issue_sliding(user)
    assert ours == theirs
    assert list(claims(ours)) == ["token_type", "exp", "iat", "jti", "refresh_exp", "user_id"]


def test_sesstok_claims(user):
    pair = refresh_tokens.issue_pair(user)
    refresh, access = claims(pair["refresh"]), claims(pair["access"])
    assert list(refresh) == ["token_type", "exp", "iat", "jti", "user_id", "sst_ah"]
    assert list(access) == ["token_type", "exp", "iat", "jti", "user_id", "sst_ah"]
    assert refresh["token_type"] == "refresh" and access["token_type"] == "access"
    assert refresh["exp"] - refresh["iat"] == 86400 and access["exp"] - access["iat"] == 300
    assert refresh["jti"] != access["jti"] and len(refresh["jti"]) == 32
    int(refresh["jti"], 16)
    assert refresh["user_id"] == str(user.pk)


def test_epoch_claim_with_the_denylist(user, locmem_revocation):
    revocation.bump_epoch(user)
    pair = refresh_tokens.issue_pair(user)
    assert claims(pair["refresh"])["sst_ep"] == claims(pair["access"])["sst_ep"] == 1


# ---- each accepts the other's --------------------------------------------------------


@pytest.mark.parametrize("simple_jwt", SETTINGS_VARIANTS)
def test_simplejwt_accepts_sesstok_pairs(user, simple_jwt):
    from rest_framework_simplejwt.authentication import JWTAuthentication
    from rest_framework_simplejwt.serializers import TokenRefreshSerializer
    from rest_framework_simplejwt.tokens import RefreshToken

    with simplejwt_settings(simple_jwt):
        pair = refresh_tokens.issue_pair(user)
        auth = JWTAuthentication()
        assert auth.get_user(auth.get_validated_token(pair["access"].encode())) == user
        RefreshToken(pair["refresh"])  # verifies, blacklist checked
        serializer = TokenRefreshSerializer(data={"refresh": pair["refresh"]})
        assert serializer.is_valid(), serializer.errors
        access = serializer.validated_data["access"]
        # SimpleJWT copies sesstok's claims into the access token it makes
        assert claims(access)["sst_ah"] == claims(pair["access"])["sst_ah"]
        assert auth.get_user(auth.get_validated_token(access.encode())) == user


@pytest.mark.parametrize("simple_jwt", SETTINGS_VARIANTS)
def test_sesstok_refreshes_simplejwt_tokens(user, simple_jwt):
    from sesstok import access_tokens

    with simplejwt_settings(simple_jwt):
        pair = sj_pair(user)
        data = refresh_tokens.refresh(pair["refresh"])
        assert set(data) == {"access"}
        found, payload = access_tokens.authenticate_access_token(data["access"])
        assert found == user
        assert payload["sst_ah"] == access_tokens.auth_hash(user)  # added on the way


def test_rs256_both_ways(user):
    from _jwt_helpers import key_text
    from rest_framework_simplejwt.serializers import TokenRefreshSerializer

    simple_jwt = {
        "ALGORITHM": "RS256",
        "SIGNING_KEY": key_text("rsa2048_private.pem"),
        "VERIFYING_KEY": key_text("rsa2048_public.pem"),
    }
    with simplejwt_settings(simple_jwt, SESSTOK=NO_AUTH_HASH):
        ours = refresh_tokens.issue_pair(user)
        serializer = TokenRefreshSerializer(data={"refresh": ours["refresh"]})
        assert serializer.is_valid(), serializer.errors
        assert refresh_tokens.refresh(sj_pair(user)["refresh"])["access"]
        assert pyjwt.get_unverified_header(ours["access"])["alg"] == "RS256"


# ---- refresh semantics -------------------------------------------------------------


def test_refresh_without_rotation(user, tables):
    pair = refresh_tokens.issue_pair(user)
    data = refresh_tokens.refresh(pair["refresh"])
    assert set(data) == {"access"}
    access = claims(data["access"])
    refresh = claims(pair["refresh"])
    assert access["token_type"] == "access" and access["user_id"] == refresh["user_id"]
    assert access["jti"] != refresh["jti"]
    # the same refresh token keeps working
    assert refresh_tokens.refresh(pair["refresh"])


@pytest.mark.parametrize("blacklist_after", [False, True])
def test_rotation(user, tables, blacklist_after):
    simple_jwt = {"ROTATE_REFRESH_TOKENS": True, "BLACKLIST_AFTER_ROTATION": blacklist_after}
    with override_settings(SIMPLE_JWT=simple_jwt):
        pair = refresh_tokens.issue_pair(user, claims={"name": "Alice"})
        data = refresh_tokens.refresh(pair["refresh"])
        assert set(data) == {"access", "refresh"}
        old, new = claims(pair["refresh"]), claims(data["refresh"])
        assert list(new) == list(old)
        assert new["jti"] != old["jti"] and new["name"] == "Alice" and new["user_id"] == old["user_id"]
        assert refresh_tokens.is_blacklisted(old["jti"]) is blacklist_after
        if blacklist_after:
            with pytest.raises(TokenError, match="^Token is blacklisted$") as info:
                refresh_tokens.refresh(pair["refresh"])
            assert info.value.code == "token_not_valid" and info.value.status == 401
        else:
            refresh_tokens.refresh(pair["refresh"])
        assert refresh_tokens.refresh(data["refresh"])


ROTATE_AND_BLACKLIST = {"ROTATE_REFRESH_TOKENS": True, "BLACKLIST_AFTER_ROTATION": True}


def test_rotation_claim_has_one_winner(user, tables):
    """The claim is an INSERT only one request can win: a second claim of the
    same token (a concurrent refresh that passed the blacklist check before
    the first committed) is refused as blacklisted, and issues nothing
    (tests/test_faults_races.py races 50 requests against real servers)."""
    with override_settings(SIMPLE_JWT=ROTATE_AND_BLACKLIST):
        raw = refresh_tokens.issue_pair(user)["refresh"]
        payload = refresh_tokens.decode(raw, "refresh")
        refresh_tokens.claim_rotation(payload, raw, user, time.time())
        with pytest.raises(TokenError, match="^Token is blacklisted$"):
            refresh_tokens.claim_rotation(payload, raw, user, time.time())
        # SimpleJWT's own blacklisting (get_or_create) of a claimed token: one row
        assert refresh_tokens.blacklist_payload(payload, raw, user, time.time())[1] is False


def test_rotation_claim_on_a_locked_database_is_a_503_and_issues_nothing(user, tables, monkeypatch):
    from django.db import OperationalError

    from sesstok import _busy
    from sesstok.exceptions import StoreUnavailable

    calls = []

    def locked(*args, **kwargs):
        calls.append(1)
        raise OperationalError("database is locked")

    monkeypatch.setattr(_busy, "backoff", lambda attempt: None)
    with override_settings(SIMPLE_JWT=ROTATE_AND_BLACKLIST):
        raw = refresh_tokens.issue_pair(user)["refresh"]
        monkeypatch.setattr(refresh_tokens, "encode", lambda payload: pytest.fail("issued before the claim"))
        if tables == "simplejwt":
            from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken as Model
        else:
            from sesstok.models import BlacklistedRefreshToken as Model
        monkeypatch.setattr(Model.objects, "create", locked)
        with pytest.raises(StoreUnavailable) as info:
            refresh_tokens.refresh(raw)
    assert info.value.code == "database_unavailable" and info.value.status == 503
    assert len(calls) == _busy.ATTEMPTS


def test_rotation_records_outstanding_tokens_in_simplejwt_tables(user):
    from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

    with override_settings(SIMPLE_JWT={"ROTATE_REFRESH_TOKENS": True}):
        pair = refresh_tokens.issue_pair(user)
        rotated = refresh_tokens.refresh(pair["refresh"])["refresh"]
    rows = {row.jti: row for row in OutstandingToken.objects.filter(user=user)}
    assert set(rows) == {claims(pair["refresh"])["jti"], claims(rotated)["jti"]}
    assert rows[claims(rotated)["jti"]].token == rotated


def test_sesstok_tables_record_nothing_at_login(user):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from sesstok.models import BlacklistedRefreshToken

    with override_settings(SESSTOK={"REFRESH_BLACKLIST": "sesstok"}):
        with CaptureQueriesContext(connection) as queries:
            refresh_tokens.issue_pair(user)
    assert len(queries) == 0
    assert not BlacklistedRefreshToken.objects.exists()


def _bad_tokens(user):
    """(name, raw refresh token) pairs SimpleJWT refuses."""
    from rest_framework_simplejwt.tokens import AccessToken, RefreshToken

    good = RefreshToken.for_user(user)
    expired = RefreshToken.for_user(user)
    expired.set_exp(lifetime=timedelta(seconds=-10))
    no_exp = RefreshToken.for_user(user)
    del no_exp["exp"]
    no_jti = RefreshToken.for_user(user)
    del no_jti["jti"]
    no_type = RefreshToken.for_user(user)
    del no_type["token_type"]
    raw = str(good)
    head, body, sig = raw.split(".")
    return [
        ("expired", str(expired)),
        ("no exp", str(no_exp)),
        ("no jti", str(no_jti)),
        ("no type", str(no_type)),
        ("access token", str(AccessToken.for_user(user))),
        ("bad signature", f"{head}.{body}.{sig[:-4]}AAAA"),
        ("other key", pyjwt.encode(good.payload, "x" * 64, algorithm="HS256")),
        ("other algorithm", pyjwt.encode(good.payload, "x" * 64, algorithm="HS512")),
        ("garbage", "not.a.token"),
        ("none alg", pyjwt.encode(good.payload, None, algorithm="none")),
    ]


def test_refusals_match_simplejwt(user, tables):
    from rest_framework_simplejwt.exceptions import TokenError as SJTokenError
    from rest_framework_simplejwt.serializers import TokenRefreshSerializer

    for name, raw in _bad_tokens(user):
        with pytest.raises(TokenError) as ours:
            refresh_tokens.refresh(raw)
        if name == "no jti":
            # SimpleJWT's blacklist check reads payload["jti"]: KeyError, a 500;
            # without the blacklist app it says "Token has no id"
            with pytest.raises(KeyError):
                TokenRefreshSerializer(data={"refresh": raw}).is_valid()
            assert str(ours.value) == "Token has no id"
            continue
        with pytest.raises(SJTokenError) as theirs:
            TokenRefreshSerializer(data={"refresh": raw}).is_valid()
        assert str(ours.value) == str(theirs.value.args[0]), name
        assert ours.value.code == "token_not_valid"
    with pytest.raises(ExpiredTokenError):
        refresh_tokens.refresh(_bad_tokens(user)[0][1])
    for raw in ("", None, b"\xff", 42, "a.b.c", "x" * 10000):
        with pytest.raises(TokenError, match="^Token is invalid$"):
            refresh_tokens.refresh(raw)


def test_inactive_and_missing_users(user, make_user, tables):
    pair = refresh_tokens.issue_pair(user)
    user.is_active = False
    user.save()
    with pytest.raises(AccountError) as info:
        refresh_tokens.refresh(pair["refresh"])
    assert info.value.code == "no_active_account"
    assert str(info.value) == "No active account found for the given token."
    with override_settings(SIMPLE_JWT={"CHECK_USER_IS_ACTIVE": False}):
        # the deactivation revoked the pair for good (sesstok.user_changes) ...
        with pytest.raises(TokenError, match="^Token is blacklisted$"):
            refresh_tokens.refresh(pair["refresh"])
        # ... a pair issued after it works for an inactive user
        with frozen(time.time() + 2):
            assert refresh_tokens.refresh(refresh_tokens.issue_pair(user)["refresh"])
    other = make_user()
    pair = refresh_tokens.issue_pair(other)
    other.delete()
    with pytest.raises(AccountError):  # SimpleJWT: User.DoesNotExist, a 500
        refresh_tokens.refresh(pair["refresh"])


def test_user_authentication_rule_setting(user):
    with override_settings(SIMPLE_JWT={"USER_AUTHENTICATION_RULE": "test_refresh_tokens.never"}):
        pair = refresh_tokens.issue_pair(user)
        with pytest.raises(AccountError):
            refresh_tokens.refresh(pair["refresh"])


def never(user):
    return False


def test_leeway(user):
    from _simplejwt import frozen as freeze

    with override_settings(
        SIMPLE_JWT={"LEEWAY": timedelta(seconds=30), "REFRESH_TOKEN_LIFETIME": timedelta(seconds=5)}
    ):
        pair = refresh_tokens.issue_pair(user)
        import time

        with freeze(time.time() + 20):
            assert refresh_tokens.refresh(pair["refresh"])
        with freeze(time.time() + 40):
            with pytest.raises(TokenError, match="expired"):
                refresh_tokens.refresh(pair["refresh"])


# ---- revocation ------------------------------------------------------------------------


def test_password_change_refuses_refresh_tokens(user, tables):
    pair = refresh_tokens.issue_pair(user)
    user.set_password("new-password")
    user.save()
    with pytest.raises(AuthenticationError) as info:
        refresh_tokens.refresh(pair["refresh"])
    assert info.value.code == "password_changed"
    assert refresh_tokens.refresh(refresh_tokens.issue_pair(user)["refresh"])


def test_password_change_with_simplejwt_revoke_claim(user):
    with simplejwt_settings({"CHECK_REVOKE_TOKEN": True}):
        pair = sj_pair(user)
        user.set_password("new-password")
        user.save()
        with pytest.raises(AuthenticationError, match="password has been changed"):
            refresh_tokens.refresh(pair["refresh"])


@pytest.mark.parametrize("store", [False, True])
def test_logout_everywhere_refuses_refresh_tokens(user, tables, store, request):
    if store:
        request.getfixturevalue("locmem_revocation")
    import time

    from _simplejwt import frozen as freeze

    earlier = time.time() - 5
    with freeze(earlier):
        ours = refresh_tokens.issue_pair(user)
        theirs = sj_pair(user)
    assert ("sst_ep" in claims(ours["refresh"])) is store
    at = int(time.time()) + 0.5
    with freeze(at):
        revocation.logout_everywhere(user)
        # a token of the bump's second may predate it: refused (iat <= changed_at)
        fresh = refresh_tokens.issue_pair(user)
    for pair in (ours, theirs):
        with pytest.raises(TokenError, match="^Token is blacklisted$"):
            refresh_tokens.refresh(pair["refresh"])
    if not store:  # with sst_ep the check is exact
        with pytest.raises(TokenError, match="^Token is blacklisted$"):
            refresh_tokens.refresh(fresh["refresh"])
    with freeze(at + 1):
        fresh = refresh_tokens.issue_pair(user)
        assert refresh_tokens.refresh(fresh["refresh"])


def test_blacklist(user, tables):
    pair = refresh_tokens.issue_pair(user)
    payload = refresh_tokens.blacklist(pair["refresh"])
    assert refresh_tokens.is_blacklisted(payload["jti"])
    with pytest.raises(TokenError, match="^Token is blacklisted$"):
        refresh_tokens.refresh(pair["refresh"])
    with pytest.raises(TokenError, match="^Token is blacklisted$"):
        refresh_tokens.blacklist(pair["refresh"])
    with pytest.raises(TokenError, match="^Token has wrong type$"):
        refresh_tokens.blacklist(pair["access"])
    # other tokens of the user are untouched
    assert refresh_tokens.refresh(refresh_tokens.issue_pair(user)["refresh"])


def test_blacklist_made_by_simplejwt_is_honoured(user):
    from rest_framework_simplejwt.tokens import RefreshToken

    with override_settings(SIMPLE_JWT={}):
        token = RefreshToken.for_user(user)
        token.blacklist()
        with pytest.raises(TokenError, match="^Token is blacklisted$"):
            refresh_tokens.refresh(str(token))
        # and SimpleJWT honours sesstok's blacklisting in its tables
        ours = refresh_tokens.issue_pair(user)
        refresh_tokens.blacklist(ours["refresh"])
        from rest_framework_simplejwt.exceptions import TokenError as SJTokenError

        with pytest.raises(SJTokenError, match="blacklisted"):
            RefreshToken(ours["refresh"])


def test_blacklist_user(user, make_user, tables):
    other = make_user()
    import time

    from _simplejwt import frozen as freeze

    with freeze(time.time() - 5):
        pairs = [refresh_tokens.issue_pair(user) for _ in range(3)]
        others = refresh_tokens.issue_pair(other)
    count = refresh_tokens.blacklist_user(user)
    assert count == (3 if tables == "simplejwt" else 0)
    for pair in pairs:
        with pytest.raises(TokenError, match="blacklisted"):
            refresh_tokens.refresh(pair["refresh"])
    assert refresh_tokens.refresh(others["refresh"])


def test_purge_blacklist(user):
    import time

    from _simplejwt import frozen as freeze

    with override_settings(
        SESSTOK={"REFRESH_BLACKLIST": "sesstok"}, SIMPLE_JWT={"REFRESH_TOKEN_LIFETIME": timedelta(seconds=60)}
    ):
        with freeze(time.time() - 120):
            old = refresh_tokens.issue_pair(user)
            refresh_tokens.blacklist(old["refresh"])
        refresh_tokens.blacklist(refresh_tokens.issue_pair(user)["refresh"])
        assert refresh_tokens.purge_blacklist() == 1


# ---- sliding tokens -------------------------------------------------------------------


def test_sliding_refresh(user, tables):
    from rest_framework_simplejwt.serializers import TokenRefreshSlidingSerializer

    with simplejwt_settings({}, SESSTOK={"REFRESH_BLACKLIST": tables}):
        raw = refresh_tokens.issue_sliding(user)
        new = refresh_tokens.refresh_sliding(raw)["token"]
        assert claims(new)["jti"] == claims(raw)["jti"]
        serializer = TokenRefreshSlidingSerializer(data={"token": raw})
        assert serializer.is_valid(), serializer.errors
        # the same error as SimpleJWT for an exhausted refresh period
        with override_settings(SIMPLE_JWT={"SLIDING_TOKEN_REFRESH_LIFETIME": timedelta(seconds=-1)}):
            stale = refresh_tokens.issue_sliding(user)
        with pytest.raises(TokenError, match="^Token 'refresh_exp' claim has expired$"):
            refresh_tokens.refresh_sliding(stale)
        refresh_tokens.blacklist(raw, "sliding")
        with pytest.raises(TokenError, match="blacklisted"):
            refresh_tokens.refresh_sliding(raw)


# ---- verify ------------------------------------------------------------------------------


def test_verify_accepts_any_type(user):
    pair = refresh_tokens.issue_pair(user)
    assert refresh_tokens.verify(pair["access"])["token_type"] == "access"
    assert refresh_tokens.verify(pair["refresh"])["token_type"] == "refresh"
    with pytest.raises(TokenError, match="^Token is invalid$"):
        refresh_tokens.verify(pair["access"][:-2])


# ---- plain Django ------------------------------------------------------------------------


def test_no_drf_import(tmp_path):
    code = textwrap.dedent(
        """
        import sys
        sys.modules["rest_framework"] = None
        sys.modules["rest_framework_simplejwt"] = None
        import django
        from django.conf import settings
        settings.configure(
            SECRET_KEY="x" * 50,
            INSTALLED_APPS=["django.contrib.contenttypes", "django.contrib.auth", "sesstok"],
            DATABASES={"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}},
            USE_TZ=True,
        )
        django.setup()
        from django.core.management import call_command
        call_command("migrate", verbosity=0)
        from django.contrib.auth.models import User
        from sesstok import refresh_tokens
        user = User.objects.create_user("u")
        pair = refresh_tokens.issue_pair(user)
        assert refresh_tokens.refresh(pair["refresh"])["access"]
        refresh_tokens.blacklist(pair["refresh"])
        assert refresh_tokens.blacklist_tables() == "sesstok"
        print("ok")
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=str(tmp_path),
        env={**__import__("os").environ, "PYTHONPATH": _root()},
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"


def _root():
    import os

    return os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


# ---- moving off SimpleJWT's tables --------------------------------------------------------


def test_import_simplejwt_blacklist_command(user, make_user):
    import io
    import time

    from django.core.management import call_command
    from rest_framework_simplejwt.tokens import RefreshToken

    from _simplejwt import frozen as freeze
    from sesstok.models import BlacklistedRefreshToken

    with override_settings(SIMPLE_JWT={"REFRESH_TOKEN_LIFETIME": timedelta(seconds=60)}):
        with simplejwt_settings({"REFRESH_TOKEN_LIFETIME": timedelta(seconds=60)}):
            with freeze(time.time() - 120):
                stale = RefreshToken.for_user(user)
                stale.blacklist()
            live = RefreshToken.for_user(user)
            live.blacklist()
            kept = RefreshToken.for_user(user)  # outstanding, not blacklisted
    out = io.StringIO()
    call_command("sesstok_import_simplejwt_blacklist", stdout=out)
    assert "Imported 1 " in out.getvalue()
    row = BlacklistedRefreshToken.objects.get()
    assert row.jti == live["jti"] and row.user == user
    out = io.StringIO()
    call_command("sesstok_import_simplejwt_blacklist", "--include-expired", stdout=out)
    assert "Imported 1 blacklisted token(s), 1 already imported." in out.getvalue()
    # with sesstok's table alone, the token stays refused; the other one works
    with override_settings(SESSTOK={"REFRESH_BLACKLIST": "sesstok"}):
        with pytest.raises(TokenError, match="^Token is blacklisted$"):
            refresh_tokens.refresh(str(live))
        assert refresh_tokens.refresh(str(kept))
    out = io.StringIO()
    call_command("sesstok_flush_refresh_blacklist", stdout=out)
    assert out.getvalue().strip() == "Deleted 1 expired blacklist row(s)."


def test_import_command_needs_the_app():
    from django.conf import settings
    from django.core.management import CommandError, call_command

    apps_without = [a for a in settings.INSTALLED_APPS if a != "rest_framework_simplejwt.token_blacklist"]
    with override_settings(INSTALLED_APPS=apps_without):
        with pytest.raises(CommandError, match="nothing to import"):
            call_command("sesstok_import_simplejwt_blacklist")


def test_json_encoder_setting(user):
    """JSON_ENCODER: custom claims a plain JSON encoder refuses (a datetime,
    a UUID) are encoded as SimpleJWT encodes them."""
    import uuid
    from datetime import datetime, timezone as tz

    from rest_framework_simplejwt.tokens import RefreshToken

    extra = {"at": datetime(2030, 1, 2, 3, 4, 5, tzinfo=tz.utc), "ref": uuid.UUID(int=7)}
    simple_jwt = {"JSON_ENCODER": "django.core.serializers.json.DjangoJSONEncoder"}
    with simplejwt_settings(simple_jwt, SESSTOK={**NO_AUTH_HASH, "REFRESH_BLACKLIST": "sesstok"}):
        with frozen(AT):
            token = RefreshToken.for_user(user)
            for k, v in extra.items():
                token[k] = v
            theirs = {"refresh": str(token), "access": str(token.access_token)}
        with frozen(AT):
            ours = refresh_tokens.issue_pair(user, claims=extra)
    assert ours == theirs
    assert claims(ours["access"])["at"] == "2030-01-02T03:04:05Z"


def test_json_encoder_setting_for_access_tokens(user):
    """sesstok.access_tokens (the middleware's issuer) ignored JSON_ENCODER."""
    from datetime import datetime, timezone as tz

    from sesstok import access_tokens

    simple_jwt = {"JSON_ENCODER": "django.core.serializers.json.DjangoJSONEncoder"}
    with simplejwt_settings(simple_jwt):
        raw = access_tokens.issue_access_token(user, claims={"at": datetime(2030, 1, 2, 3, 4, 5, tzinfo=tz.utc)})
    assert claims(raw)["at"] == "2030-01-02T03:04:05Z"
