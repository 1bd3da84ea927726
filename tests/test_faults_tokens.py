"""The per-user token cap under real databases and concurrency (issue 11):
``api/login/`` at ``TOKEN_MAX_PER_USER`` evicts the least recently used
api-login token by ``Coalesce(last_used, created)`` on PostgreSQL too, and
concurrent logins at the cap all succeed (each evicts one)."""

import json
from concurrent.futures import ThreadPoolExecutor

import pytest

from _servers import Project

pytestmark = pytest.mark.slow

EVICTION = """
from datetime import timedelta
from django.contrib.auth.models import User
from django.utils import timezone
from sesstok import views
from sesstok.models import AuthToken
User.objects.filter(username="evict").delete()
user = User.objects.create_user("evict", password="pw")
now = timezone.now()
def make(name, created, last_used):
    AuthToken.objects.create(user=user, name=name, digest=name.ljust(64, "0")[:64], display_prefix="x",
                             created=created, last_used=last_used)
make("api-login old", now - timedelta(days=10), None)          # never used, oldest: the victim
make("api-login active", now - timedelta(days=20), now)         # in use right now
make("api-login fresh", now - timedelta(seconds=1), None)       # another device got it a second ago
make("cli", now - timedelta(days=30), None)                     # not an api-login token: never evicted
views._new_api_token(user)
print(json.dumps(sorted(AuthToken.objects.filter(user=user).values_list("name", flat=True))))
"""


@pytest.fixture(scope="module")
def pg_project(tmp_path_factory, pg_database):
    return Project(tmp_path_factory.mktemp("pg"), postgres=pg_database, sesstok={"TOKEN_MAX_PER_USER": 4}).migrate()


@pytest.fixture(scope="module")
def sqlite_project(tmp_path_factory):
    return Project(tmp_path_factory.mktemp("sqlite"), sesstok={"TOKEN_MAX_PER_USER": 4}).migrate()


@pytest.mark.parametrize("db", ["pg_project", "sqlite_project"])
def test_eviction_order(db, request):
    names = request.getfixturevalue(db).run(EVICTION)
    assert "api-login old" not in names
    assert {"api-login active", "api-login fresh", "cli"} <= set(names) and len(names) == 4


def test_concurrent_logins_at_the_cap_evict(tmp_path, pg_database):
    project = Project(tmp_path, postgres=pg_database, sesstok={"TOKEN_MAX_PER_USER": 2})
    project.run("""
        from django.contrib.auth.models import User
        User.objects.filter(username="busy").delete()
        User.objects.create_user("busy", password="pw")
    """)
    project.start(workers=3)
    try:

        def login(_):
            status, _h, body = project.request("POST", "/api/login/", json_body={"username": "busy", "password": "pw"})
            return status, json.loads(body).get("code")

        with ThreadPoolExecutor(12) as pool:
            answers = list(pool.map(login, range(36)))
    finally:
        project.stop()
    assert answers == [(200, None)] * 36, (answers, project.output()[-3000:])
    count = project.run("""
        from sesstok.models import AuthToken
        print(AuthToken.objects.filter(user__username="busy").count())
    """)
    assert count == 2
