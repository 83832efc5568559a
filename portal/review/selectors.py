"""Reads for staff: the review queue, one app with everything a reviewer needs, and the navigation count."""

from __future__ import annotations

import ipaddress
import statistics
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils import timezone
from oauth2_provider.models import get_application_model

from portal.clients import grants
from portal.clients.models import ReviewStatus
from portal.clients.redirect_uris import LOOPBACK_HOSTS

# The queue page's status filter. "" (the default) is the queue proper: what waits for a decision.
QUEUE_WAITING = ""
QUEUE_NEW = "new"
QUEUE_CHANGES = "changes"
QUEUE_ALL = "all"
QUEUE_FILTERS = [
    (QUEUE_WAITING, "Waiting for review"),
    (QUEUE_NEW, "New apps"),
    (QUEUE_CHANGES, "Changes to approved apps"),
    (ReviewStatus.APPROVED, "Approved"),
    (ReviewStatus.REJECTED, "Rejected"),
    (ReviewStatus.SUSPENDED, "Suspended"),
    (QUEUE_ALL, "All apps"),
]


def _waiting() -> Q:
    # `proposed_changes` is a JSON object, never NULL (default=dict). `{}` compares as JSON on both
    # databases: jsonb equality on PostgreSQL, JSON(lhs) = JSON(rhs) on SQLite.
    Application = get_application_model()
    return Q(review_status=Application.ReviewStatus.PENDING) | ~Q(proposed_changes={})


def application_list_for_review(*, status: str = QUEUE_WAITING, search: str = "") -> QuerySet:
    """Apps for the staff list, oldest submission first (apps never submitted: by creation)."""
    Application = get_application_model()
    apps = Application.objects.select_related("user")
    if status == QUEUE_WAITING:
        apps = apps.filter(_waiting())
    elif status == QUEUE_NEW:
        apps = apps.filter(review_status=Application.ReviewStatus.PENDING)
    elif status == QUEUE_CHANGES:
        apps = apps.exclude(proposed_changes={})
    elif status in Application.ReviewStatus.values:
        apps = apps.filter(review_status=status)
    search = search.strip()
    if search:
        apps = apps.filter(
            Q(name__icontains=search)
            | Q(client_id=search)
            | Q(user__username__icontains=search)
            | Q(user__email__icontains=search)
        )
    return apps.annotate(queued_at=Coalesce("submitted_at", "created")).order_by("queued_at", "pk")


def application_count_waiting_for_review() -> int:
    return get_application_model().objects.filter(_waiting()).count()


def application_get_for_review(*, pk: int):
    """Any app, whatever its status or owner: staff see them all. Http404 when there is none."""
    return get_object_or_404(
        get_application_model().objects.select_related("user", "reviewed_by", "team"), pk=pk
    )


def application_list_same_owner(*, application) -> QuerySet:
    Application = get_application_model()
    if application.user_id is None:
        return Application.objects.none()
    return Application.objects.filter(user_id=application.user_id).exclude(pk=application.pk).order_by("name")


@dataclass
class RedirectUriReview:
    uri: str
    warnings: list[str] = field(default_factory=list)


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def _same_site(host: str, homepage_host: str) -> bool:
    host, homepage_host = host.lower(), homepage_host.lower()
    if homepage_host.startswith("www."):
        homepage_host = homepage_host[4:]
    return host == homepage_host or host.endswith("." + homepage_host)


def redirect_uri_warnings(*, uri: str, homepage_url: str = "") -> list[str]:
    """What a reviewer should look at twice. All of these can be legitimate; none can be registered
    without passing the registration rules (portal/clients/redirect_uris.py) first."""
    try:
        parts = urlsplit(uri)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return ["This URI cannot be parsed."]
    scheme = parts.scheme.lower()
    warnings = []
    if scheme == "http":
        warnings.append("Plain http on a loopback address: only for native or development apps (RFC 8252).")
        if host == "localhost":
            warnings.append("'localhost' can be resolved elsewhere; RFC 8252 recommends 127.0.0.1 or [::1].")
    elif scheme != "https":
        warnings.append(
            f"Private-use scheme '{scheme}:': any app on the device can claim it, so this must be a "
            "native app using PKCE, and the scheme should be a domain the developer owns."
        )
    if host and host not in LOOPBACK_HOSTS and _is_ip_literal(host):
        warnings.append(f"The host is an IP address ({host}), not a domain name.")
    if port is not None and scheme == "https" and port != 443:
        warnings.append(f"Non-default port {port}.")
    if parts.query:
        warnings.append("Has a query string; exact matching includes it.")
    homepage_host = ""
    if homepage_url:
        try:
            homepage_host = urlsplit(homepage_url).hostname or ""
        except ValueError:
            homepage_host = ""
    if scheme == "https" and host and homepage_host and not _same_site(host, homepage_host):
        warnings.append(f"The host differs from the homepage's host ({homepage_host}).")
    return warnings


def redirect_uri_review(*, uris: str, homepage_url: str = "") -> list[RedirectUriReview]:
    return [
        RedirectUriReview(uri=uri, warnings=redirect_uri_warnings(uri=uri, homepage_url=homepage_url))
        for uri in uris.split()
    ]


@dataclass
class GrantReview:
    grant: str
    label: str
    deprecated: bool
    allowed_by_staff: bool


def grant_review(*, grant_types: list[str], staff_allowed: list[str]) -> list[GrantReview]:
    labels = dict(get_application_model().GRANT_TYPES)
    return [
        GrantReview(
            grant=grant,
            label=str(labels.get(grant, grant)),
            deprecated=grant in grants.DEPRECATED,
            allowed_by_staff=grant in staff_allowed,
        )
        for grant in grant_types
    ]


# --- The staff dashboard -------------------------------------------------------------------------

DECISIONS_MEASURED_DAYS = 90


@dataclass(frozen=True)
class QueueAge:
    waiting: int
    oldest_queued_at: datetime | None
    median_decision: timedelta | None
    decisions_measured: int


def application_count_by_status() -> list[tuple[str, int]]:
    """(status label, number of apps) for every review status, zeros included, in the statuses' order."""
    Application = get_application_model()
    counts = dict(Application.objects.values_list("review_status").annotate(n=Count("pk")).order_by())
    return [(label, counts.get(value, 0)) for value, label in Application.ReviewStatus.choices]


def review_queue_age() -> QueueAge:
    """How long the queue makes developers wait: the oldest waiting submission, and the median time from
    an app's last submission to the staff decision on it, over decisions of the last 90 days (from the
    app's own submitted_at and reviewed_at)."""
    waiting = application_list_for_review(status=QUEUE_WAITING)
    oldest = waiting.values_list("queued_at", flat=True).first()
    since = timezone.now() - timedelta(days=DECISIONS_MEASURED_DAYS)
    decided = (
        get_application_model()
        .objects.filter(reviewed_at__gte=since, submitted_at__isnull=False)
        .filter(reviewed_at__gte=F("submitted_at"))
        .order_by("-reviewed_at")
        .values_list("submitted_at", "reviewed_at")[:5000]
    )
    durations = sorted(reviewed - submitted for submitted, reviewed in decided)
    return QueueAge(
        waiting=waiting.count(),
        oldest_queued_at=oldest,
        median_decision=statistics.median_low(durations) if durations else None,
        decisions_measured=len(durations),
    )


def application_list_suspended() -> QuerySet:
    Application = get_application_model()
    return (
        Application.objects.filter(review_status=Application.ReviewStatus.SUSPENDED)
        .select_related("user")
        .order_by("-reviewed_at", "-pk")
    )
