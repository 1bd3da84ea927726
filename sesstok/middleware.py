"""Token authentication middleware (WSGI and ASGI)::

    MIDDLEWARE = [
        "django.middleware.security.SecurityMiddleware",
        "django.contrib.sessions.middleware.SessionMiddleware",
        "django.middleware.csrf.CsrfViewMiddleware",
        "django.contrib.auth.middleware.AuthenticationMiddleware",
        "sesstok.middleware.TokenAuthenticationMiddleware",   # after auth's
        ...
    ]

Credentials, first found wins:

1. ``Authorization: Token <opaque token>`` or ``Authorization: Bearer <token>``
   (``SESSTOK["AUTH_HEADER_KEYWORDS"]``). Under ``Bearer`` the token's shape
   says what it is: three base64url segments are a JWT; the
   ``SESSTOK["TOKEN_PREFIX"]`` or 40 hex digits (an imported DRF key) an
   opaque token. Other schemes (``Basic`` ...) are left alone.
2. The cookie ``SESSTOK["TOKEN_COOKIE_NAME"]`` (off by default). Like a
   session cookie it is sent by the browser on its own, so unsafe methods
   (POST, PUT, PATCH, DELETE) must pass Django's CSRF check, whether or not
   the view is ``csrf_exempt`` (as DRF's ``SessionAuthentication`` does).
3. The query parameter ``SESSTOK["TOKEN_QUERY_PARAM"]`` (off by default:
   URLs end up in logs and Referer headers).

A request whose credential is in the ``Authorization`` header is exempt from
Django's CSRF check: browsers never send that header on their own and a
cross-site page cannot add it, so it cannot be forged (DRF's token
authentication works the same way). Cookie and query-parameter credentials
get no such exemption.

With a credential, ``request.user`` becomes lazy (nothing is read until it is
used) and ``request.auser()`` its async twin; without one, whatever an
earlier middleware set is kept. Under ``SESSTOK["API_PATH_PREFIXES"]``
(``/api/``) a credential is checked at once and a bad one answered with::

    HTTP 401  {"detail": "Invalid token.", "code": "invalid_token"}

Codes: ``malformed_token``, ``invalid_token`` (unknown, revoked, tampered,
user inactive or password changed), ``token_expired``, ``csrf_failed``
(403) and ``revocation_unavailable`` (503). Elsewhere a bad credential makes
the request anonymous.

On a view DRF serves, the 401 is deferred (``process_view``): the request
goes on anonymous and the view's authentication classes answer as DRF or
SimpleJWT would. A 503 stays the middleware's everywhere, and so does a
revocation only sesstok knows of when the view lists a class not sesstok's.
"""

from functools import partial

from asgiref.sync import iscoroutinefunction, markcoroutinefunction
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.auth.models import AnonymousUser
from django.http import HttpResponse, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware, _get_failure_view
from django.utils.crypto import constant_time_compare
from django.utils.functional import SimpleLazyObject

from . import tokens, user_cache
from .access_tokens import aauthenticate_access_token, authenticate_access_token
from .backends import TokenBackend
from .conf import sesstok_settings
from .exceptions import AuthenticationError, StoreUnavailable
from .installed import require_app

__all__ = [
    "TokenAuthenticationMiddleware",
    "AuthenticationMiddleware",
    "Credential",
    "get_session_user",
    "aget_session_user",
    "defers_to_drf",
    "verified",
]

HEADER = "header"
COOKIE = "cookie"
QUERY = "query"

_SAFE_METHODS = frozenset(("GET", "HEAD", "OPTIONS", "TRACE"))


class Credential:
    """What the request presented: ``raw`` token, ``kind`` (tokens.OPAQUE,
    tokens.DRF, tokens.JWT), ``transport`` ("header", "cookie", "query") and,
    once checked, the ``token`` it matched (an AuthToken or a JWT payload)."""

    __slots__ = ("raw", "kind", "transport", "keyword", "token")

    def __init__(self, raw, kind, transport, keyword="Bearer"):
        self.raw = raw
        self.kind = kind
        self.transport = transport
        self.keyword = keyword
        self.token = None

    def __repr__(self):
        return f"<Credential {self.kind} from {self.transport}>"


def _malformed(transport, keyword="Bearer"):
    error = tokens.malformed()
    error.transport = transport
    error.keyword = keyword
    return error


_cache = {}


@sesstok_settings.on_change
def _forget_keywords():
    _cache.clear()


def _keywords():
    """AUTH_HEADER_KEYWORDS by their lower-case spelling, once per settings change."""
    keywords = _cache.get("keywords")
    if keywords is None:
        keywords = _cache["keywords"] = {k.lower(): k for k in sesstok_settings.AUTH_HEADER_KEYWORDS}
    return keywords


def read_credential(request):
    """The request's Credential, None if it presents none, or raise
    AuthenticationError("malformed_token")."""
    header = request.META.get("HTTP_AUTHORIZATION")
    if header:
        scheme, _, rest = header.partition(" ")
        keyword = _keywords().get(scheme.lower())
        if keyword is not None:
            parts = rest.split()
            if len(parts) != 1 or rest != parts[0]:
                raise _malformed(HEADER, keyword)
            raw = parts[0]
            kind = tokens.shape(raw)
            if kind is None or (kind == tokens.JWT and keyword.lower() == "token"):
                raise _malformed(HEADER, keyword)
            return Credential(raw, kind, HEADER, keyword)
    for transport, name, source in (
        (COOKIE, sesstok_settings.TOKEN_COOKIE_NAME, request.COOKIES),
        (QUERY, sesstok_settings.TOKEN_QUERY_PARAM, None),
    ):
        if not name:
            continue
        raw = (source if source is not None else request.GET).get(name)
        if raw is None or raw == "":
            continue
        kind = tokens.shape(raw)
        if kind is None:
            raise _malformed(transport)
        return Credential(raw, kind, transport)
    return None


class _CSRFCheck(CsrfViewMiddleware):
    # report the reason instead of rendering the failure view (as DRF does)
    def _reject(self, request, reason):
        return reason


def csrf_failure_reason(request):
    """Django's CSRF check for a request authenticated by a cookie: None if
    it passes, else the reason. csrf_exempt does not apply (the view is not
    known yet, and cookie auth must not be exempt)."""
    check = _CSRFCheck(lambda request: None)
    check.process_request(request)
    return check.process_view(request, None, (), {})


class TokenAuthenticationMiddleware:
    sync_capable = True
    async_capable = True

    def __init__(self, get_response):
        require_app(self)  # hook: ImproperlyConfigured without "sesstok" in INSTALLED_APPS
        self.get_response = get_response
        self.async_mode = iscoroutinefunction(get_response)
        if self.async_mode:
            markcoroutinefunction(self)
        self.backend = TokenBackend()

    # -- checking ----------------------------------------------------------------

    def _allowed(self, user):
        if not self.backend.user_can_authenticate(user):
            raise tokens.invalid("User inactive or deleted.")
        return user

    def authenticate(self, credential):
        """The user for a credential, or raise AuthenticationError."""
        if credential.kind == tokens.JWT:
            user, credential.token = authenticate_access_token(credential.raw)
        else:
            user, credential.token = tokens.authenticate_token(credential.raw)
        return self._allowed(user)

    async def aauthenticate(self, credential):
        if credential.kind == tokens.JWT:
            user, credential.token = await aauthenticate_access_token(credential.raw)
        else:
            user, credential.token = await tokens.aauthenticate_token(credential.raw)
        return self._allowed(user)

    # A refused credential makes the request anonymous; a check that could
    # not run (StoreUnavailable) propagates to process_exception: a 503.

    def _user_or_anonymous(self, request, credential):
        if not hasattr(request, "_sesstok_user"):
            try:
                request._sesstok_user = self.authenticate(credential)
            except StoreUnavailable:
                raise
            except AuthenticationError:
                request._sesstok_user = AnonymousUser()
        return request._sesstok_user

    async def _auser_or_anonymous(self, request, credential):
        if not hasattr(request, "_sesstok_user"):
            try:
                request._sesstok_user = await self.aauthenticate(credential)
            except StoreUnavailable:
                raise
            except AuthenticationError:
                request._sesstok_user = AnonymousUser()
        return request._sesstok_user

    # -- responses ---------------------------------------------------------------

    @staticmethod
    def is_api(request):
        return request.path_info.startswith(tuple(sesstok_settings.API_PATH_PREFIXES))

    @staticmethod
    def error_response(error, keyword="Bearer"):
        response = JsonResponse({"detail": str(error.message), "code": error.code}, status=error.status)
        if error.status == 401:
            response["WWW-Authenticate"] = f'{keyword} realm="api", error="invalid_token"'
        elif isinstance(error, StoreUnavailable):
            response["Retry-After"] = str(error.retry_after)
        return response

    @classmethod
    def unavailable_response(cls, request, error):
        """503 for a check that could not run: JSON on API paths, a page elsewhere."""
        if cls.is_api(request):
            return cls.error_response(error)
        response = HttpResponse(
            "<!doctype html><title>503 Service Unavailable</title><h1>Service Unavailable</h1>"
            "<p>Please try again in a moment.</p>",
            status=503,
        )
        response["Retry-After"] = str(error.retry_after)
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        """Answer a refusal recorded on an API path, unless DRF serves the
        view: then DRF's authentication classes answer it in their own words
        (the request is anonymous meanwhile)."""
        refusal = getattr(request, "_sesstok_refusal", None)
        if refusal is None or defers_to_drf(view_func, refusal[0]):
            return None
        return self.error_response(*refusal)

    def process_exception(self, request, exception):
        if isinstance(exception, StoreUnavailable):
            return self.unavailable_response(request, exception)
        return None

    def csrf_response(self, request, reason):
        if self.is_api(request):
            return JsonResponse({"detail": f"CSRF Failed: {reason}", "code": "csrf_failed"}, status=403)
        return _get_failure_view()(request, reason=reason)

    # -- the request -------------------------------------------------------------

    def _start(self, request):
        """(credential, early response)."""
        try:
            credential = read_credential(request)
        except AuthenticationError as e:
            if self.is_api(request):
                _refused(request, e, getattr(e, "keyword", "Bearer"))
            else:
                _anonymize(request)
            return None, None
        if credential is None:
            return None, None
        if credential.transport == COOKIE and request.method not in _SAFE_METHODS:
            reason = csrf_failure_reason(request)
            if reason is not None:
                return None, self.csrf_response(request, reason)
        elif credential.transport == HEADER:
            # A browser never attaches Authorization: Token/Bearer by itself and
            # a cross-site page cannot add it without a CORS preflight, so a
            # request that carries one is not a forged one (as DRF's token auth).
            request._dont_enforce_csrf_checks = True
        request.sesstok_credential = credential
        return credential, None

    def __call__(self, request):
        if self.async_mode:
            return self.__acall__(request)
        credential, response = self._start(request)
        if response is not None:
            return response
        if credential is not None:
            if self.is_api(request):
                try:
                    request._sesstok_user = self.authenticate(credential)
                except StoreUnavailable as e:
                    return self.error_response(e)  # a 503 on every view, DRF's too
                except AuthenticationError as e:
                    _refused(request, e, credential.keyword)
                    return self.get_response(request)
            request.user = SimpleLazyObject(partial(self._user_or_anonymous, request, credential))
            request.auser = partial(self._auser_or_anonymous, request, credential)
        elif not hasattr(request, "user"):  # used without AuthenticationMiddleware
            request.user = AnonymousUser()
            request.auser = _anonymous
        return self.get_response(request)

    async def __acall__(self, request):
        credential, response = self._start(request)
        if response is not None:
            return response
        if credential is not None:
            if self.is_api(request):
                try:
                    request._sesstok_user = await self.aauthenticate(credential)
                except StoreUnavailable as e:
                    return self.error_response(e)  # a 503 on every view, DRF's too
                except AuthenticationError as e:
                    _refused(request, e, credential.keyword)
                    return await self.get_response(request)
            request.user = SimpleLazyObject(partial(self._user_or_anonymous, request, credential))
            request.auser = partial(self._auser_or_anonymous, request, credential)
        elif not hasattr(request, "user"):
            request.user = AnonymousUser()
            request.auser = _anonymous
        return await self.get_response(request)


async def _anonymous():
    return AnonymousUser()


def _anonymize(request):
    request.user = AnonymousUser()
    request.auser = _anonymous


def _refused(request, error, keyword):
    """Record a refusal on an API path for process_view; the request is anonymous."""
    request._sesstok_refusal = (error, keyword)
    request.__dict__.pop("sesstok_credential", None)  # nothing to log out or reuse
    _anonymize(request)


def _drf_view_class(view_func):
    """The APIView subclass serving view_func, or None (DRF not installed or
    not imported means no DRF view)."""
    import sys

    views = sys.modules.get("rest_framework.views")
    cls = getattr(view_func, "cls", None)
    if views is None or not isinstance(cls, type) or not issubclass(cls, views.APIView):
        return None
    return cls


def defers_to_drf(view_func, error):
    """Whether a refusal is left to the DRF view's authentication classes.
    A revocation only sesstok knows of (a denylisted jti, a logout
    everywhere, a password change) is left only to sesstok's own classes:
    SimpleJWT's would accept the token."""
    cls = _drf_view_class(view_func)
    if cls is None:
        return False
    if not getattr(error, "revoked", False):
        return True
    classes = getattr(view_func, "initkwargs", {}).get("authentication_classes", cls.authentication_classes)
    return all(c.__module__.startswith("sesstok.") for c in classes)


def verified(request, raw, *, jwt):
    """``(user, token)`` if this middleware already authenticated the
    credential ``raw`` (str or bytes; a JWT or, with ``jwt=False``, an
    opaque token) on this request, else None: sesstok's DRF classes reuse
    it instead of checking the same token again."""
    request = getattr(request, "_request", request)  # a DRF Request
    credential = getattr(request, "sesstok_credential", None)
    user = request.__dict__.get("_sesstok_user")
    if credential is None or credential.token is None or user is None or not user.is_authenticated:
        return None
    if (credential.kind == tokens.JWT) != jwt:
        return None
    if isinstance(raw, bytes):
        raw = raw.decode("latin-1")
    if not constant_time_compare(raw, credential.raw):
        return None
    return user, credential.token


# ---- session users through the user cache ------------------------------------------


class _SessionAuth:
    """Django's ``get_user``/``aget_user`` (django.contrib.auth), with the user
    loaded through :mod:`sesstok.user_cache` when the session's backend loads
    users as ``ModelBackend`` does, and the session auth hash of a cached
    user computed once per cached copy. The checks are Django's, in Django's
    order: backend still configured, ``user_can_authenticate``, session hash
    (fallback keys cycle the session), else the session is flushed."""

    def __init__(self):
        self._backends = {}

    def backend(self, path):
        """(backend instance, whether it loads users like ModelBackend)."""
        found = self._backends.get(path)
        if found is None:
            from django.contrib.auth import load_backend
            from django.contrib.auth.backends import ModelBackend

            backend = load_backend(path)
            model_like = isinstance(backend, ModelBackend) and (
                type(backend).get_user is ModelBackend.get_user and type(backend).aget_user is ModelBackend.aget_user
            )
            found = self._backends[path] = (backend, model_like)
        return found

    @staticmethod
    def _default_hash(user):
        from django.contrib.auth.base_user import AbstractBaseUser

        cls = type(user)
        return (
            getattr(cls, "get_session_auth_hash", None) is AbstractBaseUser.get_session_auth_hash
            and getattr(cls, "_get_session_auth_hash", None) is AbstractBaseUser._get_session_auth_hash
        )

    def _auth_hash(self, user, entry):
        if entry is None or not self._default_hash(user):
            return user.get_session_auth_hash()
        memo = entry.memo
        if memo is None:
            # depends only on the password and SECRET_KEY; the entry is
            # dropped when either changes (version bump, settings reload)
            memo = entry.memo = user.get_session_auth_hash()
        return memo

    def _load(self, path, user_id, session):
        backend, model_like = self.backend(path)
        if not model_like:
            from django.contrib.auth import get_user_model

            return backend.get_user(get_user_model()._meta.pk.to_python(user_id)), None
        # the user's version, if the session engine's revocation check read it
        user, entry = user_cache.get_user_entry(user_id, seen=getattr(session, "_sesstok_seen", None))
        if user is None or not backend.user_can_authenticate(user):
            return None, None
        return user, entry

    def get_user(self, request):
        user = None
        session = request.session
        try:
            user_id = session[SESSION_KEY]
            backend_path = session[BACKEND_SESSION_KEY]
        except KeyError:
            return AnonymousUser()
        if backend_path in settings.AUTHENTICATION_BACKENDS:
            user, entry = self._load(backend_path, user_id, session)
            if hasattr(user, "get_session_auth_hash"):
                session_hash = session.get(HASH_SESSION_KEY)
                if not session_hash:
                    verified = False
                else:
                    session_auth_hash = self._auth_hash(user, entry)
                    verified = constant_time_compare(session_hash, session_auth_hash)
                if not verified:
                    if session_hash and any(
                        constant_time_compare(session_hash, fallback)
                        for fallback in user.get_session_auth_fallback_hash()
                    ):
                        session.cycle_key()
                        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
                    else:
                        session.flush()
                        user = None
        return user or AnonymousUser()

    async def _aload(self, path, user_id, session):
        backend, model_like = self.backend(path)
        if not model_like:
            from django.contrib.auth import get_user_model

            return await backend.aget_user(get_user_model()._meta.pk.to_python(user_id)), None
        from asgiref.sync import sync_to_async

        seen = getattr(session, "_sesstok_seen", None)
        user, entry = await sync_to_async(user_cache.get_user_entry)(user_id, seen=seen)
        if user is None or not backend.user_can_authenticate(user):
            return None, None
        return user, entry

    async def aget_user(self, request):
        user = None
        session = request.session
        try:
            user_id = await session.aget(SESSION_KEY)
            backend_path = await session.aget(BACKEND_SESSION_KEY)
            if user_id is None or backend_path is None:
                raise KeyError
        except KeyError:
            return AnonymousUser()
        if backend_path in settings.AUTHENTICATION_BACKENDS:
            user, entry = await self._aload(backend_path, user_id, session)
            if hasattr(user, "get_session_auth_hash"):
                session_hash = await session.aget(HASH_SESSION_KEY)
                if not session_hash:
                    verified = False
                else:
                    verified = constant_time_compare(session_hash, self._auth_hash(user, entry))
                if not verified:
                    if session_hash and any(
                        constant_time_compare(session_hash, fallback)
                        for fallback in user.get_session_auth_fallback_hash()
                    ):
                        await session.acycle_key()
                        await session.aset(HASH_SESSION_KEY, user.get_session_auth_hash())
                    else:
                        await session.aflush()
                        user = None
        return user or AnonymousUser()


_session_auth = _SessionAuth()


@sesstok_settings.on_change
def _forget_backends():
    _session_auth._backends.clear()


def get_session_user(request):
    """``django.contrib.auth.get_user(request)`` through the user cache."""
    return _session_auth.get_user(request)


async def aget_session_user(request):
    """``django.contrib.auth.aget_user(request)`` through the user cache."""
    return await _session_auth.aget_user(request)


def _cached_session_user(request):
    if not hasattr(request, "_cached_user"):
        request._cached_user = _session_auth.get_user(request)
    return request._cached_user


async def _acached_session_user(request):
    if not hasattr(request, "_acached_user"):
        request._acached_user = await _session_auth.aget_user(request)
    return request._acached_user


def _auth_middleware_base():
    from django.contrib.auth.middleware import AuthenticationMiddleware as Base

    return Base


class AuthenticationMiddleware(_auth_middleware_base()):
    """Drop-in for ``django.contrib.auth.middleware.AuthenticationMiddleware``
    that loads the session's user through :mod:`sesstok.user_cache` (with
    ``SESSTOK["USER_CACHE"]`` set; else one prepared query, still cheaper
    than the ORM's ``get()``)::

        MIDDLEWARE = [
            "django.contrib.sessions.middleware.SessionMiddleware",
            "django.middleware.csrf.CsrfViewMiddleware",
            "sesstok.middleware.AuthenticationMiddleware",      # instead of Django's
            "sesstok.middleware.TokenAuthenticationMiddleware",
        ]

    Sessions stay Django's: same keys, same backend path, the same session
    auth hash check against ``SECRET_KEY`` and its fallbacks. Backends whose
    ``get_user`` is not ``ModelBackend``'s are called as Django calls them."""

    def __init__(self, get_response):
        require_app(self)  # hook: ImproperlyConfigured without "sesstok" in INSTALLED_APPS
        super().__init__(get_response)

    def process_request(self, request):
        if not hasattr(request, "session"):
            super().process_request(request)  # raises Django's ImproperlyConfigured
            return
        request.user = SimpleLazyObject(partial(_cached_session_user, request))
        request.auser = partial(_acached_session_user, request)
