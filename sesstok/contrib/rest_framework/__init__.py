"""Django REST framework integration: authentication classes, token views,
SimpleJWT-compatible tokens. See docs/drf.md.

Importing this package does not import DRF; its modules
``authentication``, ``views``, ``serializers``, ``urls`` and ``schema`` do.
``tokens``, ``settings``, ``jwks`` and ``checks`` are plain Django.

::

    REST_FRAMEWORK = {
        "DEFAULT_AUTHENTICATION_CLASSES": [
            "sesstok.contrib.rest_framework.authentication.JWTAuthentication",
            "sesstok.contrib.rest_framework.authentication.TokenAuthentication",
        ],
    }
"""
