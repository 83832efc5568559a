"""Forms for staff decisions and filters. Each decision form has its own prefix, because the review page
shows several at once and their fields would otherwise share ids."""

from __future__ import annotations

from typing import cast

from django import forms
from oauth2_provider.models import get_application_model

from portal.clients import grants
from portal.clients.models import TEXT_MAX_LENGTH
from portal.review.decisions import Decision
from portal.review.selectors import QUEUE_FILTERS


class DecisionForm(forms.Form):
    """One staff decision: the version of the page it was taken on and, when the decision needs one, the
    reason the developer is shown. The template renders the version of the app it shows, never the posted
    one, so a form shown again after a refusal is bound to what is on the screen now."""

    version = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)

    def __init__(self, *args, decision: Decision, **kwargs):
        kwargs.setdefault("prefix", decision.code)
        super().__init__(*args, **kwargs)
        self.decision = decision
        if decision.needs_reason:
            self.fields["reason"] = forms.CharField(
                label=decision.reason_label,
                widget=forms.Textarea(attrs={"rows": 3}),
                max_length=TEXT_MAX_LENGTH,
                error_messages={"required": "Give a reason: the developer is shown it."},
            )


class AllowGrantForm(forms.Form):
    grant = forms.ChoiceField(label="Deprecated grant")
    version = forms.CharField(required=False, max_length=64, widget=forms.HiddenInput)
    justification = forms.CharField(
        label="Justification (recorded in the audit log)",
        widget=forms.Textarea(attrs={"rows": 2}),
        max_length=TEXT_MAX_LENGTH,
        error_messages={"required": "Write down why this app needs a deprecated grant."},
    )

    def __init__(self, *args, application=None, **kwargs):
        kwargs.setdefault("prefix", "grant")
        super().__init__(*args, **kwargs)
        labels = dict(get_application_model().GRANT_TYPES)
        allowed = set(application.staff_allowed_grants) if application is not None else set()
        cast(forms.ChoiceField, self.fields["grant"]).choices = [
            (grant, labels.get(grant, grant)) for grant in sorted(grants.DEPRECATED) if grant not in allowed
        ]


class QueueFilterForm(forms.Form):
    status = forms.ChoiceField(choices=QUEUE_FILTERS, required=False, label="Show")
    q = forms.CharField(required=False, label="Search", max_length=200)
