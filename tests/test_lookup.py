"""sesstok._lookup.PreparedLookup against the ORM, the oracle: the same
instances (every field, converted the same way) from the same single query,
and a fallback to the plain ORM when its assumption does not hold."""

from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from sesstok import pipeline, tokens
from sesstok._lookup import _UNSUPPORTED, PreparedLookup
from sesstok.models import AuthToken


def fields(instance):
    return {f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields}


@pytest.fixture
def token(user):
    user.last_login = timezone.now()
    user.save()
    instance, plain = tokens.create_token(user, "t", expires=timedelta(days=3))
    AuthToken.objects.filter(pk=instance.pk).update(last_used=timezone.now())
    return plain


@pytest.mark.parametrize("enabled", [True, False])
def test_token_and_user_equal_the_orms(token, enabled):
    lookup = tokens._token_lookup()
    lookup.enabled = enabled
    try:
        mine = tokens._find(tokens.token_digest(token))
    finally:
        lookup.enabled = True
    theirs = AuthToken.objects.select_related("user").get(digest=tokens.token_digest(token))
    assert fields(mine) == fields(theirs)
    assert fields(mine.user) == fields(theirs.user)
    assert mine.expires.tzinfo is not None and mine.user.last_login.tzinfo is not None
    assert mine._state.db == "default" and not mine._state.adding
    assert mine.user._state.db == "default" and not mine.user._state.adding


def test_one_query_and_not_found(token):
    with CaptureQueriesContext(connection) as queries:
        assert tokens._find(tokens.token_digest(token)) is not None
        assert tokens._find("0" * 64) is None
    assert len(queries) == 2


def test_a_loaded_instance_saves_like_an_orm_one(token):
    instance = tokens._find(tokens.token_digest(token))
    instance.name = "renamed"
    instance.save()
    assert AuthToken.objects.get(pk=instance.pk).name == "renamed"
    assert AuthToken.objects.count() == 1


def test_falls_back_when_the_parameter_is_ambiguous(user):
    User = get_user_model()
    # a filter with the same value as the lookup's: the prepared path cannot
    # tell which parameter to replace, so it uses the ORM
    lookup = PreparedLookup(
        User,
        User._meta.get_field("username"),
        lambda value: User.objects.filter(username=value, first_name=value).values_list("pk"),
    )
    user.first_name = "alice"
    user.save()
    assert lookup.get("alice") == ((user.pk,), "default")
    assert lookup.get("bob") == (None, "default")
    assert list(lookup._prepared.values()) == [_UNSUPPORTED]


def test_user_lookup_for_jwts(user):
    lookup = pipeline.user_lookup()
    row, alias = lookup.get(str(user.pk))
    loaded = get_user_model().from_db(alias, lookup.attnames, row)
    assert fields(loaded) == fields(get_user_model().objects.get(pk=user.pk))
    assert lookup.get(str(user.pk + 1000)) == (None, "default")
    with pytest.raises(ValueError):
        lookup.get("not-a-number")


def test_compiled_once_per_alias_not_per_connection(db, monkeypatch):
    # Django gives each thread its own connection object, and under ASGI each
    # request's sync code runs in a new thread: a query compiled per
    # connection object was compiled again on every request
    from django.db import connections

    lookup = pipeline.user_lookup()
    compiled = []
    prepare = lookup._prepare
    monkeypatch.setattr(lookup, "_prepare", lambda *args: compiled.append(args) or prepare(*args))
    lookup._prepared.clear()
    assert lookup.get("1000000") == (None, "default")
    other = connections.create_connection("default")  # what a new thread gets
    main = connections["default"]
    connections["default"] = other
    try:
        assert lookup.get("1000001") == (None, "default")
    finally:
        connections["default"] = main
        # Django's close() keeps an in-memory SQLite database open (closing
        # would drop it): close the driver's connection, or Python 3.13 warns
        # when it is collected
        if other.connection is not None:
            other.connection.close()
    assert len(compiled) == 1


def test_rows_converted_with_the_current_connection(user):
    # the converters are derived per connection; a new one converts alike
    from django.db import connections

    lookup = pipeline.user_lookup()
    first, _ = lookup.get(str(user.pk))
    lookup._converters.clear()
    again, _ = lookup.get(str(user.pk))
    assert first == again
    assert connections["default"] in lookup._converters
