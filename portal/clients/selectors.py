"""Reads of OAuth clients.

One style for every selectors.py: keyword-only `<entity>_<action>` functions. `_list_*` returns a queryset
scoped to its owner, `_get_*` one object of such a queryset or Http404 (get_object_or_404; views never
catch DoesNotExist), `_find_*` one object or None for values that arrive from the network. The
developer-facing ones take the signed-in person and filter by their team memberships, so a view cannot
forget the ownership check: an app of a team they are not in is simply not found (404), and an action
their role does not allow is refused (403, portal/teams/roles.py)."""

from __future__ import annotations

from django.db.models import CharField, OuterRef, Q, QuerySet, Subquery
from django.shortcuts import get_object_or_404
from django.utils import timezone
from oauth2_provider.models import get_access_token_model, get_application_model, get_device_grant_model

from portal.clients.models import ClientSecret
from portal.teams.roles import Permission, permission_require
from portal.teams.selectors import member_role_subquery


def application_find_by_client_id(*, client_id: str | None):
    """The app with this client id, whatever its review status, or None.

    A client id arrives from the network: PostgreSQL refuses a NUL byte in text, and no client id has one.
    """
    if not client_id or "\x00" in client_id:
        return None
    return get_application_model().objects.filter(client_id=client_id).first()


# The app list counts each app's active tokens up to this many and shows more as "1000+": an exact count
# reads every token of the app (230 ms for an app with a million), a bounded one at most this many rows.
ACTIVE_TOKENS_COUNTED = 1000


class _ActiveTokensShown(Subquery):
    """The number of rows of a sliced subquery, as text: "1000+" past ACTIVE_TOKENS_COUNTED.

    COUNT(*) over the subquery's LIMIT reads at most ACTIVE_TOKENS_COUNTED + 1 index entries."""

    # Only the constant above goes into the SQL text.
    template = (
        f"(SELECT CASE WHEN COUNT(*) > {ACTIVE_TOKENS_COUNTED} THEN '{ACTIVE_TOKENS_COUNTED}+'"  # noqa: S608
        " ELSE CAST(COUNT(*) AS VARCHAR(12)) END FROM (%(subquery)s) counted)"
    )
    output_field = CharField()


def application_list_for_member(*, user, team=None) -> QuerySet:
    """The apps of every team `user` belongs to (or of `team` only), each with `member_role`, its count of
    active access tokens and the time of the newest one; one query however many teams and apps."""
    tokens = get_access_token_model().objects.filter(application=OuterRef("pk"))
    active = tokens.filter(expires__gt=timezone.now()).order_by()
    apps = get_application_model().objects.filter(team__memberships__user=user)
    if team is not None:
        apps = apps.filter(team=team)
    return (
        apps.select_related("team")
        .annotate(
            member_role=member_role_subquery(user=user, team_ref="team"),
            active_tokens=_ActiveTokensShown(active.values("pk")[: ACTIVE_TOKENS_COUNTED + 1]),
            # Backed by the (application_id, created) index (migration clients 0010): one index entry.
            last_activity=Subquery(tokens.order_by("-created").values("created")[:1]),
        )
        .order_by("-created")
    )


def application_get_for_member(*, user, pk: int, permission: Permission):
    """The app `pk` with its team and `member_role`: a 404 unless `user` is a member of its team, a 403
    (with a message) when their role lacks `permission`. The one ownership check of the console: the role
    is read from the database on every request, so removing a member ends their access at once."""
    app = get_object_or_404(
        get_application_model()
        .objects.select_related("team")
        .annotate(member_role=member_role_subquery(user=user, team_ref="team"))
        .filter(member_role__isnull=False),
        pk=pk,
    )
    permission_require(role=app.member_role, permission=permission)
    return app


def client_secret_list(*, application) -> QuerySet:
    """Live secrets, current first; a previous secret whose grace period ended is no longer listed."""
    return (
        ClientSecret.objects.filter(application=application)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=timezone.now()))
        .order_by("expires_at", "-created_at")
    )


def client_secret_get(*, application, pk: int) -> ClientSecret:
    return get_object_or_404(client_secret_list(application=application), pk=pk)


def access_token_list_active(*, application) -> QuerySet:
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


def access_token_get_active(*, application, pk: int):
    return get_object_or_404(access_token_list_active(application=application), pk=pk)


# DOT's columns are 100 characters; anything longer (or with a NUL byte, which PostgreSQL refuses in
# text) cannot match, so it is not looked up.
_MAX = 100


def device_code_plausible(value: object) -> bool:
    return isinstance(value, str) and 0 < len(value) <= _MAX and "\x00" not in value


def device_grant_find_for_client(*, client_id: str, device_code: str):
    """The grant behind a device code, only for the client it was issued to (else None)."""
    if not (device_code_plausible(client_id) and device_code_plausible(device_code)):
        return None
    return get_device_grant_model().objects.filter(client_id=client_id, device_code=device_code).first()
