"""What a password change or a deactivation revokes (sesstok.receivers,
sesstok.user_changes): detected wherever it happens, by comparing the stored
password hash and is_active with the row being replaced."""

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.test import Client, RequestFactory

from sesstok import tokens
from sesstok.models import AuthToken


def refused(plain):
    with pytest.raises(tokens.AuthenticationError):
        tokens.authenticate_token(plain)
    return True


def test_set_unusable_password_revokes_opaque_tokens(user):
    """The admin's "disable password": sessions and JWTs were refused, opaque
    tokens stayed valid."""
    _, plain = tokens.create_token(user)
    user.set_unusable_password()
    user.save()
    assert refused(plain)


def test_assigned_password_hash_revokes_opaque_tokens(user):
    _, plain = tokens.create_token(user)
    user.password = make_password("another-password")
    user.save()
    assert refused(plain)


def test_password_change_on_a_fresh_instance_revokes(user):
    _, plain = tokens.create_token(user)
    other = get_user_model().objects.get(pk=user.pk)
    other.password = make_password("another-password")
    other.save()
    assert refused(plain)


def test_saves_that_keep_the_password_keep_tokens(user):
    _, plain = tokens.create_token(user)
    user.first_name = "Alice"
    user.save()
    user.password = user.password
    user.save(update_fields=["password"])
    assert tokens.authenticate_token(plain)[0] == user
    assert AuthToken.objects.count() == 1


def test_deactivation_bumps_the_logout_epoch_and_keeps_opaque_tokens(user):
    from sesstok import revocation

    _, plain = tokens.create_token(user)
    user.is_active = False
    user.save()
    assert revocation.get_epoch(user.pk)[0] == 1
    assert tokens.authenticate_token(plain)[0].is_active is False  # refused by the adapters
    user.is_active = True
    user.save()
    assert revocation.get_epoch(user.pk)[0] == 1
    assert tokens.authenticate_token(plain)[0] == user


def test_the_session_kept_by_update_session_auth_hash_stays(user, db):
    """Sessions follow Django: the one kept by update_session_auth_hash()
    stays logged in, the others go."""
    from django.contrib.auth import update_session_auth_hash
    from django.contrib.sessions.backends.db import SessionStore

    kept, other = Client(), Client()
    for c in (kept, other):
        c.force_login(user)
    request = RequestFactory().get("/")
    request.session = SessionStore(kept.session.session_key)
    request.user = user
    user.set_password("a-new-password")
    user.save()
    update_session_auth_hash(request, user)
    request.session.save()
    kept.cookies["sessionid"] = request.session.session_key  # cycled, as the response would set it
    assert kept.get("/whoami/").json()["user"] == "alice"
    assert other.get("/whoami/").json()["user"] is None
