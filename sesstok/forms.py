"""The registration form: Django's ``BaseUserCreationForm`` for whatever
``AUTH_USER_MODEL`` is (username field, optional email, password twice
checked by ``AUTH_PASSWORD_VALIDATORS``)."""

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.forms import BaseUserCreationForm

__all__ = ["RegistrationForm"]


class RegistrationForm(BaseUserCreationForm):
    optional_fields = ("email",)

    class Meta(BaseUserCreationForm.Meta):
        model = get_user_model()
        fields = (get_user_model().USERNAME_FIELD,)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        User = self._meta.model
        if "email" not in self.fields and User.USERNAME_FIELD != "email" and hasattr(User, "email"):
            self.fields["email"] = forms.EmailField(required=False, max_length=254)

    def clean(self):
        # as Django's UserCreationForm: refuse a name that differs from an
        # existing one only in case ("Alice" next to "alice")
        User = self._meta.model
        name = User.USERNAME_FIELD
        value = self.cleaned_data.get(name)
        if isinstance(value, str) and User._default_manager.filter(**{f"{name}__iexact": value}).exists():
            self.add_error(name, self.instance.unique_error_message(User, [name]))
        return super().clean()

    def save(self, commit=True):
        user = super().save(commit=False)
        if self.cleaned_data.get("email"):
            user.email = self.cleaned_data["email"]
        if commit:
            user.save()
        return user
