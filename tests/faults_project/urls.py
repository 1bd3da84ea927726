from django.urls import include, path
from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from sesstok.contrib.rest_framework.authentication import JWTAuthentication, TokenAuthentication


class Whoami(APIView):
    """A DRF view behind sesstok's JWT and token classes."""

    authentication_classes = [JWTAuthentication, TokenAuthentication]
    permission_classes = [IsAuthenticated]

    def get(self, request):
        return Response({"user": request.user.get_username()})


urlpatterns = [
    path("", include("sesstok.urls")),
    path("api/drf/", include("sesstok.contrib.rest_framework.urls")),
    path("api/drf/whoami/", Whoami.as_view()),
]
