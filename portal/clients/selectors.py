"""Reads of OAuth clients. The developer-facing ones take the owner first and filter by it, so a view
cannot forget the ownership check: another developer's app is simply not found (404)."""

from __future__ import annotations

from django.db.models import Count, IntegerField, Max, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone
from oauth2_provider.models import get_access_token_model, get_application_model

from portal.clients.models import ClientSecret


def application_by_client_id(client_id: str | None):
    """The app with this client id, whatever its review status, or None.

    A client id arrives from the network: PostgreSQL refuses a NUL byte in text, and no client id has one.
    """
    if not client_id or "\x00" in client_id:
        return None
    return get_application_model().objects.filter(client_id=client_id).first()


def applications_of(owner) -> QuerySet:
    """The owner's apps with their count of active access tokens and the time of the newest one."""
    tokens = get_access_token_model().objects.filter(application=OuterRef("pk"))
    active = tokens.filter(expires__gt=timezone.now()).order_by().values("application")
    return (
        get_application_model()
        .objects.filter(user=owner)
        .annotate(
            active_tokens=Coalesce(
                Subquery(active.annotate(n=Count("pk")).values("n")[:1], output_field=IntegerField()),
                Value(0),
            ),
            last_activity=Subquery(
                tokens.order_by().values("application").annotate(newest=Max("created")).values("newest")[:1]
            ),
        )
        .order_by("-created")
    )


def application_of(owner, pk: int):
    try:
        return get_application_model().objects.get(pk=pk, user=owner)
    except get_application_model().DoesNotExist:
        raise Http404("No such application.") from None


def secrets_of(application) -> QuerySet:
    """Live secrets, current first; a previous secret whose grace period ended is no longer listed."""
    return (
        ClientSecret.objects.filter(application=application)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now()))
        .order_by("expires_at", "-created_at")
    )


def secret_of(application, pk: int) -> ClientSecret:
    try:
        return secrets_of(application).get(pk=pk)
    except ClientSecret.DoesNotExist:
        raise Http404("No such secret.") from None


def active_tokens_of(application) -> QuerySet:
    """Access tokens of an app that are neither expired nor revoked (revoked ones are deleted), newest first.

    Paginated by the caller; ordered on the primary key so a page is an index range scan even at 100,000+.
    """
    return (
        get_access_token_model()
        .objects.filter(application=application, expires__gt=timezone.now())
        .select_related("user")
        .only("id", "token_checksum", "scope", "created", "expires", "user__username", "application_id")
        .order_by("-id")
    )


def active_token_of(application, pk: int):
    try:
        return active_tokens_of(application).get(pk=pk)
    except get_access_token_model().DoesNotExist:
        raise Http404("No such token.") from None
