"""URLs of the login flows (namespace ``sesstok``)::

    urlpatterns = [
        path("", include("sesstok.urls")),   # or under a prefix, e.g. "auth/"
    ]

======================  =========================================================
``register/``           sign up (HTML form or JSON); 404 unless
                        ``SESSTOK["REGISTRATION_OPEN"]`` is True
``login/``              browser login form: session cookie
``me/``                 who is logged in (HTML)
``logout/``             log out (POST; ``everywhere=1`` for every device)
``api/login/``          JSON: opaque token + JWT access/refresh pair
``api/me/``             JSON: the authenticated user
``api/logout/``         JSON: revoke this request's credential (+ a refresh token)
``api/logout-all/``     JSON: log the user out everywhere
``api/token/refresh/``  JSON: a new access token (SimpleJWT's refresh view)
``.well-known/``        ``jwks.json``: the public JWT keys (``sesstok.jwks_endpoint``);
                        404 unless ``SESSTOK["JWKS_ENDPOINT"]``
======================  =========================================================

Mounted somewhere other than the root, add its ``api/`` prefix to
``SESSTOK["API_PATH_PREFIXES"]`` so that a bad credential there is a 401
from the token middleware rather than an anonymous request.

Used as the ``ROOT_URLCONF`` (as the demo's URLconf, which includes it),
an unknown path under ``SESSTOK["API_PATH_PREFIXES"]`` is a JSON 404
(``handler404`` below; Django reads it from the root URLconf only, so a
project's own URLconf keeps its own 404 pages unless it sets
``handler404 = "sesstok.urls.not_found"``).
"""

from django.http import JsonResponse
from django.urls import path
from django.views import defaults

from . import jwks_endpoint, views


def not_found(request, exception):
    """``handler404``: ``{"detail": "Not found.", "code": "not_found"}`` on
    API paths (DRF's message), Django's page elsewhere."""
    from .middleware import TokenAuthenticationMiddleware

    if TokenAuthenticationMiddleware.is_api(request):
        return JsonResponse({"detail": "Not found.", "code": "not_found"}, status=404)
    return defaults.page_not_found(request, exception)


handler404 = not_found

app_name = "sesstok"

urlpatterns = [
    path("register/", views.register, name="register"),
    path("login/", views.login, name="login"),
    path("me/", views.me, name="me"),
    path("logout/", views.logout, name="logout"),
    path("api/login/", views.api_login, name="api-login"),
    path("api/me/", views.api_me, name="api-me"),
    path("api/logout/", views.api_logout, name="api-logout"),
    path("api/logout-all/", views.api_logout_all, name="api-logout-all"),
    path("api/token/refresh/", views.api_token_refresh, name="api-token-refresh"),
    path(".well-known/jwks.json", jwks_endpoint.jwks, name="jwks"),  # 404 unless SESSTOK["JWKS_ENDPOINT"]
]
