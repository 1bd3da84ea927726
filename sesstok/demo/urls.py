"""The demo's URLs: its home page, and sesstok's login flows at the root."""

from django.urls import include, path

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("", include("sesstok.urls")),
]
