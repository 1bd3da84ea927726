"""URLs and views the Django-part tests drive through the test clients."""

from django.contrib import admin
from django.contrib.auth import alogin, alogout, login, logout
from django.http import JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from sesstok import revocation


def _describe(request, user):
    return {
        "user": user.get_username() if user.is_authenticated else None,
        "session": {k: v for k, v in request.session.items()} if hasattr(request, "session") else None,
        "engine": type(request.session).__module__ if hasattr(request, "session") else None,
    }


def whoami(request):
    return JsonResponse(_describe(request, request.user))


async def awhoami(request):
    user = await request.auser()
    return JsonResponse({"user": user.get_username() if user.is_authenticated else None})


def echo(request):
    return JsonResponse({"user": request.user.get_username() or None, "method": request.method})


@csrf_exempt
def exempt_echo(request):
    return JsonResponse({"user": request.user.get_username() or None, "method": request.method})


def session_set(request):
    for key, value in request.GET.items():
        request.session[key] = value
    return JsonResponse({"ok": True})


def session_get(request):
    return JsonResponse(dict(request.session.items()))


def session_login(request):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.get_by_natural_key(request.GET["username"])
    login(request, user, backend="django.contrib.auth.backends.ModelBackend")
    return JsonResponse({"ok": True})


async def asession_login(request):
    from django.contrib.auth import get_user_model

    user = await get_user_model().objects.aget(username=request.GET["username"])
    await alogin(request, user, backend="django.contrib.auth.backends.ModelBackend")
    return JsonResponse({"ok": True})


def session_logout(request):
    logout(request)
    return JsonResponse({"ok": True})


async def asession_logout(request):
    await alogout(request)
    return JsonResponse({"ok": True})


def revoke_this(request):
    return JsonResponse({"revoked": revocation.logout(request)})


async def arevoke_this(request):
    return JsonResponse({"revoked": await revocation.alogout(request)})


def everywhere(request):
    revocation.logout_everywhere(request.user)
    return JsonResponse({"ok": True})


urlpatterns = [
    path("admin/", admin.site.urls),
    path("whoami/", whoami),
    path("async/whoami/", awhoami),
    path("api/whoami/", whoami),
    path("api/async/whoami/", awhoami),
    path("api/echo/", echo),
    path("echo/", echo),
    path("exempt/", exempt_echo),
    path("session/set/", session_set),
    path("session/get/", session_get),
    path("session/login/", session_login),
    path("session/alogin/", asession_login),
    path("session/logout/", session_logout),
    path("session/alogout/", asession_logout),
    path("session/everywhere/", everywhere),
    path("api/logout/", revoke_this),
    path("api/alogout/", arevoke_this),
    path("logout/", revoke_this),
]
