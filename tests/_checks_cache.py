"""A cache backend sesstok does not know, for tests/test_checks.py."""

from django.core.cache.backends.base import BaseCache


class SomeCache(BaseCache):
    pass
