"""Forms of the developer console. They validate; services write."""

from __future__ import annotations

from datetime import timedelta
from typing import cast

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile, File
from oauth2_provider.models import get_application_model

from portal.clients import grants, names
from portal.clients.logos import normalize_logo
from portal.clients.models import URL_MAX_LENGTH, ClientSecret
from portal.clients.services import EDITABLE_FIELDS
from portal.teams.models import TEAM_NAME_MAX_LENGTH
from portal.teams.roles import Role

GRANT_HELP = {
    grants.AUTHORIZATION_CODE: "Web, mobile and desktop apps that sign people in (PKCE, refresh tokens).",
    grants.CLIENT_CREDENTIALS: "Server-to-server calls made on the app's own behalf, with no user.",
    grants.DEVICE_CODE: "Devices without a browser or keyboard, such as TVs and command-line tools.",
    grants.IMPLICIT: "Deprecated by RFC 9700: tokens in the URL leak. Use authorization code with PKCE.",
    grants.PASSWORD: "Deprecated by RFC 9700: the app sees the user's password. Use authorization code.",
    grants.OPENID_HYBRID: "Deprecated by RFC 9700 for the same reasons as implicit. Use authorization code.",
}


class UriListField(forms.CharField):
    """One URI per line (spaces also separate) in the form; DOT's space-separated string in the model."""

    widget = forms.Textarea(attrs={"rows": 3, "spellcheck": "false", "autocapitalize": "off"})

    def to_python(self, value):
        return " ".join((value or "").split())

    def prepare_value(self, value):
        return "\n".join((value or "").split())


def _url_field(label: str) -> forms.URLField:
    # A scheme-less entry becomes https://, not http:// (Django 6's default, chosen now).
    return forms.URLField(required=False, max_length=URL_MAX_LENGTH, label=label, assume_scheme="https")


LOGO_CHOOSE_AGAIN = (
    "The logo you chose was not kept while you confirmed your password. Choose the file again and save."
)


class ApplicationForm(forms.ModelForm):
    name = forms.CharField(max_length=100, help_text="People see this name when the app asks for access.")
    homepage_url = _url_field("Homepage URL")
    privacy_policy_url = _url_field("Privacy policy URL")
    terms_of_service_url = _url_field("Terms of service URL")
    grant_types = forms.MultipleChoiceField(
        choices=[
            (value, grants.LABELS.get(value, label)) for value, label in get_application_model().GRANT_TYPES
        ],
        widget=forms.CheckboxSelectMultiple,
        help_text="Choose every flow the app uses.",
    )
    redirect_uris = UriListField(
        required=False,
        label="Redirect URIs",
        help_text="One per line, matched exactly. https, or http only on 127.0.0.1, [::1] or localhost; "
        "native apps may use a private-use scheme such as com.example.app:/callback.",
    )
    post_logout_redirect_uris = UriListField(
        required=False,
        label="Post-logout redirect URIs",
        help_text="Where people may land after signing out.",
    )
    allowed_origins = UriListField(
        required=False,
        label="Allowed origins (CORS)",
        help_text="Origins of browser apps that call the token endpoint, e.g. https://app.example.com.",
    )
    logo = forms.FileField(
        required=False,
        help_text="PNG, JPEG, GIF or WebP, up to 1 MiB and 4096×4096 pixels; cropped square to 256×256.",
        widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg,image/gif,image/webp"}),
    )

    class Meta:
        model = get_application_model()
        # What a developer edits is decided once, by the service that writes it.
        fields = list(EDITABLE_FIELDS)
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}
        help_texts = {
            "client_type": "Confidential: a server that can keep a secret. Public: a browser or mobile app, "
            "which cannot.",
            "description": "Shown to people when your app asks for access.",
        }

    def __init__(self, *args, kept_logo: File | None = None, kept_logo_lost: bool = False, **kwargs):
        """`kept_logo`: the logo of this edit, kept while the person re-authenticated (portal/reauth.py);
        `kept_logo_lost`: there was one, but it is gone (not re-authenticated within a day)."""
        super().__init__(*args, **kwargs)
        self.kept_logo = kept_logo
        self.kept_logo_lost = kept_logo_lost
        allowed = set(self.instance.staff_allowed_grants or [])
        # Deprecated grants are offered only where staff allowed them; the page says why the rest are off.
        self.deprecated_unavailable = sorted(grants.DEPRECATED - allowed)
        cast(forms.MultipleChoiceField, self.fields["grant_types"]).choices = [
            (value, label)
            for value, label in get_application_model().GRANT_TYPES
            if value in grants.SELF_SERVICE or value in allowed
        ]
        self.normalized_logo: ContentFile | None = None
        if self.instance.pk:
            # An app from createapplication has its grant only in DOT's field: tick it here too.
            self.initial["grant_types"] = self.instance.registered_grant_types()
            # A change waiting for review is what the developer last asked for: show it, so saving the
            # form again keeps it (the service compares what is submitted with the live app).
            for field, value in self.instance.proposed_changes.items():
                if field in self.fields and field != "logo":
                    self.initial[field] = value

    def grant_options(self):
        """Each grant checkbox with a sentence on when to use it."""
        return [(option, GRANT_HELP[option.data["value"]]) for option in self["grant_types"]]

    def clean(self):
        cleaned = super().clean() or self.cleaned_data
        chosen = cleaned.get("grant_types")
        if chosen:
            # The model's checks read DOT's single grant field, which ModelForm does not fill: the model's
            # rule keeps it in step (and the list in DOT's order) before they run.
            self.instance.set_grant_types(chosen)
            cleaned["grant_types"] = self.instance.grant_types
        return cleaned

    def clean_logo(self):
        # A kept logo is validated again, as any upload: it was read back from storage.
        upload = self.cleaned_data.get("logo") or self.kept_logo
        if upload:
            self.normalized_logo = normalize_logo(upload)
        elif self.kept_logo_lost:
            raise ValidationError(LOGO_CHOOSE_AGAIN, code="kept_logo_lost")
        return None  # the service stores the normalised file, never the upload

    def values(self) -> dict:
        return {field: self.cleaned_data[field] for field in self.Meta.fields}


class RotateSecretForm(forms.Form):
    grace = forms.TypedChoiceField(
        choices=ClientSecret.GracePeriod.choices,
        coerce=int,
        initial=ClientSecret.GracePeriod.DAY,
        label="Keep the current secret working for",
    )

    def grace_period(self) -> timedelta:
        return timedelta(seconds=self.cleaned_data["grace"])


class ConfirmNameForm(forms.Form):
    """Typing the app's name guards the destructive actions (revoke all tokens, delete)."""

    name = forms.CharField(label="Type the app's name to confirm", max_length=255)

    def __init__(self, *args, expected: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.expected = expected

    def clean_name(self) -> str:
        typed = self.cleaned_data["name"]
        if typed.strip() != self.expected.strip():
            raise ValidationError(f"That is not the app's name. Type {self.expected!r} exactly.")
        return typed


class TeamChoiceForm(forms.Form):
    """Which team a new app belongs to: only teams where the person may register apps are offered."""

    team = forms.TypedChoiceField(
        label="Team", coerce=int, help_text="The team's members manage the app with you."
    )

    def __init__(self, *args, teams, **kwargs):
        super().__init__(*args, **kwargs)
        self.teams = {team.pk: team for team in teams}
        cast(forms.TypedChoiceField, self.fields["team"]).choices = [(team.pk, team.name) for team in teams]

    def clean_team(self):
        return self.teams[self.cleaned_data["team"]]


class TeamForm(forms.Form):
    name = forms.CharField(
        label="Team name",
        max_length=TEAM_NAME_MAX_LENGTH,
        help_text="People see it as your apps' publisher, e.g. Acme Inc.",
    )

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        names.validate_app_name(name)  # the same rules as app names: no invisible or control characters
        return name


class InvitationForm(forms.Form):
    email = forms.EmailField(label="Email address", max_length=254)
    role = forms.ChoiceField(label="Role", choices=Role.choices, initial=Role.DEVELOPER)


class RoleForm(forms.Form):
    role = forms.ChoiceField(label="Role", choices=Role.choices)
