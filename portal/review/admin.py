"""Admin for applications. DOT registers it (APPLICATION_ADMIN_CLASS); it is standalone rather than a
subclass of DOT's, whose module reads that very setting while it is imported.

Unlike DOT's, it never shows the stored secret hash as if it were the secret, and the client id is
read-only: secrets are issued by the portal's services and shown once.

The review fields are read-only here: a decision (approve, reject, trust, suspend, ...) is an admin action
made from portal/review/decisions.py that goes through portal/review/services.py, so it is audited and the
developer is told, exactly as on the staff pages. Once an app has been approved, the fields staff review
(REVIEWED_FIELDS) are read-only too: changes to them go through review. Plain edits of the other fields
are recorded in the audit log too.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import models
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import ngettext

from portal.audit.models import AuditEvent
from portal.audit.services import audit_record, diff
from portal.clients.models import REVIEWED_FIELDS
from portal.clients.proposals import proposed_change_rows
from portal.clients.services import application_delete
from portal.reauth import reauthentication_require
from portal.review import services as review
from portal.review.decisions import DECISIONS, Decision, validation_refusal
from portal.review.forms import DecisionForm

REVIEW_FIELDS = (
    "review_status",
    "skip_authorization",
    "staff_allowed_grants",
    "may_introspect_any_token",
    "proposed_changes",
    "submitted_at",
    "reviewed_at",
    "reviewed_by",
    "review_reason",
)
# What an admin edit may change and the audit log records as before/after.
_AUDITED_FIELDS = (
    "name",
    "user_id",
    "client_type",
    "authorization_grant_type",
    "grant_types",
    "redirect_uris",
    "post_logout_redirect_uris",
    "allowed_origins",
    "algorithm",
    "description",
    "homepage_url",
    "privacy_policy_url",
    "terms_of_service_url",
)


def _snapshot(obj) -> dict:
    return {name: getattr(obj, name) for name in _AUDITED_FIELDS}


class ApplicationAdminForm(forms.ModelForm):
    """DOT's single grant field follows the grant types (Application.set_grant_types), as everywhere."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if "grant_types" in self.fields and self.instance.pk:
            # An app from createapplication has its grant only in DOT's field: show it here.
            self.initial["grant_types"] = self.instance.registered_grant_types()

    def clean(self):
        cleaned = super().clean()
        chosen = cleaned.get("grant_types")
        if "grant_types" in self.fields and "grant_types" not in self.errors:
            if not chosen:
                self.add_error("grant_types", "Choose at least one grant type.")
            elif isinstance(chosen, list) and all(isinstance(grant, str) for grant in chosen):
                try:
                    self.instance.set_grant_types(chosen)
                except ValueError as exc:
                    self.add_error("grant_types", str(exc))
                else:
                    cleaned["grant_types"] = self.instance.grant_types
        return cleaned


def _decision_action(decision: Decision):
    """An admin action for one staff decision. Like delete_selected, it first shows an intermediate page:
    each selected app as it is now (with any proposed change), the reason when the decision needs one, and
    each app's version, so the decision applies only to the apps as staff saw them there."""

    def action(modeladmin, request, queryset):
        apply = "apply" in request.POST
        form = DecisionForm(request.POST if apply else None, decision=decision)
        if apply and form.is_valid():
            if decision.reauthenticate:
                reauthentication_require(request)  # allauth keeps this POST and replays it afterwards
            succeeded = 0
            for application in queryset:
                try:
                    review.application_decide(
                        decision=decision,
                        application=application,
                        reviewer=request.user,
                        version=request.POST.get(f"version-{application.pk}", ""),
                        reason=form.cleaned_data.get("reason", ""),
                        request=request,
                    )
                except review.ReviewError as exc:
                    modeladmin.message_user(request, f"{application}: {exc}", messages.WARNING)
                except ValidationError as exc:
                    modeladmin.message_user(
                        request, f"{application}: {validation_refusal(exc)}", messages.WARNING
                    )
                else:
                    succeeded += 1
            if succeeded:
                modeladmin.message_user(
                    request,
                    ngettext("%d app: done.", "%d apps: done.", succeeded) % succeeded,
                    messages.SUCCESS,
                )
            return None
        context = {
            **modeladmin.admin_site.each_context(request),
            "title": decision.admin_description,
            "decision": decision,
            "form": form,
            "applications": [
                {
                    "app": app,
                    "version": app.review_version(),
                    "changes": proposed_change_rows(application=app),
                }
                for app in queryset
            ],
            "action": action.__name__,
            "opts": modeladmin.model._meta,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "review/admin_decision.html", context)

    action.__name__ = f"{decision.code}_selected"
    return admin.action(description=decision.admin_description)(action)


class ApplicationAdmin(admin.ModelAdmin):
    form = ApplicationAdminForm
    list_display = (
        "name",
        "client_id",
        "user",
        "client_type",
        "review_status",
        "skip_authorization",
        "has_proposed_changes",
        "submitted_at",
        "created",
    )
    list_filter = ("review_status", "client_type", "skip_authorization", "authorization_grant_type")
    search_fields = ("name", "client_id", "user__username", "user__email")
    raw_id_fields = ("user",)
    exclude = ("client_secret", "hash_client_secret")
    readonly_fields = ("client_id", "review_page", "created", "updated", *REVIEW_FIELDS)
    # Links typed without a scheme are https, as Django 6 will assume.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    actions = [_decision_action(decision) for decision in DECISIONS]

    @admin.display(boolean=True, description="change waiting")
    def has_proposed_changes(self, obj) -> bool:
        return obj.has_proposed_changes

    def get_readonly_fields(self, request, obj=None):
        # Once staff have approved an app, what it may do and how it presents itself change only through
        # review (Application.changes_need_review, the rule the developer console follows too): the
        # developer proposes, staff decide on the review page. DOT's own grant and algorithm fields
        # follow the grant types (Application.set_grant_types). The team (the publisher people see) moves
        # only by a transfer, which is audited and reviewed (clients.services.application_transfer).
        readonly = [*self.readonly_fields, "authorization_grant_type", "algorithm", "team"]
        if obj is not None and obj.changes_need_review:
            readonly += [field for field in REVIEWED_FIELDS if field not in readonly]
        return readonly

    @admin.display(description="staff review")
    def review_page(self, obj) -> str:
        if obj is None or obj.pk is None:
            return "-"
        return format_html(
            '<a href="{}">Review page</a>: changes to redirect URIs, grants, client type, name, logo, '
            "homepage, post-logout URIs and allowed origins of an approved app are decided there.",
            reverse("staff:application_review", args=[obj.pk]),
        )

    def save_model(self, request, obj, form, change):
        before = _snapshot(type(obj).objects.get(pk=obj.pk)) if change else {}
        super().save_model(request, obj, form, change)
        audit_record(
            actor=request.user,
            action=AuditEvent.Action.APP_CHANGED if change else AuditEvent.Action.APP_CREATED,
            application=obj,
            changes={**diff(before, _snapshot(obj)), "via": "admin"},
            request=request,
        )

    # Deleting goes through the same service as the developer console: audited, and the logo file goes too.
    def delete_model(self, request, obj):
        application_delete(application=obj, actor=request.user, request=request)

    def delete_queryset(self, request, queryset):
        for obj in queryset:
            application_delete(application=obj, actor=request.user, request=request)
