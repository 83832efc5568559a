"""Reads of consent and connected apps. Everything a view lists or acts on is filtered by the signed-in
person here, so a view cannot forget the ownership check: another person's connection is simply not found
(404)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import OuterRef, Q, QuerySet, Subquery
from django.shortcuts import get_object_or_404
from oauth2_provider.models import (
    get_access_token_model,
    get_application_model,
    get_device_grant_model,
    get_grant_model,
    get_refresh_token_model,
)

from portal.consent import scopes as consent_scopes
from portal.consent.models import Consent


def consent_find(*, user, application) -> Consent | None:
    return Consent.objects.filter(user=user, application=application).first()


@dataclass(frozen=True)
class Connection:
    """An app that holds something of a person's: a consent, tokens, codes or a device grant."""

    application: Any
    scopes: list[str]
    created_at: datetime | None
    last_used_at: datetime | None


def _connected_applications(*, user) -> QuerySet:
    """Every app holding something of `user`'s. Derived from what is held, not only from Consent rows:
    tokens adopted from a stock DOT install (or issued before consent was recorded) have none, and the
    person must still see and be able to take back that access."""
    held = (
        Q(pk__in=Consent.objects.filter(user=user).values("application"))
        | Q(pk__in=get_access_token_model().objects.filter(user=user).values("application"))
        | Q(
            pk__in=get_refresh_token_model()
            .objects.filter(user=user, revoked__isnull=True)
            .values("application")
        )
        | Q(pk__in=get_grant_model().objects.filter(user=user).values("application"))
        | Q(client_id__in=get_device_grant_model().objects.filter(user=user).values("client_id"))
    )
    return get_application_model().objects.filter(held)


def connection_list_for_user(*, user) -> list[Connection]:
    """The person's connected apps, one row per app, with what each may do and when it last got a token.

    "Last used" is the newest access token the app got for this person (a sign-in or a refresh). Four
    queries whatever the number of apps: the apps (with correlated subqueries for the dates), the consent
    records, and the scopes of tokens and codes of apps without a record.
    """
    tokens = get_access_token_model().objects.filter(user=user, application=OuterRef("pk"))
    applications = list(
        _connected_applications(user=user)
        .select_related("user", "team")
        .annotate(
            last_used_at=Subquery(tokens.order_by("-created").values("created")[:1]),
            first_token_at=Subquery(tokens.order_by("created").values("created")[:1]),
        )
        .order_by("name", "pk")
    )
    consents = {
        consent.application_id: consent
        for consent in Consent.objects.filter(user=user, application__in=[app.pk for app in applications])
    }
    without_record = [app.pk for app in applications if app.pk not in consents]
    held_scopes: dict[int, set[str]] = {}
    if without_record:
        # What the app can actually do with what it holds: the scopes of its live tokens and codes.
        for model in (get_access_token_model(), get_grant_model()):
            for application_id, scope in model.objects.filter(
                user=user, application_id__in=without_record
            ).values_list("application_id", "scope"):
                held_scopes.setdefault(application_id, set()).update((scope or "").split())
    connections = []
    for app in applications:
        consent = consents.get(app.pk)
        connections.append(
            Connection(
                application=app,
                scopes=consent.scopes if consent else consent_scopes.ordered(held_scopes.get(app.pk, ())),
                created_at=consent.created_at if consent else app.first_token_at,
                last_used_at=app.last_used_at,
            )
        )
    return connections


def connection_get_for_user(*, user, application_id: int):
    """The app `application_id` if it holds something of `user`'s; 404 otherwise (another person's
    connection, or an app that holds nothing of theirs)."""
    return get_object_or_404(_connected_applications(user=user), pk=application_id)
