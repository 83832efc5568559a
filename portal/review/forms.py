"""Forms for staff decisions and filters. Each decision form has its own prefix, because the review page
shows several at once and their fields would otherwise share ids."""

from __future__ import annotations

from django import forms
from oauth2_provider.models import get_application_model

from portal.audit.models import AuditEvent
from portal.clients import grants
from portal.review.selectors import QUEUE_FILTERS


class ReasonForm(forms.Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        error_messages={"required": "Give a reason: the developer is shown it."},
    )

    def __init__(self, *args, label: str, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reason"].label = label


def reject_form(data=None) -> ReasonForm:
    return ReasonForm(data, prefix="reject", label="Why it is not approved (the developer sees this)")


def reject_change_form(data=None) -> ReasonForm:
    return ReasonForm(
        data, prefix="reject_change", label="Why the change is not approved (the developer sees this)"
    )


def suspend_form(data=None) -> ReasonForm:
    return ReasonForm(data, prefix="suspend", label="Why it is suspended (the developer sees this)")


class AllowGrantForm(forms.Form):
    grant = forms.ChoiceField(label="Deprecated grant")
    justification = forms.CharField(
        label="Justification (recorded in the audit log)",
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=2000,
        error_messages={"required": "Write down why this app needs a deprecated grant."},
    )

    def __init__(self, *args, application=None, **kwargs):
        kwargs.setdefault("prefix", "grant")
        super().__init__(*args, **kwargs)
        labels = dict(get_application_model().GRANT_TYPES)
        allowed = set(application.staff_allowed_grants) if application is not None else set()
        self.fields["grant"].choices = [
            (grant, labels.get(grant, grant)) for grant in sorted(grants.DEPRECATED) if grant not in allowed
        ]


class QueueFilterForm(forms.Form):
    status = forms.ChoiceField(choices=QUEUE_FILTERS, required=False, label="Show")
    q = forms.CharField(required=False, label="Search", max_length=200)


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


def valid_filters(form: forms.Form) -> dict:
    """The filter values that parsed. A malformed parameter is dropped on its own; the others still apply."""
    if not form.is_bound:
        return {}
    form.is_valid()
    return form.cleaned_data
