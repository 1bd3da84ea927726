"""A representative API: list and detail views behind IsAuthenticated,
served once per authentication setup so each test can pick the classes (and
compare with DRF's and SimpleJWT's own on the same requests)."""

from rest_framework.permissions import IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

ITEMS = {1: {"id": 1, "name": "apple"}, 2: {"id": 2, "name": "pear"}}

SESSTOK = "sesstok.contrib.rest_framework.authentication."
SETUPS = {
    # name: authentication classes
    "token": [SESSTOK + "TokenAuthentication"],
    "jwt": [SESSTOK + "JWTAuthentication"],
    "stateless": [SESSTOK + "JWTStatelessUserAuthentication"],
    "jwt-token": [SESSTOK + "JWTAuthentication", SESSTOK + "TokenAuthentication"],
    "token-jwt": [SESSTOK + "TokenAuthentication", SESSTOK + "JWTAuthentication"],
    "bearer-token-jwt": ["drf_project.views.BearerTokenAuthentication", SESSTOK + "JWTAuthentication"],
    "jwt-bearer-token": [SESSTOK + "JWTAuthentication", "drf_project.views.BearerTokenAuthentication"],
    "session-jwt": ["rest_framework.authentication.SessionAuthentication", SESSTOK + "JWTAuthentication"],
    # the originals, for side-by-side comparison
    "drf": ["rest_framework.authentication.TokenAuthentication"],
    "simplejwt": ["rest_framework_simplejwt.authentication.JWTAuthentication"],
    "simplejwt-stateless": ["rest_framework_simplejwt.authentication.JWTStatelessUserAuthentication"],
    "none": [],
}


def _bearer_token_class():
    from sesstok.contrib.rest_framework.authentication import TokenAuthentication

    class BearerTokenAuthentication(TokenAuthentication):
        keywords = ("Token", "Bearer")

    return BearerTokenAuthentication


def __getattr__(name):
    if name == "BearerTokenAuthentication":
        cls = globals()[name] = _bearer_token_class()
        return cls
    raise AttributeError(name)


def _describe(request):
    user = request.user
    auth = request.auth
    return {
        "user": str(getattr(user, "pk", None)) if user.is_authenticated else None,
        "username": user.get_username() if user.is_authenticated else None,
        "user_class": type(user).__name__,
        "auth_class": type(auth).__name__,
    }


class ItemList(APIView):
    permission_classes = [IsAuthenticated]

    def get(self, request):
        return Response({"items": list(ITEMS.values()), **_describe(request)})

    def post(self, request):
        return Response({"created": request.data.get("name"), **_describe(request)}, status=201)


class ItemDetail(APIView):
    permission_classes = [IsAuthenticated]

    def get(self, request, pk):
        if pk not in ITEMS:
            return Response({"detail": "Not found."}, status=404)
        return Response({**ITEMS[pk], **_describe(request)})


class Open(APIView):
    permission_classes = []

    def get(self, request):
        return Response(_describe(request))


def views_for(setup):
    """(list, detail, open) views authenticating with SETUPS[setup]."""
    from django.utils.module_loading import import_string

    classes = [import_string(path) for path in SETUPS[setup]]
    return tuple(view.as_view(authentication_classes=classes) for view in (ItemList, ItemDetail, Open))
