from django.urls import include, path

from .views import SETUPS, views_for

urlpatterns = [
    path("api/", include("sesstok.contrib.rest_framework.urls")),
]

for _setup in SETUPS:
    _list, _detail, _open = views_for(_setup)
    urlpatterns += [
        path(f"api/{_setup}/items/", _list),
        path(f"api/{_setup}/items/<int:pk>/", _detail),
        path(f"api/{_setup}/open/", _open),
    ]


def _simplejwt_urls():
    from rest_framework_simplejwt import views

    return [
        path("sj/token/", views.TokenObtainPairView.as_view()),
        path("sj/token/refresh/", views.TokenRefreshView.as_view()),
        path("sj/token/verify/", views.TokenVerifyView.as_view()),
        path("sj/token/blacklist/", views.TokenBlacklistView.as_view()),
        path("sj/token/sliding/", views.TokenObtainSlidingView.as_view()),
        path("sj/token/sliding/refresh/", views.TokenRefreshSlidingView.as_view()),
    ]


def _drf_urls():
    from rest_framework.authtoken import views

    return [path("drf/auth-token/", views.obtain_auth_token)]


urlpatterns += _simplejwt_urls() + _drf_urls()
