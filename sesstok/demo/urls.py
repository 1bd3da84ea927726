"""The demo's URLs: its home page, and sesstok's login flows at the root."""

from django.urls import include, path

from sesstok.urls import handler404  # noqa: F401  (a JSON 404 under /api/)

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("", include("sesstok.urls")),
]
