"""OpenAPI for drf-spectacular: security schemes for sesstok's
authentication classes and the request/response shapes of its token views.

Loaded by :mod:`.authentication` and :mod:`.views` when drf-spectacular is
installed (the extensions register themselves when this module is
imported); nothing to configure. The schemes:

- ``tokenAuth``: ``Authorization: Token <key>`` (apiKey in the header, as
  drf-spectacular describes DRF's TokenAuthentication);
- ``jwtAuth``: HTTP bearer, format JWT (SimpleJWT's AUTH_HEADER_TYPES /
  AUTH_HEADER_NAME respected); with ``SESSTOK["JWT_AUTH_COOKIE"]`` also
  ``jwtCookieAuth`` (apiKey in that cookie), either one sufficing.
"""

from drf_spectacular.drainage import warn
from drf_spectacular.extensions import OpenApiAuthenticationExtension, OpenApiSerializerExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from drf_spectacular.utils import inline_serializer
from rest_framework import serializers

from ...conf import sesstok_settings
from ...jwt_settings import jwt_settings

_AUTH = "sesstok.contrib.rest_framework.authentication"
_SER = "sesstok.contrib.rest_framework.serializers"


class TokenScheme(OpenApiAuthenticationExtension):
    target_class = f"{_AUTH}.TokenAuthentication"
    name = "tokenAuth"
    match_subclasses = True
    priority = 1

    def get_security_definition(self, auto_schema):
        return build_bearer_security_scheme_object(header_name="Authorization", token_prefix=self.target.keyword)


class JWTScheme(OpenApiAuthenticationExtension):
    target_class = f"{_AUTH}.JWTAuthentication"
    match_subclasses = True
    priority = 1

    @property
    def name(self):
        return ["jwtAuth", "jwtCookieAuth"] if sesstok_settings.JWT_AUTH_COOKIE else "jwtAuth"

    def get_security_requirement(self, auto_schema):
        if sesstok_settings.JWT_AUTH_COOKIE:
            return [{"jwtAuth": []}, {"jwtCookieAuth": []}]  # either
        return {"jwtAuth": []}

    def get_security_definition(self, auto_schema):
        types = jwt_settings.AUTH_HEADER_TYPES
        if len(types) > 1:
            warn(f'OpenAPI3 can only have one "bearerFormat". JWT Settings specify {types}. Using the first one.')
        header = build_bearer_security_scheme_object(
            header_name=jwt_settings.AUTH_HEADER_NAME, token_prefix=types[0], bearer_format="JWT"
        )
        if sesstok_settings.JWT_AUTH_COOKIE:
            return [header, {"type": "apiKey", "in": "cookie", "name": sesstok_settings.JWT_AUTH_COOKIE}]
        return header


class TokenObtainPairSerializerExtension(OpenApiSerializerExtension):
    target_class = f"{_SER}.TokenObtainPairSerializer"
    match_subclasses = True

    def map_serializer(self, auto_schema, direction):
        Fixed = inline_serializer(
            "Fixed",
            fields={
                self.target_class.username_field: serializers.CharField(write_only=True),
                "password": serializers.CharField(write_only=True),
                "access": serializers.CharField(read_only=True),
                "refresh": serializers.CharField(read_only=True),
            },
        )
        return auto_schema._map_serializer(Fixed, direction)


class TokenObtainSlidingSerializerExtension(OpenApiSerializerExtension):
    target_class = f"{_SER}.TokenObtainSlidingSerializer"
    match_subclasses = True

    def map_serializer(self, auto_schema, direction):
        Fixed = inline_serializer(
            "Fixed",
            fields={
                self.target_class.username_field: serializers.CharField(write_only=True),
                "password": serializers.CharField(write_only=True),
                "token": serializers.CharField(read_only=True),
            },
        )
        return auto_schema._map_serializer(Fixed, direction)


class TokenRefreshSerializerExtension(OpenApiSerializerExtension):
    target_class = f"{_SER}.TokenRefreshSerializer"

    def map_serializer(self, auto_schema, direction):
        if jwt_settings.ROTATE_REFRESH_TOKENS:

            class Fixed(serializers.Serializer):
                access = serializers.CharField(read_only=True)
                refresh = serializers.CharField()

        else:

            class Fixed(serializers.Serializer):
                access = serializers.CharField(read_only=True)
                refresh = serializers.CharField(write_only=True)

        return auto_schema._map_serializer(Fixed, direction)


class TokenVerifySerializerExtension(OpenApiSerializerExtension):
    target_class = f"{_SER}.TokenVerifySerializer"

    def map_serializer(self, auto_schema, direction):
        Fixed = inline_serializer("Fixed", fields={"token": serializers.CharField(write_only=True)})
        return auto_schema._map_serializer(Fixed, direction)
