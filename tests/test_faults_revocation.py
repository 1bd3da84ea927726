"""Revocation state that must not go backwards (issue 11): epochs never
repeat when the store's copy is ahead of the database."""

import pytest
from django.core.cache import caches

from sesstok import revocation
from sesstok.models import UserEpoch


@pytest.mark.redis
@pytest.mark.parametrize("ahead", [1, 7])
def test_epoch_never_repeats_when_the_store_is_ahead(user, redis_revocation, ahead):
    """Redis holds epoch `ahead` for a user whose database row says 0 (a
    restored database, two deployments sharing a key space): a credential
    issued now carries `ahead`, and logout-everywhere must still revoke it."""
    caches["revocation"].set(revocation.epoch_key(user.pk), f"{ahead}:1700000000.0", timeout=None)
    carried = revocation.get_epoch(user.pk)[0]
    assert carried == ahead
    assert not revocation.check(user_pk=user.pk, epoch=carried)
    new = revocation.logout_everywhere(user)
    assert new == ahead + 1 and UserEpoch.objects.get(user=user).epoch == ahead + 1
    assert revocation.check(user_pk=user.pk, epoch=carried)
    # and the store's copy lost again: the database's value is past it too
    caches["revocation"].delete(revocation.epoch_key(user.pk))
    assert revocation.check(user_pk=user.pk, epoch=carried)


@pytest.mark.redis
def test_epochs_are_increasing(user, redis_revocation):
    seen = [revocation.bump_epoch(user) for _ in range(3)]
    assert seen == sorted(set(seen)) and len(seen) == 3
