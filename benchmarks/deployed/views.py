"""The views: a bare Django view and one DRF ``APIView`` per authentication
class, every one answering the authenticated user's pk (or 401)."""

from django.http import HttpResponse
from rest_framework.authentication import TokenAuthentication
from rest_framework.permissions import IsAuthenticated
from rest_framework.views import APIView
from rest_framework_simplejwt.authentication import JWTAuthentication, JWTStatelessUserAuthentication

from sesstok.contrib.rest_framework import authentication as sesstok_drf


def bare(request):
    """No authentication at all (baseline of the session rows)."""
    return HttpResponse("-")


def whoami(request):
    """``request.user`` as the session middleware set it (401 if anonymous)."""
    user = request.user
    if not user.is_authenticated:
        return HttpResponse("anonymous", status=401)
    return HttpResponse(str(user.pk))


def _drf(*classes):
    class View(APIView):
        authentication_classes = classes
        permission_classes = (IsAuthenticated,) if classes else ()

        def get(self, request):
            return HttpResponse("-" if not classes else str(request.user.pk))

    return View.as_view()


DRF_VIEWS = {
    "none": _drf(),
    "drf-token": _drf(TokenAuthentication),
    "sesstok-token": _drf(sesstok_drf.TokenAuthentication),
    "simplejwt": _drf(JWTAuthentication),
    "sesstok-jwt": _drf(sesstok_drf.JWTAuthentication),
    "simplejwt-stateless": _drf(JWTStatelessUserAuthentication),
    "sesstok-stateless": _drf(sesstok_drf.JWTStatelessUserAuthentication),
}


def drf(request, name):
    # one route for every DRF view, so each resolves at the same cost
    return DRF_VIEWS[name](request)
