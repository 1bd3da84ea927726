from django.urls import include, path
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView


class Whoami(APIView):
    """A DRF view behind sesstok's JWT and token classes."""

    authentication_classes = [
        "sesstok.contrib.rest_framework.authentication.JWTAuthentication",
        "sesstok.contrib.rest_framework.authentication.TokenAuthentication",
    ]
    permission_classes = [IsAuthenticated]

    def get(self, request):
        return Response({"user": request.user.get_username()})


def _classes():
    from django.utils.module_loading import import_string

    Whoami.authentication_classes = [import_string(c) for c in Whoami.authentication_classes]
    return Whoami.as_view()


urlpatterns = [
    path("", include("sesstok.urls")),
    path("api/drf/", include("sesstok.contrib.rest_framework.urls")),
    path("api/drf/whoami/", _classes()),
]
