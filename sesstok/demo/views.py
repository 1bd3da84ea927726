"""The demo's home page: every way in, with curl commands for this server."""

from django.shortcuts import render
from django.views.decorators.csrf import ensure_csrf_cookie

from sesstok.conf import sesstok_settings


@ensure_csrf_cookie
def home(request):
    from .server import curl_examples

    base = f"{request.scheme}://{request.get_host()}"
    return render(
        request,
        "sesstok/demo_home.html",
        {
            "base": base,
            "examples": curl_examples(base),
            "registration_open": sesstok_settings.REGISTRATION_OPEN,
        },
    )
