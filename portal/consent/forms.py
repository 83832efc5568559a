"""The consent form: DOT's AllowForm (the authorization request rides along in hidden fields) plus the
optional scopes the person leaves ticked."""

from __future__ import annotations

from django import forms
from oauth2_provider.forms import AllowForm
from oauth2_provider.scopes import get_scopes_backend


class ConsentForm(AllowForm):
    # Unticked boxes are not submitted: a scope is granted only when its box came back ticked.
    granted_scopes = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["granted_scopes"].choices = list(get_scopes_backend().get_all_scopes().items())
