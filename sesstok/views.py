"""Login flows: HTML for browsers, JSON for API clients.

Mount them with ``path("", include("sesstok.urls"))`` (namespace
``sesstok``); see :mod:`sesstok.urls` for the routes and docs/flows.md for
the request and response shapes.

- Browser routes (``register/``, ``login/``, ``me/``, ``logout/``) use the
  session cookie and Django's CSRF protection.
- API routes (``api/...``) speak JSON. ``api/login/`` and
  ``api/token/refresh/`` take their credentials from the body and set no
  cookie, so they need no CSRF token. The others accept a token or JWT in
  ``Authorization`` (no CSRF: a browser never adds that header by itself),
  or the session cookie, in which case an unsafe method must carry the CSRF
  token, as DRF's ``SessionAuthentication`` requires. Every API error is
  ``{"detail": "...", "code": "..."}`` with a stable code.
- Logins, HTML or JSON, take one path whatever the reason for a failure:
  the throttle (:mod:`sesstok.throttle`) is consulted with the submitted
  username whether or not such a user exists, and Django's ``authenticate``
  runs the password hasher for unknown users too (``ModelBackend`` hashes
  the password against a dummy user).
"""

import functools
import json
import time

from django.conf import settings
from django.contrib.auth import REDIRECT_FIELD_NAME, authenticate, get_user_model, login as auth_login
from django.core.exceptions import RequestDataTooBig
from django.db import OperationalError
from django.http import Http404, HttpResponseNotAllowed, HttpResponseRedirect, JsonResponse
from django.http.request import RawPostDataException
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt, csrf_protect, ensure_csrf_cookie
from django.views.decorators.debug import sensitive_post_parameters, sensitive_variables

from . import _busy, revocation, tokens
from .conf import sesstok_settings
from .exceptions import StoreUnavailable, store_failure
from .throttle import client_address, login_throttle

__all__ = [
    "register",
    "login",
    "me",
    "logout",
    "api_login",
    "api_me",
    "api_logout",
    "api_logout_all",
    "api_token_refresh",
    "csrf_failure",
]

MAX_BODY = 16 * 1024  # bytes of JSON an API login or refresh may send
_UNSAFE = frozenset(("POST", "PUT", "PATCH", "DELETE"))


# ---- JSON helpers -----------------------------------------------------------------------


class ApiError(Exception):
    """An API error response: ``{"detail": detail, "code": code}``."""

    def __init__(self, status, code, detail, headers=None, **extra):
        super().__init__(detail)
        self.status = status
        self.code = code
        self.detail = detail
        self.headers = headers or {}
        self.extra = extra

    def response(self):
        response = JsonResponse({"detail": self.detail, "code": self.code, **self.extra}, status=self.status)
        for name, value in self.headers.items():
            response[name] = value
        return response


def _no_store(response):
    """Responses that carry credentials are never cached (RFC 6749 5.1)."""
    response["Cache-Control"] = "no-store"
    response["Pragma"] = "no-cache"
    return response


def _json_body(request):
    content_type = request.content_type or ""
    if content_type != "application/json":
        raise ApiError(415, "unsupported_media_type", "Send a JSON body (Content-Type: application/json).")
    try:
        if int(request.META.get("CONTENT_LENGTH") or 0) > MAX_BODY:
            raise ApiError(413, "too_large", "The request body is too large.")
    except ValueError:
        raise ApiError(400, "invalid_request", "Bad Content-Length.") from None
    try:
        body = request.body  # bounded by DATA_UPLOAD_MAX_MEMORY_SIZE without a Content-Length
    except RequestDataTooBig:
        raise ApiError(413, "too_large", "The request body is too large.") from None
    except (OSError, RawPostDataException):
        raise ApiError(400, "invalid_request", "Could not read the request body.") from None
    if len(body) > MAX_BODY:
        raise ApiError(413, "too_large", "The request body is too large.")
    try:
        data = json.loads(body or b"{}")
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise ApiError(400, "invalid_request", "The body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise ApiError(400, "invalid_request", "The body must be a JSON object.")
    return data


def _storable(value):
    """A string the database and the throttle's hashing can take: no NUL
    (PostgreSQL refuses it; Django's form fields too) and no lone surrogate
    (not UTF-8 encodable: JSON's ``"\\ud800"`` decodes to one)."""
    if "\x00" in value:
        return False
    try:
        value.encode()
    except UnicodeEncodeError:
        return False
    return True


def _string(data, name, *, required=True, limit=4096):
    value = data.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or (required and not value) or len(value) > limit or not _storable(value):
        raise ApiError(400, "invalid_request", f"{name!r} must be a non-empty string.", field=name)
    return value


def api_view(methods, *, csrf="session"):
    """Decorate an API view: allowed methods (405 JSON otherwise), ApiError
    and AuthenticationError as JSON, no CSRF middleware (the view decides:
    ``csrf="session"`` checks it when a session cookie authenticated an
    unsafe request; ``csrf=None`` never, for views that take credentials
    from the body and set no cookie)."""
    allowed = frozenset(methods)

    def decorate(view):
        def wrapped(request, *args, **kwargs):
            if request.method not in allowed:
                response = ApiError(405, "method_not_allowed", f"Method {request.method} is not allowed.").response()
                response["Allow"] = ", ".join(sorted(allowed))
                return response
            try:
                if csrf == "session":
                    _check_session_csrf(request)
                return view(request, *args, **kwargs)
            except ApiError as e:
                return e.response()
            except tokens.AuthenticationError as e:
                return _error_json(e)
            except Exception as e:
                failure = store_failure(e)
                if failure is None:
                    raise
                return _error_json(failure)

        wrapped.__name__ = view.__name__
        wrapped.__doc__ = view.__doc__
        wrapped.__module__ = view.__module__
        return csrf_exempt(never_cache(wrapped))

    return decorate


def _error_json(error):
    """``{"detail", "code"}`` for an AuthenticationError (a StoreUnavailable: 503 + Retry-After)."""
    response = JsonResponse({"detail": str(error.message), "code": error.code}, status=error.status)
    if error.status == 401:
        response["WWW-Authenticate"] = 'Bearer realm="api"'
    elif isinstance(error, StoreUnavailable):
        response["Retry-After"] = str(error.retry_after)
    return response


def page_view(view):
    """Decorate a browser view: a store or database failure (store_failure),
    in the view or in the authentication it triggers (``request.user`` is
    lazy), is a 503 page with ``Retry-After`` (JSON for a JSON request),
    never a 500."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except Exception as e:
            failure = store_failure(e)
            if failure is None:
                raise
            if request.content_type == "application/json":
                return _no_store(_error_json(failure))
            from .middleware import TokenAuthenticationMiddleware

            return _no_store(TokenAuthenticationMiddleware.unavailable_response(request, failure))

    return wrapped


def _credential(request):
    return getattr(request, "sesstok_credential", None)


def _check_session_csrf(request):
    """An unsafe request that a cookie may authenticate must pass Django's
    CSRF check; one with a credential in the Authorization header need not
    (TokenAuthenticationMiddleware marks those, and checks token cookies
    itself)."""
    if request.method not in _UNSAFE or getattr(request, "_dont_enforce_csrf_checks", False):
        return
    credential = _credential(request)
    if credential is not None and credential.transport != "query":
        return  # header (exempt) or cookie (checked by the middleware already)
    if not request.user.is_authenticated:
        return  # nothing to forge; the view answers 401
    from .middleware import csrf_failure_reason

    reason = csrf_failure_reason(request)
    if reason is not None:
        raise ApiError(403, "csrf_failed", f"CSRF Failed: {reason}")


def _require_user(request):
    user = request.user
    if not user.is_authenticated:
        raise ApiError(
            401,
            "not_authenticated",
            "Authentication credentials were not provided.",
            headers={"WWW-Authenticate": 'Bearer realm="api"'},
        )
    return user


def user_data(user):
    """The public description of a user in API responses."""
    data = {"id": user.pk, "username": user.get_username()}
    for name in ("email", "first_name", "last_name"):
        try:
            data[name] = getattr(user, name)
        except AttributeError:  # a custom user model without it
            pass
    data["is_staff"] = bool(getattr(user, "is_staff", False))
    return data


def auth_method(request):
    """How the request was authenticated: "token", "jwt", "session" or None."""
    if not request.user.is_authenticated:
        return None
    credential = _credential(request)
    if credential is None:
        return "session"
    return "jwt" if credential.kind == tokens.JWT else "token"


# ---- logging in (one path for every failure) --------------------------------------------


class LoginResult:
    __slots__ = ("user", "throttled", "retry_after")

    def __init__(self, user=None, throttled=False, retry_after=0):
        self.user = user
        self.throttled = throttled
        self.retry_after = retry_after


@sensitive_variables("password")
def check_login(request, username, password):
    """Throttle, then Django's ``authenticate``. The same steps run for an
    unknown username and a wrong password (the hasher runs either way, the
    counters are keyed by what was submitted)."""
    with login_throttle.attempt(username, client_address(request)) as verdict:  # counted before the hasher runs
        if verdict.blocked:
            return LoginResult(throttled=True, retry_after=verdict.retry_after)
        if verdict.delay:
            time.sleep(verdict.delay)
        credentials = {get_user_model().USERNAME_FIELD: username, "password": password}
        user = authenticate(request, **credentials)
        if user is None:
            return LoginResult()
        login_throttle.succeeded(verdict)
        return LoginResult(user=user)


# ---- browser routes ---------------------------------------------------------------------


def _render(request, template, context, status=200):
    context = {"registration_open": sesstok_settings.REGISTRATION_OPEN, "user": request.user, **context}
    return render(request, template, context, status=status)


def _redirect_target(request, default):
    target = request.POST.get(REDIRECT_FIELD_NAME) or request.GET.get(REDIRECT_FIELD_NAME) or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return default


def _url(name, request=None):
    namespace = getattr(getattr(request, "resolver_match", None), "namespace", "") or "sesstok"
    return reverse(f"{namespace}:{name}")


def _registration_form():
    from .forms import RegistrationForm

    return RegistrationForm


def _register_html(request):
    Form = _registration_form()
    if request.method == "POST":
        form = Form(request.POST)
        if form.is_valid():
            user = form.save()
            auth_login(
                request,
                user,
                backend="django.contrib.auth.backends.ModelBackend"
                if "django.contrib.auth.backends.ModelBackend" in settings.AUTHENTICATION_BACKENDS
                else settings.AUTHENTICATION_BACKENDS[0],
            )
            return HttpResponseRedirect(_redirect_target(request, _url("me", request)))
        status = 400
    else:
        form = Form()
        status = 200
    return _render(
        request, "sesstok/register.html", {"form": form, "next": _redirect_target(request, "")}, status=status
    )


def _register_json(request):
    try:
        data = _json_body(request)
        Form = _registration_form()
        username_field = get_user_model().USERNAME_FIELD
        for name, value in data.items():
            if isinstance(value, str) and not _storable(value):
                raise ApiError(400, "invalid_request", f"{name!r} must be a valid string.", field=name)
        form = Form(
            {
                username_field: data.get(username_field, data.get("username")),
                "password1": data.get("password"),
                "password2": data.get("password"),
                **{k: data[k] for k in Form.optional_fields if isinstance(data.get(k), str)},
            }
        )
        if not form.is_valid():
            errors = {
                ("password" if k in ("password1", "password2") else k): [str(m) for m in v]
                for k, v in form.errors.items()
            }
            raise ApiError(400, "invalid", "Registration failed.", errors=errors)
        user = form.save()
    except ApiError as e:
        return e.response()
    return JsonResponse({"user": user_data(user)}, status=201)


@page_view
@csrf_exempt
@sensitive_post_parameters("password1", "password2")
@never_cache
def register(request):
    """``register/``: sign up. 404 unless ``SESSTOK["REGISTRATION_OPEN"]``.

    HTML form (CSRF-protected; the new user is logged in with a session), or
    a JSON body ``{"username", "password"[, "email"]}`` answered with
    ``201 {"user": ...}`` and no cookie (log in with ``api/login/``)."""
    if not sesstok_settings.REGISTRATION_OPEN:
        raise Http404("Registration is closed.")
    if request.method == "POST" and request.content_type == "application/json":
        return _register_json(request)
    if request.method not in ("GET", "HEAD", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    return csrf_protect(ensure_csrf_cookie(_register_html))(request)


@page_view
@sensitive_post_parameters("password")
@csrf_protect
@ensure_csrf_cookie
@never_cache
def login(request):
    """``login/``: the browser login form; a session cookie on success, then
    a redirect to ``next`` (same host only) or ``me/``."""
    if request.method not in ("GET", "HEAD", "POST"):
        return HttpResponseNotAllowed(["GET", "POST"])
    context = {
        "next": _redirect_target(request, ""),
        "logged_out": request.GET.get("logged_out") == "1",
        "username": "",
    }
    status = 200
    if request.method == "POST":
        username = request.POST.get("username", "")
        password = request.POST.get("password", "")
        context["username"] = username[:150]
        if (
            not username
            or not password
            or len(username) > 4096
            or len(password) > 4096
            or not _storable(username)
            or not _storable(password)
        ):
            context["error"] = "Enter a username and a password."
            status = 400
        else:
            result = check_login(request, username, password)
            if result.user is not None:
                auth_login(request, result.user)
                return HttpResponseRedirect(_redirect_target(request, _url("me", request)))
            if result.throttled:
                context["error"] = (
                    f"Too many failed attempts from this address. Try again in {result.retry_after} seconds."
                )
                status = 429
            else:
                context["error"] = "Invalid username or password."
                status = 200
    response = _render(request, "sesstok/login.html", context, status=status)
    if status == 429:
        response["Retry-After"] = str(result.retry_after)
    return response


@page_view
@never_cache
def me(request):
    """``me/``: who is logged in (login required: redirects to ``login/``)."""
    if not request.user.is_authenticated:
        from django.contrib.auth.views import redirect_to_login

        return redirect_to_login(request.get_full_path(), _url("login", request))
    context = {
        "user_data": user_data(request.user),
        "auth_method": auth_method(request),
        "session_engine": settings.SESSION_ENGINE,
        "session_expiry": request.session.get_expiry_date() if hasattr(request, "session") else None,
    }
    return _render(request, "sesstok/me.html", context)


@page_view
@csrf_protect
@never_cache
def logout(request):
    """``logout/``: GET shows a confirmation form, POST logs out (this session;
    with ``everywhere=1``, every session and token of the user too) and
    redirects to ``login/``. Never on GET: a logout link on another site
    must not log anyone out."""
    if request.method == "POST":
        user = request.user
        if user.is_authenticated and request.POST.get("everywhere") == "1":
            _logout_everywhere(user)
        revocation.logout(request)
        return HttpResponseRedirect(_url("login", request) + "?logged_out=1")
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "POST"])
    if not request.user.is_authenticated:
        return HttpResponseRedirect(_url("login", request))
    return _render(request, "sesstok/logout.html", {"user_data": user_data(request.user)})


def _logout_everywhere(user):
    """Every session, opaque token, access and refresh token of user:
    ``revocation.logout_everywhere`` (one epoch bump, which also bumps the
    user cache) plus SimpleJWT's outstanding-token rows, in one bump."""
    from . import refresh_tokens

    count = refresh_tokens.blacklist_user(user)  # bump_epoch + SimpleJWT's blacklist rows
    tokens.revoke_user_tokens(user)  # the rest of revocation.logout_everywhere
    return count


# ---- API routes -------------------------------------------------------------------------


def _new_api_token(user, also=None):
    """An opaque token for an API login, named after the route and time.
    At ``TOKEN_MAX_PER_USER`` the user's least recently used api-login token
    makes room (a new device logs in; the oldest forgotten one goes), never
    a token created another way. "Least recently used" is
    ``Coalesce(last_used, created)``: a token never used counts from its
    creation, so neither the token in active use nor one another device
    received a moment ago is the victim (a bare ``order_by("last_used")``
    sorts NULLs first on SQLite, last on PostgreSQL). Eviction and creation
    are one transaction with the user's row locked: concurrent logins at
    the cap each evict one and all succeed. ``also(instance)``, if given,
    runs in the same transaction (the login's other effects: one fails, the
    token is rolled back and counts toward no cap); its result is returned
    third."""
    from django.db import transaction
    from django.db.models.functions import Coalesce
    from django.utils import timezone

    from .models import AuthToken
    from ._core import token_urlsafe

    prefix = sesstok_settings.API_TOKEN_NAME
    cap = sesstok_settings.TOKEN_MAX_PER_USER
    last = None
    for attempt in range(_busy.ATTEMPTS):
        name = f"{prefix} {timezone.now():%Y-%m-%d %H:%M:%S} {token_urlsafe(3)}"[:64]
        try:
            with transaction.atomic():
                if cap is not None:
                    # serialises logins of this user (SQLite: IMMEDIATE transactions, see README "Reliability")
                    get_user_model()._default_manager.select_for_update().filter(pk=user.pk).exists()
                    mine = AuthToken.objects.filter(user=user).active()
                    excess = mine.count() - cap + 1
                    if excess > 0:
                        victims = list(
                            mine.filter(name__startswith=prefix + " ")
                            .order_by(Coalesce("last_used", "created").asc(), "pk")
                            .values_list("pk", flat=True)[:excess]
                        )
                        AuthToken.objects.filter(pk__in=victims).delete()
                instance, plain = tokens.create_token(user, name)
                return instance, plain, also(instance) if also is not None else None
        except tokens.DuplicateTokenName:
            continue
        except tokens.TokenLimitExceeded:
            raise ApiError(409, "token_limit", "This account holds the most API tokens it may; revoke one.") from None
        except OperationalError as e:
            if not _busy.is_locked(e):  # SQLite's lock-upgrade deadlock: retried (sesstok._busy)
                raise
            _busy.backoff(attempt)
            last = e
    if last is not None:
        raise ApiError(503, "database_unavailable", _busy.BUSY_MESSAGE, headers={"Retry-After": "1"}) from last
    raise ApiError(409, "token_limit", "Could not create an API token; try again.")


@api_view(["POST"], csrf=None)
@sensitive_post_parameters()
@sensitive_variables("password", "data")
def api_login(request):
    """``api/login/``: ``{"username", "password"}`` →
    ``{"token", "token_type", "expires", "access", "refresh", "user"}``:
    an opaque API token (send it as ``Authorization: Token <token>``) and a
    SimpleJWT-compatible access/refresh pair (``Authorization: Bearer
    <access>``; renew at ``api/token/refresh/``)."""
    data = _json_body(request)
    username_field = get_user_model().USERNAME_FIELD
    username = _string(data, username_field if username_field in data else "username")
    password = _string(data, "password")
    result = check_login(request, username, password)
    if result.throttled:
        raise ApiError(
            429,
            "throttled",
            f"Too many failed login attempts. Try again in {result.retry_after} seconds.",
            headers={"Retry-After": str(result.retry_after)},
        )
    if result.user is None:
        raise ApiError(
            401,
            "invalid_credentials",
            "Invalid username or password.",
            headers={"WWW-Authenticate": 'Bearer realm="api"'},
        )
    user = result.user
    from . import refresh_tokens

    def pair_and_last_login(_instance):
        pair = refresh_tokens.issue_pair(user)  # reads the epoch: the store down rolls the token back
        if hasattr(user, "last_login"):
            # as SimpleJWT's UPDATE_LAST_LOGIN; no user_logged_in signal, whose
            # receivers expect a session login (a session cookie must not be set)
            from django.contrib.auth.models import update_last_login

            update_last_login(None, user)
        return pair

    instance, plain, pair = _new_api_token(user, also=pair_and_last_login)
    body = {
        "token": plain,
        "token_type": "Token",
        "expires": instance.expires.isoformat() if instance.expires else None,
        "access": pair["access"],
        "refresh": pair["refresh"],
        "user": user_data(user),
    }
    return _no_store(JsonResponse(body))


@api_view(["GET", "HEAD"])
def api_me(request):
    """``api/me/``: the authenticated user and how they authenticated."""
    user = _require_user(request)
    return JsonResponse({"user": user_data(user), "auth": auth_method(request)})


def _optional_json(request):
    """A JSON body if the request has one (other bodies are ignored)."""
    if request.content_type != "application/json" or request.META.get("CONTENT_LENGTH") in (None, "", "0"):
        return {}
    return _json_body(request)


@api_view(["POST"])
def api_logout(request):
    """``api/logout/``: revoke what authenticated this request (the opaque
    token, the access token's ``jti``, or the session), and the refresh
    token in an optional body ``{"refresh": ...}``."""
    user = _require_user(request)
    data = _optional_json(request)
    raw_refresh = _string(data, "refresh", required=False, limit=tokens.MAX_TOKEN_LENGTH)
    kind = revocation.logout(request)
    body = {"detail": "Logged out.", "revoked": [kind]}
    if kind == "jwt" and not revocation.jwt_denylist_enabled():
        body["revoked"] = []
        body["access_token"] = "valid until it expires: SESSTOK['JWT_DENYLIST'] is off"
    if raw_refresh is not None:
        from . import refresh_tokens

        try:
            payload = refresh_tokens.decode(raw_refresh, refresh_tokens.REFRESH)
        except tokens.AuthenticationError:
            payload = None  # expired, blacklisted already, or not a refresh token: nothing to revoke
        if payload is not None and str(payload.get(refresh_tokens.params().user_id_claim)) == str(
            getattr(user, refresh_tokens.params().user_id_field)
        ):
            refresh_tokens.blacklist(raw_refresh)
            body["revoked"].append("refresh")
    return JsonResponse(body)


@api_view(["POST"])
def api_logout_all(request):
    """``api/logout-all/``: log the user out everywhere: every opaque token
    deleted, every refresh token refused, the logout epoch bumped (sessions
    and access tokens are refused from their next request when the
    revocation store's denylists are on), this request's session or
    credential revoked."""
    user = _require_user(request)
    _logout_everywhere(user)
    if _credential(request) is None:
        revocation.logout(request)  # this browser's session, at once
    return JsonResponse(
        {
            "detail": "Logged out everywhere.",
            "revoked": {
                "api_tokens": True,
                "refresh_tokens": True,
                # stateless credentials can only be refused by the revocation store
                "sessions": revocation.session_denylist_enabled(),
                "access_tokens": revocation.jwt_denylist_enabled(),
            },
        }
    )


@api_view(["POST"], csrf=None)
def api_token_refresh(request):
    """``api/token/refresh/``: ``{"refresh"}`` → ``{"access"[, "refresh"]}``
    as SimpleJWT's ``TokenRefreshView`` (rotation and blacklisting per
    ``SIMPLE_JWT``). Errors: 401 ``token_not_valid``, ``no_active_account``."""
    data = _json_body(request)
    raw = _string(data, "refresh", limit=tokens.MAX_TOKEN_LENGTH)
    from . import refresh_tokens

    return _no_store(JsonResponse(refresh_tokens.refresh(raw)))


def csrf_failure(request, reason=""):
    """``CSRF_FAILURE_VIEW`` that answers API paths with JSON (code
    ``csrf_failed``) and everything else with Django's page."""
    from .middleware import TokenAuthenticationMiddleware

    if TokenAuthenticationMiddleware.is_api(request):
        return JsonResponse({"detail": f"CSRF Failed: {reason}", "code": "csrf_failed"}, status=403)
    from django.views.csrf import csrf_failure as django_csrf_failure

    return django_csrf_failure(request, reason=reason)
