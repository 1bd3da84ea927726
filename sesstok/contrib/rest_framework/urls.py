"""URLs of the token views, with SimpleJWT's documented names::

    urlpatterns = [
        path("api/", include("sesstok.contrib.rest_framework.urls")),
    ]

gives ``api/token/`` (``token_obtain_pair``), ``api/token/refresh/``,
``api/token/verify/``, ``api/token/blacklist/``, ``api/token/sliding/``,
``api/token/sliding/refresh/`` and ``api/auth-token/`` (DRF's
``obtain_auth_token``). Include only what you use, or route the views from
:mod:`sesstok.contrib.rest_framework.views` yourself.
"""

from django.urls import path

from ... import jwks_endpoint
from . import views

urlpatterns = [
    path("token/", views.TokenObtainPairView.as_view(), name="token_obtain_pair"),
    path("token/refresh/", views.TokenRefreshView.as_view(), name="token_refresh"),
    path("token/verify/", views.TokenVerifyView.as_view(), name="token_verify"),
    path("token/blacklist/", views.TokenBlacklistView.as_view(), name="token_blacklist"),
    path("token/sliding/", views.TokenObtainSlidingView.as_view(), name="token_obtain_sliding"),
    path("token/sliding/refresh/", views.TokenRefreshSlidingView.as_view(), name="token_refresh_sliding"),
    path("auth-token/", views.obtain_auth_token, name="obtain_auth_token"),
    path(".well-known/jwks.json", jwks_endpoint.jwks, name="jwks"),  # 404 unless SESSTOK["JWKS_ENDPOINT"]
]
