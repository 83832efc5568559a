"""Reads of consent. Everything a view lists or acts on is filtered by the signed-in person here, so a view
cannot forget the ownership check: another person's connection is simply not found (404)."""

from __future__ import annotations

from django.db.models import OuterRef, QuerySet, Subquery
from django.shortcuts import get_object_or_404
from oauth2_provider.models import get_access_token_model

from portal.consent.models import Consent


def consent_for(*, user, application) -> Consent | None:
    return Consent.objects.filter(user=user, application=application).first()


def consent_list_for_user(*, user) -> QuerySet[Consent]:
    """The person's connected apps, one row per app, with when each last obtained a token.

    "Last used" is the newest access token the app got for this person (a sign-in or a refresh): one
    correlated subquery, so the page costs the same number of queries for one app or fifty.
    """
    newest_token = (
        get_access_token_model()
        .objects.filter(user=OuterRef("user"), application=OuterRef("application"))
        .order_by("-created")
        .values("created")[:1]
    )
    return (
        Consent.objects.filter(user=user)
        .select_related("application", "application__user")
        .annotate(last_used_at=Subquery(newest_token))
        .order_by("application__name", "pk")
    )


def consent_get_for_user(*, user, consent_id: int) -> Consent:
    return get_object_or_404(consent_list_for_user(user=user), pk=consent_id)
