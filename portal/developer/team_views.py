"""Teams in the developer console: the list of one's teams (with the invitations waiting for the person,
to accept or decline), a team's page (members, roles, invitations), accepting an invitation by its link,
the team's audit trail, and moving an app to another team (or taking back a move waiting for review).

A team is fetched only through portal.teams.selectors with the permission the action needs: a non-member
gets a 404 everywhere, a member whose role lacks it a 403 with a message (portal/teams/roles.py). The
pages show only the controls the member's role allows (`can`, from the same table).
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from portal import confirm, ratelimits
from portal.clients import selectors as client_selectors
from portal.clients import services as client_services
from portal.developer.forms import InvitationForm, RoleForm, TeamChoiceForm, TeamForm
from portal.htmx import HtmxHttpRequest, render_partial_or_page
from portal.pagination import keyset_page
from portal.reauth import reauthentication_require
from portal.teams import selectors, services
from portal.teams.roles import Permission, Role, capabilities
from portal.teams.services import TeamError

AUDIT_PER_PAGE = 50


def _team_list_context(request: HttpRequest, **extra) -> dict:
    teams = list(selectors.team_list_for_member(user=request.user))
    for team in teams:
        team.role_label = Role(team.member_role).label
    return {
        "teams": teams,
        "waiting": selectors.invitation_list_for_recipient(user=request.user),
        "form": extra.pop("form", None) or TeamForm(),
        **extra,
    }


@login_required
@require_http_methods(["GET", "POST"])
def team_list(request: HttpRequest) -> HttpResponse:
    services.team_personal_get_or_create(user=request.user, request=request)
    form = TeamForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        team = services.team_create(user=request.user, name=form.cleaned_data["name"], request=request)
        messages.success(request, f"Team {team.name} is created; you are its owner. Invite your colleagues.")
        return redirect("developer:team_detail", pk=team.pk)
    return render(request, "developer/team_list.html", _team_list_context(request, form=form))


def _answered(request: HtmxHttpRequest, *, notice: str = "", error: str = "") -> HttpResponse:
    """After accepting or declining from the list: htmx gets the list's teams fragment (the invitation gone,
    a joined team in the table) with the outcome in it; a plain form post gets the message and the page."""
    if request.htmx:
        context = _team_list_context(request, notice=notice, error=error)
        return render_partial_or_page(request, "developer/team_list.html", "teams", context)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, notice)
    return redirect("developer:team_list")


@login_required
@require_POST
def invitation_waiting_accept(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    invitation = selectors.invitation_get_for_recipient(user=request.user, pk=pk)
    try:
        services.invitation_accept(invitation=invitation, user=request.user, request=request)
    except TeamError as exc:
        return _answered(request, error=str(exc))
    role = invitation.get_role_display().lower()
    return _answered(request, notice=f"You joined {invitation.team.name} as {role}.")


@login_required
@require_POST
def invitation_waiting_decline(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    invitation = selectors.invitation_get_for_recipient(user=request.user, pk=pk)
    try:
        services.invitation_decline(invitation=invitation, user=request.user, request=request)
    except TeamError as exc:
        return _answered(request, error=str(exc))
    return _answered(
        request, notice=f"You declined the invitation to {invitation.team.name}; its link no longer works."
    )


def _team_context(request: HttpRequest, team, **extra) -> dict:
    can = capabilities(team.member_role)
    members = list(selectors.membership_list(team=team))
    for member in members:
        member.role_form = RoleForm(initial={"role": member.role}, prefix=f"m{member.pk}")
    return {
        "team": team,
        "can": can,
        "role_label": Role(team.member_role).label,
        "members": members,
        "invitations": selectors.invitation_list_pending(team=team) if can["manage_members"] else [],
        "invite_form": extra.pop("invite_form", None) or InvitationForm(),
        "apps": client_selectors.application_list_for_member(user=request.user, team=team),
        **extra,
    }


@login_required
@require_GET
def team_detail(request: HttpRequest, pk: int) -> HttpResponse:
    team = selectors.team_get_for_member(user=request.user, pk=pk, permission=Permission.VIEW_APP)
    return render(request, "developer/team_detail.html", _team_context(request, team))


@login_required
@require_POST
@ratelimits.per_user("team_invite")
def team_invite(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    team = selectors.team_get_for_member(user=request.user, pk=pk, permission=Permission.MANAGE_MEMBERS)
    form = InvitationForm(request.POST)
    if form.is_valid():
        try:
            invitation = services.invitation_create(
                team=team,
                email=form.cleaned_data["email"],
                role=form.cleaned_data["role"],
                actor=request.user,
                request=request,
            )
        except TeamError as exc:
            form.add_error("email", str(exc))
        else:
            notice = f"Invitation sent to {invitation.email}; the link works once, for 7 days."
            if request.htmx:
                context = _team_context(request, team, notice=notice)
                return render_partial_or_page(request, "developer/team_detail.html", "invitations", context)
            messages.success(request, notice)
            return redirect("developer:team_detail", pk=team.pk)
    context = _team_context(request, team, invite_form=form)
    return render_partial_or_page(request, "developer/team_detail.html", "invitations", context)


@login_required
@require_POST
def invitation_revoke(request: HttpRequest, pk: int, invitation_pk: int) -> HttpResponse:
    team = selectors.team_get_for_member(user=request.user, pk=pk, permission=Permission.MANAGE_MEMBERS)
    invitation = selectors.invitation_get_pending(team=team, pk=invitation_pk)
    services.invitation_revoke(invitation=invitation, actor=request.user, request=request)
    messages.success(request, f"The invitation of {invitation.email} is withdrawn; its link no longer works.")
    return redirect("developer:team_detail", pk=team.pk)


@login_required
@require_POST
def member_role(request: HttpRequest, pk: int, member_pk: int) -> HttpResponse:
    team = selectors.team_get_for_member(user=request.user, pk=pk, permission=Permission.MANAGE_MEMBERS)
    membership = selectors.membership_get(team=team, pk=member_pk)
    form = RoleForm(request.POST, prefix=f"m{membership.pk}")
    if not form.is_valid():
        messages.error(request, "Choose one of the roles.")
        return redirect("developer:team_detail", pk=team.pk)
    try:
        membership = services.membership_change_role(
            membership=membership, role=form.cleaned_data["role"], actor=request.user, request=request
        )
    except TeamError as exc:
        messages.error(request, str(exc))
    else:
        label = Role(membership.role).label.lower()
        messages.success(request, f"{membership.user.get_username()} is now {label} of {team.name}.")
    return redirect("developer:team_detail", pk=team.pk)


@login_required
@require_POST
def member_remove(request: HttpRequest, pk: int, member_pk: int) -> HttpResponse:
    team = selectors.team_get_for_member(user=request.user, pk=pk, permission=Permission.MANAGE_MEMBERS)
    membership = selectors.membership_get(team=team, pk=member_pk)
    name = membership.user.get_username()
    if confirm.confirmation_needed(request):
        return confirm.ask(
            request,
            title=f"Remove {name} from {team.name}?",
            message=f"{name} loses access to the team's apps at once, on their very next request.",
            confirm_label=f"Remove {name}",
            cancel_url=reverse("developer:team_detail", args=[team.pk]),
        )
    try:
        services.membership_remove(membership=membership, actor=request.user, request=request)
    except TeamError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"{name} is no longer a member of {team.name}.")
    return redirect("developer:team_detail", pk=team.pk)


@login_required
@require_POST
def team_leave(request: HttpRequest, pk: int) -> HttpResponse:
    team = selectors.team_get_for_member(user=request.user, pk=pk, permission=Permission.VIEW_APP)
    membership = selectors.membership_get_own(team=team, user=request.user)
    if confirm.confirmation_needed(request):
        return confirm.ask(
            request,
            title=f"Leave {team.name}?",
            message="You lose access to the team's apps at once. Only an owner can invite you back.",
            confirm_label="Leave the team",
            cancel_url=reverse("developer:team_detail", args=[team.pk]),
        )
    try:
        services.membership_remove(membership=membership, actor=request.user, request=request)
    except TeamError as exc:
        messages.error(request, str(exc))
        return redirect("developer:team_detail", pk=team.pk)
    messages.success(request, f"You left {team.name}.")
    return redirect("developer:team_list")


@login_required
@require_POST
def team_delete(request: HttpRequest, pk: int) -> HttpResponse:
    team = selectors.team_get_for_member(user=request.user, pk=pk, permission=Permission.DELETE_TEAM)
    if confirm.confirmation_needed(request):
        return confirm.ask(
            request,
            title=f"Delete the team {team.name}?",
            message="Its members and pending invitations go with it. A team with apps cannot be deleted.",
            confirm_label="Delete the team",
            cancel_url=reverse("developer:team_detail", args=[team.pk]),
        )
    reauthentication_require(request)
    try:
        services.team_delete(team=team, actor=request.user, request=request)
    except TeamError as exc:
        messages.error(request, str(exc))
        return redirect("developer:team_detail", pk=team.pk)
    messages.success(request, f"The team {team.name} is deleted.")
    return redirect("developer:team_list")


@login_required
@require_GET
def team_audit(request: HttpRequest, pk: int) -> HttpResponse:
    team = selectors.team_get_for_member(user=request.user, pk=pk, permission=Permission.READ_AUDIT)
    page = keyset_page(
        selectors.team_audit_list(team=team),
        request.GET,
        per_page=AUDIT_PER_PAGE,
        fields=("created_at", "id"),
    )
    return render(request, "developer/team_audit.html", {"team": team, "page": page})


@login_required
@require_http_methods(["GET", "POST"])
def invitation_accept(request: HttpRequest, token: str) -> HttpResponse:
    invitation = selectors.invitation_find_by_token(token=token)
    if invitation is None:
        messages.error(request, "This invitation link is not valid. Ask the team's owner for a new one.")
        return redirect("developer:team_list")
    if request.method == "POST":
        try:
            services.invitation_accept(invitation=invitation, user=request.user, request=request)
        except TeamError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request, f"You joined {invitation.team.name} as {invitation.get_role_display().lower()}."
            )
            return redirect("developer:team_detail", pk=invitation.team_id)
    # Say before the click when the address is not (yet) confirmed on this account: accepting would fail.
    confirmed = invitation.email.lower() in selectors.verified_addresses(user=request.user)
    context = {"invitation": invitation, "address_confirmed": confirmed}
    return render(request, "developer/invitation_accept.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def application_transfer(request: HttpRequest, pk: int) -> HttpResponse:
    app = client_selectors.application_get_for_member(
        user=request.user, pk=pk, permission=Permission.TRANSFER_APP
    )
    # Only teams where the person is admin too: they answer for the app on both sides.
    targets = [
        team
        for team in selectors.team_list_for_permission(user=request.user, permission=Permission.TRANSFER_APP)
        if team.pk != app.team_id
    ]
    form = TeamChoiceForm(request.POST or None, teams=targets)
    if request.method == "POST" and form.is_valid():
        reauthentication_require(request)
        team = form.cleaned_data["team"]
        moved = client_services.application_transfer(
            application=app, team=team, actor=request.user, request=request
        )
        if moved:
            messages.success(request, f"{app.name} now belongs to {team.name}.")
        else:
            messages.info(
                request,
                f"The move to {team.name} waits for staff review: the consent screen names the team as the "
                "app's publisher. Until staff approve it, the app stays with its team.",
            )
        return redirect("developer:application_detail", pk=app.pk)
    return render(
        request, "developer/application_transfer.html", {"app": app, "form": form, "targets": targets}
    )


@login_required
@require_POST
def application_transfer_withdraw(request: HttpRequest, pk: int) -> HttpResponse:
    # The same permission as proposing it: a transfer is the admins' decision, and so is taking it back.
    app = client_selectors.application_get_for_member(
        user=request.user, pk=pk, permission=Permission.TRANSFER_APP
    )
    if client_services.application_transfer_withdraw(application=app, actor=request.user, request=request):
        messages.success(request, f"The transfer is withdrawn; {app.name} stays with {app.team.name}.")
    else:
        messages.info(request, f"No transfer of {app.name} was waiting for review.")
    return redirect("developer:application_detail", pk=app.pk)
