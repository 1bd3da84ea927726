"""SimpleJWT's serializers, on sesstok's tokens.

Same classes, fields, hooks (``token_class``, ``get_token``,
``username_field``, ``default_error_messages``) and results as
``rest_framework_simplejwt.serializers``. A custom obtain serializer that
adds claims keeps working after changing its import::

    from sesstok.contrib.rest_framework.serializers import TokenObtainPairSerializer

    class MyTokenObtainPairSerializer(TokenObtainPairSerializer):
        @classmethod
        def get_token(cls, user):
            token = super().get_token(user)
            token["name"] = user.get_full_name()
            return token

    SIMPLE_JWT = {"TOKEN_OBTAIN_SERIALIZER": "myapp.serializers.MyTokenObtainPairSerializer"}

Errors: token problems raise :class:`sesstok.refresh_tokens.TokenError`,
which the views turn into SimpleJWT's ``401 token_not_valid``; account
problems DRF's ``AuthenticationFailed`` with SimpleJWT's messages.
"""

from django.contrib.auth import authenticate, get_user_model
from django.contrib.auth.models import update_last_login
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, serializers
from rest_framework.exceptions import ValidationError

from ... import refresh_tokens as core
from ...exceptions import AuthenticationError, StoreUnavailable, TokenRevoked
from ...jwt_settings import jwt_settings
from ...refresh_tokens import AccountError
from .exceptions import AuthenticationFailed, ServiceUnavailable
from .tokens import RefreshToken, SlidingToken, lifetimes_from_settings

__all__ = [
    "PasswordField",
    "TokenObtainSerializer",
    "TokenObtainPairSerializer",
    "TokenObtainSlidingSerializer",
    "TokenRefreshSerializer",
    "TokenRefreshSlidingSerializer",
    "TokenVerifySerializer",
    "TokenBlacklistSerializer",
]


def _account_errors(call, *args):
    """Run a refresh_tokens call; its account errors become DRF's
    (TokenError passes through to the view)."""
    try:
        return call(*args)
    except core.TokenError:
        raise
    except AccountError as e:
        raise exceptions.AuthenticationFailed(
            _("No active account found for the given token."), "no_active_account"
        ) from e
    except StoreUnavailable as e:
        raise ServiceUnavailable(e) from e
    except AuthenticationError as e:
        raise AuthenticationFailed(e.message, code=e.code) from e


class PasswordField(serializers.CharField):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("style", {})
        kwargs["style"]["input_type"] = "password"
        kwargs["write_only"] = True
        super().__init__(*args, **kwargs)


class TokenObtainSerializer(serializers.Serializer):
    username_field = get_user_model().USERNAME_FIELD
    token_class = None

    default_error_messages = {"no_active_account": _("No active account found with the given credentials")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields[self.username_field] = serializers.CharField(write_only=True)
        self.fields["password"] = PasswordField()

    def validate(self, attrs):
        authenticate_kwargs = {self.username_field: attrs[self.username_field], "password": attrs["password"]}
        try:
            authenticate_kwargs["request"] = self.context["request"]
        except KeyError:
            pass
        self.user = authenticate(**authenticate_kwargs)
        if not jwt_settings.USER_AUTHENTICATION_RULE(self.user):
            raise exceptions.AuthenticationFailed(self.error_messages["no_active_account"], "no_active_account")
        return {}

    @classmethod
    def get_token(cls, user):
        return cls.token_class.for_user(user)


def _plain_get_token(serializer_class):
    """Whether get_token is ours, unchanged (then the fast path may mint)."""
    return serializer_class.get_token.__func__ is TokenObtainSerializer.get_token.__func__


class TokenObtainPairSerializer(TokenObtainSerializer):
    token_class = RefreshToken

    def validate(self, attrs):
        data = super().validate(attrs)
        if self.token_class is RefreshToken and _plain_get_token(type(self)) and lifetimes_from_settings():
            data.update(core.issue_pair(self.user))
        else:
            refresh = self.get_token(self.user)
            data["refresh"] = str(refresh)
            data["access"] = str(refresh.access_token)
        if jwt_settings.UPDATE_LAST_LOGIN:
            update_last_login(None, self.user)
        return data


class TokenObtainSlidingSerializer(TokenObtainSerializer):
    token_class = SlidingToken

    def validate(self, attrs):
        data = super().validate(attrs)
        token = self.get_token(self.user)
        data["token"] = str(token)
        if jwt_settings.UPDATE_LAST_LOGIN:
            update_last_login(None, self.user)
        return data


class TokenRefreshSerializer(serializers.Serializer):
    refresh = serializers.CharField()
    access = serializers.CharField(read_only=True)
    token_class = RefreshToken

    default_error_messages = {"no_active_account": _("No active account found for the given token.")}

    def validate(self, attrs):
        if self.token_class is RefreshToken:
            return _account_errors(core.refresh, attrs["refresh"])
        # a custom token class: SimpleJWT's algorithm, through the class
        refresh = self.token_class(attrs["refresh"])
        user_id = refresh.payload.get(jwt_settings.USER_ID_CLAIM, None)
        if user_id:
            user = core.get_user(user_id)
            if user is None or not jwt_settings.USER_AUTHENTICATION_RULE(user):
                raise exceptions.AuthenticationFailed(self.error_messages["no_active_account"], "no_active_account")
            _account_errors(core.check_user, refresh.payload, user)
        data = {"access": str(refresh.access_token)}
        if jwt_settings.ROTATE_REFRESH_TOKENS:
            if jwt_settings.BLACKLIST_AFTER_ROTATION:
                refresh.blacklist()
            refresh.set_jti()
            refresh.set_exp()
            refresh.set_iat()
            refresh.outstand()
            data["refresh"] = str(refresh)
        return data


class TokenRefreshSlidingSerializer(serializers.Serializer):
    token = serializers.CharField()
    token_class = SlidingToken

    def validate(self, attrs):
        if self.token_class is SlidingToken:
            return _account_errors(core.refresh_sliding, attrs["token"])
        token = self.token_class(attrs["token"])
        token.check_exp(jwt_settings.SLIDING_TOKEN_REFRESH_EXP_CLAIM)
        token.set_exp()
        token.set_iat()
        return {"token": str(token)}


class TokenVerifySerializer(serializers.Serializer):
    token = serializers.CharField(write_only=True)

    def validate(self, attrs):
        """SimpleJWT's (any valid token), and a revoked one is refused:
        400 "Token is blacklisted" as SimpleJWT answers a blacklisted one;
        a gone or inactive user is a 401 token_not_valid."""
        try:
            core.verify_token(attrs["token"])
        except TokenRevoked as e:
            raise ValidationError(_("Token is blacklisted")) from e
        except StoreUnavailable as e:
            raise ServiceUnavailable(e) from e
        return {}


class TokenBlacklistSerializer(serializers.Serializer):
    refresh = serializers.CharField(write_only=True)
    token_class = RefreshToken

    def validate(self, attrs):
        if self.token_class is RefreshToken:
            core.blacklist(attrs["refresh"])
        else:
            self.token_class(attrs["refresh"]).blacklist()
        return {}
