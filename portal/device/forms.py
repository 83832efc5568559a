"""The person's two forms: the code they type, and their decision on the consent card."""

from __future__ import annotations

from typing import cast

from django import forms
from oauth2_provider.scopes import get_scopes_backend

from portal.clients.selectors import application_find_by_client_id
from portal.device import codes
from portal.device.selectors import device_grant_find_by_user_code

# What a person is told; the code itself is never the problem they can fix, the device is.
WRONG_CODE = "That code was not recognised. Check the code your device shows and type it again."
EXPIRED_CODE = "That code has expired. Start again on your device to get a new code."
USED_CODE = "That code has already been used. To connect the device again, start again on the device."


class UserCodeForm(forms.Form):
    # Django's CharField refuses NUL bytes and, with max_length, overlong input, before any lookup.
    user_code = forms.CharField(
        label="Code shown on your device",
        max_length=32,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "autocapitalize": "characters",
                "spellcheck": "false",
                "autofocus": True,
                "placeholder": "ABCD-EFGH",
            }
        ),
    )

    def clean_user_code(self) -> str:
        code = codes.user_code_normalize(self.cleaned_data["user_code"])
        grant = device_grant_find_by_user_code(user_code=code) if code else None
        if code is None or grant is None:
            raise forms.ValidationError(WRONG_CODE, code="wrong")
        if grant.is_expired():
            raise forms.ValidationError(EXPIRED_CODE, code="expired")
        if grant.status != grant.AUTHORIZATION_PENDING:
            raise forms.ValidationError(USED_CODE, code="used")
        application = application_find_by_client_id(client_id=grant.client_id)
        if application is None or not application.is_approved:
            # Suspended (or deleted) after the device got its code: the token endpoint would refuse it.
            raise forms.ValidationError(
                "The app on your device can no longer be connected: it is not approved by this portal.",
                code="unusable",
            )
        self.grant = grant
        self.application = application
        return code


class DeviceConsentForm(forms.Form):
    """Allow (the button named `allow`) or Deny, and the optional scopes left ticked."""

    allow = forms.BooleanField(required=False)
    granted_scopes = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        cast(forms.MultipleChoiceField, self.fields["granted_scopes"]).choices = list(
            get_scopes_backend().get_all_scopes().items()
        )
