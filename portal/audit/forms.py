"""The staff audit log's filters."""

from __future__ import annotations

from django import forms

from portal.audit.models import AuditEvent


class AuditFilterForm(forms.Form):
    app = forms.CharField(required=False, label="App (name or client id)", max_length=200)
    actor = forms.CharField(required=False, label="Actor (username)", max_length=150)
    action = forms.ChoiceField(
        required=False, label="Action", choices=[("", "Any action"), *AuditEvent.Action.choices]
    )
    # Bounded to the database's 64-bit ids: a larger number is dropped as malformed instead of reaching
    # the query (SQLite raises OverflowError on it).
    application = forms.IntegerField(
        required=False, widget=forms.HiddenInput, min_value=1, max_value=2**63 - 1
    )
