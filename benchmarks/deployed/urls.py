from django.urls import path

from . import views

urlpatterns = [
    path("bare/", views.bare),
    path("whoami/", views.whoami),
    path("drf/<slug:name>/", views.drf),
]
