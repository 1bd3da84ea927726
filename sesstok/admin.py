"""Admin for API tokens: create (the key is shown once), revoke, inspect.

The plain token is rendered in the response to the add form and nowhere
else: it is not put in a message (messages may be stored in the session or
a cookie) and cannot be seen again.
"""

from django import forms
from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from .models import AuthToken, UserEpoch
from .conf import sesstok_settings
from .tokens import create_token


class AuthTokenAddForm(forms.ModelForm):
    class Meta:
        model = AuthToken
        fields = ("user", "name", "expires")

    def clean(self):
        cleaned = super().clean()
        user = cleaned.get("user")
        cap = sesstok_settings.TOKEN_MAX_PER_USER
        if user is not None and cap is not None:
            if AuthToken.objects.filter(user=user).active().count() >= cap:
                raise forms.ValidationError(
                    _("This user already holds the maximum number of tokens (%(cap)d)."), params={"cap": cap}
                )
        return cleaned


@admin.register(AuthToken)
class AuthTokenAdmin(admin.ModelAdmin):
    list_display = ("display_prefix", "name", "user", "origin", "created", "expires", "last_used")
    list_filter = ("origin", "created", "expires")
    search_fields = ("name", "display_prefix", "user__username")
    raw_id_fields = ("user",)
    readonly_fields = ("display_prefix", "origin", "created", "last_used")
    actions = ["revoke"]
    ordering = ("-created",)

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = AuthTokenAddForm
        return super().get_form(request, obj, **kwargs)

    def get_fields(self, request, obj=None):
        if obj is None:
            return ("user", "name", "expires")
        return ("user", "name", "display_prefix", "origin", "created", "expires", "last_used")

    def get_readonly_fields(self, request, obj=None):
        if obj is None:
            return ()
        return ("user", *self.readonly_fields)

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        # a new token: generated here, the instance the form built is replaced
        kwargs = {"expires": obj.expires} if obj.expires is not None else {}
        instance, plain = create_token(obj.user, obj.name, **kwargs)
        obj.pk = instance.pk
        obj.__dict__.update({f.attname: getattr(instance, f.attname) for f in instance._meta.concrete_fields})
        obj._state.adding = False
        request._sesstok_plain_token = plain

    def response_add(self, request, obj, post_url_continue=None):
        plain = getattr(request, "_sesstok_plain_token", None)
        if plain is None:  # pragma: no cover - save_model always sets it
            return super().response_add(request, obj, post_url_continue)
        context = {
            **self.admin_site.each_context(request),
            "title": _("Token created"),
            "opts": self.opts,
            "token": obj,
            "plain_token": plain,
        }
        response = TemplateResponse(request, "admin/sesstok/authtoken/created.html", context)
        response["Cache-Control"] = "no-store"
        return response

    @admin.action(description=_("Revoke selected tokens"), permissions=["delete"])
    def revoke(self, request, queryset):
        count, _ = queryset.delete()
        self.message_user(request, ngettext("%d token revoked.", "%d tokens revoked.", count) % count, messages.SUCCESS)


@admin.register(UserEpoch)
class UserEpochAdmin(admin.ModelAdmin):
    list_display = ("user", "epoch", "changed_at")
    raw_id_fields = ("user",)
    readonly_fields = ("user", "epoch", "changed_at")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
