"""Writes to OAuth clients. Views and commands call these; nothing else saves an Application.

Each function runs in one transaction and records its audit event inside it, so a change and the record
of it are stored together or not at all.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.files.base import ContentFile
from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from oauth2_provider.models import (
    get_access_token_model,
    get_application_model,
    get_device_grant_model,
    get_grant_model,
    get_id_token_model,
    get_refresh_token_model,
)

from portal.audit.models import AuditEvent
from portal.audit.services import audit_record, diff
from portal.clients import secrets
from portal.clients.models import REVIEWED_FIELDS, TRANSFER_FIELD, ClientSecret
from portal.notifications import notify_secret_changed
from portal.teams.models import Team
from portal.teams.services import team_personal_get_or_create

# Fields a developer edits; the audit log shows their before and after.
EDITABLE_FIELDS = (
    "name",
    "description",
    "homepage_url",
    "privacy_policy_url",
    "terms_of_service_url",
    "client_type",
    "grant_types",
    "redirect_uris",
    "post_logout_redirect_uris",
    "allowed_origins",
)


def _snapshot(application) -> dict[str, Any]:
    snapshot = {field: getattr(application, field) for field in EDITABLE_FIELDS}
    # An app from createapplication has its grant only in DOT's field: compare what it really has.
    snapshot["grant_types"] = application.registered_grant_types()
    return snapshot


def _apply(application, values: dict[str, Any]) -> None:
    for field, value in values.items():
        if field == "grant_types":
            application.set_grant_types(value)
        elif field == "logo":
            application.logo.name = value
        else:
            setattr(application, field, value)


def _store_logo(application, logo: ContentFile) -> str:
    """Store a normalised logo file without attaching it to the app; return its storage name."""
    field = application.logo.field
    return field.storage.save(field.generate_filename(application, logo.name), logo)


def _delete_file_after_commit(storage, name: str | None) -> None:
    if name:
        # Only after commit: a rolled-back change must still find its old file.
        transaction.on_commit(lambda: storage.delete(name))


def application_logo_replace_after_commit(*, application, name: str) -> None:
    """Make an already stored file (a proposed logo staff approved) the live logo; the old file goes."""
    old_name = application.logo.name or None
    application.logo.name = name
    _delete_file_after_commit(application.logo.storage, old_name)


def application_proposed_logo_discard(*, application) -> None:
    """Delete the file of a proposed logo that will never go live (rejected, superseded, app deleted)."""
    _delete_file_after_commit(application.logo.storage, application.proposed_changes.get("logo"))


@transaction.atomic
def application_create(
    *,
    owner,
    name: str,
    client_type: str,
    grant_types: list[str],
    redirect_uris: list[str],
    review_status: str,
    skip_authorization: bool = False,
    client_id: str | None = None,
    description: str = "",
    homepage_url: str = "",
    team=None,
) -> tuple[Any, str]:
    """Create an app as an operator would (seed data, tests); return it with its secret in clear text.

    It belongs to `team`, else to the owner's personal team; an app with no owner has no team."""
    Application = get_application_model()
    if team is None and owner is not None:
        team = team_personal_get_or_create(user=owner)
    app = Application(
        user=owner,
        team=team,
        name=name,
        description=description,
        homepage_url=homepage_url,
        redirect_uris=" ".join(redirect_uris),
        client_type=client_type,
        review_status=review_status,
        skip_authorization=skip_authorization,
    )
    app.set_grant_types(grant_types)
    if client_id:
        app.client_id = client_id
    secret = secrets.issue_secret(app)
    app.full_clean()
    app.save()
    secrets.record_current_secret(app, secret)
    return app, secret


@transaction.atomic
def application_register(
    *, owner, team, values: dict[str, Any], logo: ContentFile | None, request: HttpRequest | None
) -> tuple[Any, str]:
    """A developer registers an app for `team` (the view checked they may): it waits for staff review.
    Returns it with its secret in clear text. `user` keeps who registered it."""
    Application = get_application_model()
    app = Application(
        user=owner, team=team, review_status=Application.ReviewStatus.PENDING, submitted_at=timezone.now()
    )
    _apply(app, values)
    secret = secrets.issue_secret(app)
    if logo is not None:
        app.logo.save(logo.name, logo, save=False)
    app.full_clean()
    app.save()
    secrets.record_current_secret(app, secret)
    audit_record(
        actor=owner,
        action=AuditEvent.Action.APP_CREATED,
        application=app,
        changes=diff({}, _snapshot(app)),
        request=request,
    )
    return app, secret


@transaction.atomic
def application_update(
    *, application, values: dict[str, Any], logo: ContentFile | None, actor, request: HttpRequest | None
) -> Any:
    """Apply a developer's edit.

    Once staff have approved an app (`changes_need_review`), the reviewed fields (REVIEWED_FIELDS: what it
    may do and how it presents itself, logo included) do not change the live app: the developer's wanted
    values wait in `proposed_changes` for staff, replacing any earlier proposal, and the app keeps serving
    with what staff reviewed. Other fields apply at once. A pending or rejected app has never been live, so
    its edits apply; a rejected one goes back to the queue.
    """
    Status = type(application).ReviewStatus
    before = _snapshot(application)
    changed = {field: value for field, value in values.items() if before.get(field) != value}
    needs_review = application.changes_need_review
    reviewed = {field: value for field, value in changed.items() if needs_review and field in REVIEWED_FIELDS}
    immediate = {field: value for field, value in changed.items() if field not in reviewed}

    old_logo = None
    if logo is not None and needs_review:
        reviewed["logo"] = _store_logo(application, logo)
    elif logo is not None:
        old_logo = application.logo.name or None
        immediate["logo"] = _store_logo(application, logo)
    elif needs_review and "logo" in application.proposed_changes:
        reviewed["logo"] = application.proposed_changes["logo"]  # the form cannot show a pending logo
    if needs_review and TRANSFER_FIELD in application.proposed_changes:
        # A transfer waiting for review is not part of the edit form: an edit keeps it.
        reviewed[TRANSFER_FIELD] = application.proposed_changes[TRANSFER_FIELD]

    previous = dict(application.proposed_changes)
    proposal_changed = needs_review and reviewed != previous
    _apply(application, immediate)
    if proposal_changed:
        # What the developer submits is the whole of what they want (the form shows the pending
        # proposal); values equal to the live ones are not a change. An empty one withdraws it.
        if previous.get("logo") and previous["logo"] != reviewed.get("logo"):
            application_proposed_logo_discard(application=application)
        application.proposed_changes = reviewed
        application.submitted_at = timezone.now() if reviewed else application.submitted_at
        if application.is_approved:
            # The reason staff gave for an earlier proposal is now moot (a suspension's reason is not).
            application.review_reason = ""
    if application.is_rejected and (changed or logo is not None):
        application.review_status = Status.PENDING
        application.submitted_at = timezone.now()
    application.full_clean()
    application.save()
    _delete_file_after_commit(application.logo.storage, old_logo)

    if immediate:
        audit_record(
            actor=actor,
            action=AuditEvent.Action.APP_CHANGED,
            application=application,
            changes=diff(before, _snapshot(application)),
            request=request,
        )
    if proposal_changed:
        audit_record(
            actor=actor,
            action=AuditEvent.Action.APP_CHANGE_PROPOSED,
            application=application,
            # {} when the developer set everything back to the live values: the proposal is withdrawn.
            changes={
                field: [application.logo.name if field == "logo" else before.get(field), value]
                for field, value in reviewed.items()
            }
            or {"proposed_changes": [previous, {}]},
            request=request,
        )
    if "logo" in immediate:
        audit_record(
            actor=actor,
            action=AuditEvent.Action.APP_LOGO_CHANGED,
            application=application,
            changes={"logo": [old_logo, application.logo.name]},
            request=request,
        )
    return application


@transaction.atomic
def application_delete(*, application, actor, request: HttpRequest | None) -> None:
    """Delete an app with its tokens, grants and secrets (database cascades) and its logo file."""
    audit_record(
        actor=actor,
        action=AuditEvent.Action.APP_DELETED,
        application=application,
        changes={"name": [application.name, None], "client_id": [application.client_id, None]},
        request=request,
    )
    _delete_file_after_commit(application.logo.storage, application.logo.name or None)
    application_proposed_logo_discard(application=application)
    application.delete()


@transaction.atomic
def application_rotate_secret(*, application, grace: timedelta, actor, request: HttpRequest | None) -> str:
    """Issue a new secret, keep the previous one working for `grace`, and return the new one in clear text.

    At most two secrets live at once: an older previous secret still in its grace period is retired now.
    """
    # Two rotations at once must not leave three live secrets: serialise on the app's row.
    get_application_model().objects.select_for_update().filter(pk=application.pk).first()
    rows = ClientSecret.objects.filter(application=application)
    rows.filter(expires_at__isnull=False).delete()  # the older previous secret, if still in its grace
    if grace:
        if not rows.exists():
            # An app from createapplication or an adopted DOT install: its secret had no row until now.
            ClientSecret.objects.create(
                application=application, secret_hash=application.client_secret, last_four=""
            )
        rows.update(expires_at=timezone.now() + grace)
    else:
        rows.delete()
    secret = secrets.issue_secret(application)
    application.save(update_fields=["client_secret", "hash_client_secret", "updated"])
    secrets.record_current_secret(application, secret)
    audit_record(
        actor=actor,
        action=AuditEvent.Action.SECRET_ROTATED,
        application=application,
        changes={"previous_secret_valid_for_seconds": int(grace.total_seconds())},
        request=request,
    )
    notify_secret_changed(
        application=application, kind="secret_rotated", last_four=secret[-4:], request=request
    )
    return secret


@transaction.atomic
def client_secret_revoke(*, secret: ClientSecret, actor, request: HttpRequest | None) -> None:
    """End the grace period of a previous secret now. The current secret cannot be revoked, only rotated."""
    if secret.is_current:
        raise ValueError("The current secret cannot be revoked; rotate it instead.")
    audit_record(
        actor=actor,
        action=AuditEvent.Action.SECRET_REVOKED,
        application=secret.application,
        changes={"secret": [f"…{secret.last_four}", None]},
        request=request,
    )
    notify_secret_changed(
        application=secret.application, kind="secret_revoked", last_four=secret.last_four, request=request
    )
    secret.delete()


@transaction.atomic
def access_token_revoke(*, token, actor, request: HttpRequest | None) -> None:
    """Revoke an access token and the refresh token that came with it, so the client cannot just refresh."""
    audit_record(
        actor=actor,
        action=AuditEvent.Action.TOKEN_REVOKED,
        application=token.application,
        changes={"token_id": token.pk, "user": token.user.get_username() if token.user else None},
        request=request,
    )
    refresh = get_refresh_token_model().objects.filter(access_token=token).first()
    if refresh is not None:
        refresh.revoke()
    token.delete()


def application_revoke_everything(*, application, user=None) -> dict[str, int]:
    """Delete every token, code and device grant the app holds (only those for `user`, when given) and
    return how many of each there were.

    Not audited: the caller (a developer revoking all, staff suspending, a person revoking an app's access)
    records its own event. Deleting rather than marking revoked is what DOT's own revocation does for
    access tokens, and leaves nothing that could be presented: with a refresh token's whole family gone
    there is nothing left to detect reuse against."""
    mine = {"application": application} if user is None else {"application": application, "user": user}
    counts = {}
    # Access tokens first: an ID token cascades to its access token, and a refresh token only points at
    # (SET_NULL) its access token, so this order counts each row once.
    for label, model in (
        ("access_tokens", get_access_token_model()),
        ("refresh_tokens", get_refresh_token_model()),
        ("id_tokens", get_id_token_model()),
        ("authorization_codes", get_grant_model()),
    ):
        _deleted, per_model = model.objects.filter(**mine).delete()
        counts[label] = per_model.get(model._meta.label, 0)
    # Device grants name their client by client_id, not by a foreign key.
    device_model = get_device_grant_model()
    device_grants = device_model.objects.filter(client_id=application.client_id)
    if user is not None:
        device_grants = device_grants.filter(user=user)
    _deleted, per_model = device_grants.delete()
    counts["device_grants"] = per_model.get(device_model._meta.label, 0)
    return counts


@transaction.atomic
def application_revoke_all_tokens(*, application, actor, request: HttpRequest | None) -> int:
    """Revoke every token and pending code of an app at once. Returns how many access tokens there were."""
    revoked = application_revoke_everything(application=application)
    audit_record(
        actor=actor,
        action=AuditEvent.Action.TOKENS_REVOKED_ALL,
        application=application,
        changes={"revoked": revoked},
        request=request,
    )
    return revoked["access_tokens"]


@transaction.atomic
def application_set_introspection(*, application, allowed: bool, actor, request: HttpRequest | None) -> bool:
    """Staff allow (or no longer allow) an app to introspect tokens issued to other apps (RFC 7662 section 4).

    Returns whether anything changed; a repeated decision writes no audit event."""
    application = get_application_model().objects.select_for_update().get(pk=application.pk)
    if application.may_introspect_any_token == allowed:
        return False
    application.may_introspect_any_token = allowed
    application.save(update_fields=["may_introspect_any_token"])
    audit_record(
        actor=actor,
        action=AuditEvent.Action.INTROSPECTION_ALLOWED
        if allowed
        else AuditEvent.Action.INTROSPECTION_REMOVED,
        application=application,
        changes={"may_introspect_any_token": [not allowed, allowed]},
        request=request,
    )
    return True


@transaction.atomic
def application_transfer(*, application, team, actor, request: HttpRequest | None) -> bool:
    """Move an app to another team (the view checked the actor is admin of both). The team is who the
    consent screen names as publisher, so for an app staff approved it is an identity change: it waits in
    `proposed_changes` for staff like any other, and the app stays with its team meanwhile. Returns whether
    it moved now."""
    application = get_application_model().objects.select_for_update().get(pk=application.pk)
    change = {"team": [application.team_id, team.pk], "to": team.name}
    if application.changes_need_review:
        application.proposed_changes = {**application.proposed_changes, TRANSFER_FIELD: team.pk}
        application.submitted_at = timezone.now()
        if application.is_approved:
            application.review_reason = ""
        application.save(update_fields=["proposed_changes", "submitted_at", "review_reason", "updated"])
        audit_record(
            actor=actor,
            action=AuditEvent.Action.APP_TRANSFER_PROPOSED,
            application=application,
            changes=change,
            request=request,
        )
        return False
    application_team_set(application=application, team=team, actor=actor, request=request)
    return True


@transaction.atomic
def application_transfer_withdraw(*, application, actor, request: HttpRequest | None) -> bool:
    """Take back a transfer waiting for staff review (the view checked the actor may transfer the app, as
    proposing it needed). Any other change waiting with it stays. Returns whether there was one."""
    application = get_application_model().objects.select_for_update().get(pk=application.pk)
    proposed = dict(application.proposed_changes)
    team_pk = proposed.pop(TRANSFER_FIELD, None)
    if team_pk is None:
        return False
    application.proposed_changes = proposed
    application.save(update_fields=["proposed_changes", "updated"])
    target = Team.objects.filter(pk=team_pk).first()
    audit_record(
        actor=actor,
        action=AuditEvent.Action.APP_TRANSFER_WITHDRAWN,
        application=application,
        changes={"team": [team_pk, application.team_id], "to": target.name if target else None},
        request=request,
    )
    return True


def application_team_set(*, application, team, actor, request: HttpRequest | None) -> None:
    """Move the app now and record it in both teams' trails (the caller holds the transaction)."""
    before = application.team
    application.team = team
    application.save(update_fields=["team", "updated"])
    for trail in (before, team):
        audit_record(
            actor=actor,
            action=AuditEvent.Action.APP_TRANSFERRED,
            application=application,
            team=trail,
            changes={"team": [before.name if before else None, team.name]},
            request=request,
        )
