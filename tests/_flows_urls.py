"""The login flows mounted at the root, as the demo mounts them."""

from django.urls import include, path

urlpatterns = [path("", include("sesstok.urls"))]
