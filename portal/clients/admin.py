"""Admin for applications. DOT registers it (APPLICATION_ADMIN_CLASS); it is standalone rather than a
subclass of DOT's, whose module reads that very setting while it is imported.

Unlike DOT's, it never shows the stored secret hash as if it were the secret, and the client id is
read-only: secrets are issued by the portal's services and shown once.

The review fields are read-only here: a decision (approve, reject, trust, suspend, ...) is an admin action
that goes through portal/review/services.py, so it is audited and the developer is told, exactly as on the
staff pages. Plain edits of the other fields are recorded in the audit log too.
"""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import models
from django.template.response import TemplateResponse
from django.utils.translation import ngettext

from portal.audit.models import AuditEvent
from portal.audit.services import audit_record, diff
from portal.clients.services import application_delete
from portal.review import services as review

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


class _ReasonForm(forms.Form):
    reason = forms.CharField(widget=forms.Textarea(attrs={"rows": 4, "cols": 60}), max_length=2000)


def _each(modeladmin, request, queryset, decide, done: str) -> None:
    succeeded = 0
    for application in queryset:
        try:
            decide(application)
        except (review.ReviewError, ValidationError) as exc:
            modeladmin.message_user(request, f"{application}: {exc}", messages.WARNING)
        else:
            succeeded += 1
    if succeeded:
        modeladmin.message_user(
            request, ngettext("%d app %s.", "%d apps %s.", succeeded) % (succeeded, done), messages.SUCCESS
        )


def _with_reason(modeladmin, request, queryset, *, title: str, action: str, decide, done: str):
    """Django's intermediate-page pattern (as delete_selected): ask for the reason the developer sees."""
    form = _ReasonForm(request.POST if "apply" in request.POST else None)
    if "apply" in request.POST and form.is_valid():
        reason = form.cleaned_data["reason"]
        _each(modeladmin, request, queryset, lambda app: decide(app, reason), done)
        return None
    context = {
        **modeladmin.admin_site.each_context(request),
        "title": title,
        "form": form,
        "queryset": queryset,
        "action": action,
        "opts": modeladmin.model._meta,
        "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
    }
    return TemplateResponse(request, "review/admin_reason.html", context)


class ApplicationAdmin(admin.ModelAdmin):
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
    readonly_fields = ("client_id", "created", "updated", *REVIEW_FIELDS)
    # Links typed without a scheme are https, as Django 6 will assume.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    actions = [
        "approve_selected",
        "reject_selected",
        "trust_selected",
        "untrust_selected",
        "suspend_selected",
        "reinstate_selected",
    ]

    @admin.display(boolean=True, description="change waiting")
    def has_proposed_changes(self, obj) -> bool:
        return obj.has_proposed_changes

    @admin.action(description="Approve selected apps")
    def approve_selected(self, request, queryset):
        _each(
            self,
            request,
            queryset,
            lambda app: review.application_approve(application=app, reviewer=request.user, request=request),
            "approved",
        )

    @admin.action(description="Reject selected apps (asks for a reason)")
    def reject_selected(self, request, queryset):
        return _with_reason(
            self,
            request,
            queryset,
            title="Reject apps",
            action="reject_selected",
            decide=lambda app, reason: review.application_reject(
                application=app, reviewer=request.user, reason=reason, request=request
            ),
            done="rejected",
        )

    @admin.action(description="Mark selected apps trusted (no consent screen)")
    def trust_selected(self, request, queryset):
        _each(
            self,
            request,
            queryset,
            lambda app: review.application_trust(application=app, reviewer=request.user, request=request),
            "trusted",
        )

    @admin.action(description="Remove trust from selected apps")
    def untrust_selected(self, request, queryset):
        _each(
            self,
            request,
            queryset,
            lambda app: review.application_untrust(application=app, reviewer=request.user, request=request),
            "no longer trusted",
        )

    @admin.action(description="Suspend selected apps and revoke their tokens (asks for a reason)")
    def suspend_selected(self, request, queryset):
        return _with_reason(
            self,
            request,
            queryset,
            title="Suspend apps",
            action="suspend_selected",
            decide=lambda app, reason: review.application_suspend(
                application=app, reviewer=request.user, reason=reason, request=request
            ),
            done="suspended",
        )

    @admin.action(description="Reinstate selected suspended apps")
    def reinstate_selected(self, request, queryset):
        _each(
            self,
            request,
            queryset,
            lambda app: review.application_reinstate(application=app, reviewer=request.user, request=request),
            "reinstated",
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
