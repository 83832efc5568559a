"""The developer console: a developer's own OAuth apps, their secrets and their tokens.

Every app is fetched through a selector that filters by the signed-in person's team memberships and checks
their role (portal/teams/roles.py), so an app of another team is a 404 wherever its id appears and an action
the role does not allow is a 403. Writes are POSTs that go through portal.clients.services. With htmx
a view answers with a named partial of its full-page template; without JavaScript the same forms post and
redirect.
"""

from __future__ import annotations

import copy

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from oauth2_provider.models import get_application_model

from portal import confirm, ratelimits
from portal.clients import selectors, services
from portal.clients.models import TRANSFER_FIELD
from portal.clients.proposals import proposed_change_rows
from portal.developer import once, reveal
from portal.developer.decorators import terms_accepted
from portal.developer.forms import (
    LOGO_CHOOSE_AGAIN,
    ApplicationForm,
    ConfirmNameForm,
    RotateSecretForm,
    TeamChoiceForm,
)
from portal.htmx import HtmxHttpRequest, render_partial_or_page, wants_fragment
from portal.pagination import keyset_page
from portal.reauth import kept_file_expected, kept_file_take, reauthentication_require
from portal.teams.roles import Permission, Role, capabilities
from portal.teams.selectors import team_list_for_member, team_list_for_permission
from portal.teams.services import team_personal_get_or_create
from portal.terms.selectors import terms_version_current, terms_version_to_accept
from portal.terms.services import terms_accept

TOKENS_PER_PAGE = 25


def _secret_shown_once(response: HttpResponse) -> HttpResponse:
    # The page holding a clear-text secret must not be kept by the browser or any cache.
    add_never_cache_headers(response)
    response["Cache-Control"] = "no-store, private"
    return response


def _detail_context(app, **extra) -> dict:
    return {
        "app": app,
        # What the member's role allows; the page shows only those controls (portal/teams/roles.py).
        "can": capabilities(app.member_role),
        "role_label": Role(app.member_role).label,
        "secrets": selectors.client_secret_list(application=app),
        "rotate_form": extra.pop("rotate_form", None) or RotateSecretForm(),
        "active_token_count": selectors.access_token_list_active(application=app).count(),
        "change_rows": proposed_change_rows(application=app),
        "transfer_pending": TRANSFER_FIELD in app.proposed_changes,
        **extra,
    }


@login_required
@require_GET
def application_list(request: HttpRequest) -> HttpResponse:
    # The personal team is made on the first visit, so a solo developer never sees a team step.
    team_personal_get_or_create(user=request.user, request=request)
    return render(
        request,
        "developer/application_list.html",
        {
            "apps": selectors.application_list_for_member(user=request.user),
            "terms_pending": terms_version_to_accept(user=request.user),
            "shows_teams": team_list_for_member(user=request.user).count() > 1,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def terms(request: HttpRequest) -> HttpResponse:
    version = terms_version_current()
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    if not url_has_allowed_host_and_scheme(next_url, {request.get_host()}, request.is_secure()):
        next_url = reverse("developer:application_list")
    if request.method == "POST" and version is not None:
        if request.POST.get("accept") != "yes":
            messages.error(request, "Tick the box to accept the terms.")
        else:
            terms_accept(user=request.user, version=version, request=request)
            messages.success(request, f"You accepted the developer terms, version {version.version}.")
            return redirect(next_url)
    return render(
        request,
        "developer/terms_accept.html",
        {"version": version, "pending": terms_version_to_accept(user=request.user), "next": next_url},
    )


@login_required
@require_http_methods(["GET", "POST"])
@terms_accepted
@ratelimits.per_user("app_register")
def application_create(request: HttpRequest) -> HttpResponse:
    Application = get_application_model()
    personal = team_personal_get_or_create(user=request.user, request=request)
    teams = team_list_for_permission(user=request.user, permission=Permission.CREATE_APP)
    # With one team (the personal one) there is nothing to choose: the form is not shown and it is used.
    chosen = request.POST if len(teams) > 1 else {"team": str(teams[0].pk)}
    team_form = TeamChoiceForm(
        chosen if request.method == "POST" else None,
        teams=teams,
        initial={"team": request.GET.get("team") or personal.pk},
    )
    form = ApplicationForm(
        request.POST or None,
        request.FILES or None,
        instance=Application(user=request.user),
        initial={"client_type": Application.CLIENT_CONFIDENTIAL, "grant_types": ["authorization-code"]},
    )
    submission = request.POST.get("submission", "")
    if request.method == "POST" and not once.claim(request.user, "register", submission):
        # The same form sent again (a double click, a resent POST): the first one registered the app.
        first = once.result_of(request.user, "register", submission)
        messages.info(request, "This form was sent twice; the app was registered once.")
        if first is None:
            return redirect("developer:application_list")
        return redirect("developer:application_detail", pk=first)
    if request.method == "POST" and form.is_valid() and team_form.is_valid():
        app, secret = services.application_register(
            owner=request.user,
            team=team_form.cleaned_data["team"],
            values=form.values(),
            logo=form.normalized_logo,
            request=request,
        )
        once.remember(request.user, "register", submission, app.pk)
        return reveal.redirect_revealing(request, app, secret, created=True)
    if request.method == "POST":
        once.release(request.user, "register", submission)
    # A developer in no team but their own sees no team choice.
    context = {
        "form": form,
        "team_form": team_form if len(teams) > 1 else None,
        "app": None,
        "submission": once.new_token(),
    }
    return render(request, "developer/application_form.html", context)


@login_required
@require_GET
def application_detail(request: HttpRequest, pk: int) -> HttpResponse:
    app = selectors.application_get_for_member(user=request.user, pk=pk, permission=Permission.VIEW_APP)
    secret = reveal.take_secret(request, app)
    context = _detail_context(
        app, revealed_secret=secret, just_created=bool(secret and request.GET.get("created"))
    )
    response = render(request, "developer/application_detail.html", context)
    if secret is None:
        return response
    return reveal.forget_secret(_secret_shown_once(response), app)


# Where codes go and how tokens are got: changing them needs a fresh re-authentication.
SIGN_IN_RULE_FIELDS = {"redirect_uris", "grant_types"}


@login_required
@require_http_methods(["GET", "POST"])
@terms_accepted
def application_edit(request: HttpRequest, pk: int) -> HttpResponse:
    app = selectors.application_get_for_member(user=request.user, pk=pk, permission=Permission.EDIT_APP)
    # An edit replayed after re-authentication: allauth kept its fields, portal.reauth its logo.
    kept_logo = kept_file_take(request) if request.method == "POST" else None
    # The form validates a copy, so a refused edit leaves the app (and a proposed change) exactly as it was.
    form = ApplicationForm(
        request.POST or None,
        request.FILES or None,
        instance=copy.copy(app),
        kept_logo=kept_logo,
        kept_logo_lost=kept_logo is None and kept_file_expected(request),
    )
    if request.method == "POST" and form.is_valid():
        if SIGN_IN_RULE_FIELDS & set(form.changed_data):
            # allauth keeps the POST's fields, not its files: the validated logo is kept alongside.
            reauthentication_require(request, keep=form.normalized_logo)
        services.application_update(
            application=app,
            values=form.values(),
            logo=form.normalized_logo,
            actor=request.user,
            request=request,
        )
        if app.changes_need_review and app.has_proposed_changes:
            messages.info(
                request,
                "Your change waits for staff review. Until staff approve it, the app keeps working, and "
                "shows itself to people, as staff last approved it.",
            )
        else:
            messages.success(request, "Saved.")
        return redirect("developer:application_detail", pk=app.pk)
    if kept_logo is not None:
        # The replayed edit is refused after all (another field): the file input is empty again.
        form.add_error("logo", LOGO_CHOOSE_AGAIN)
    return render(request, "developer/application_form.html", {"form": form, "app": app})


@login_required
@require_http_methods(["GET", "POST"])
def application_delete(request: HttpRequest, pk: int) -> HttpResponse:
    app = selectors.application_get_for_member(user=request.user, pk=pk, permission=Permission.DELETE_APP)
    form = ConfirmNameForm(request.POST or None, expected=app.name)
    if request.method == "POST" and form.is_valid():
        reauthentication_require(request)
        name = app.name
        services.application_delete(application=app, actor=request.user, request=request)
        messages.success(request, f"{name} was deleted with its tokens, secrets and logo.")
        return redirect("developer:application_list")
    return render(request, "developer/application_confirm_delete.html", {"app": app, "form": form})


@login_required
@require_POST
@terms_accepted
@ratelimits.per_user("secret_rotate")
def secret_rotate(request: HtmxHttpRequest, pk: int) -> HttpResponse:
    app = selectors.application_get_for_member(user=request.user, pk=pk, permission=Permission.MANAGE_SECRETS)
    form = RotateSecretForm(request.POST)
    if not form.is_valid():
        context = _detail_context(app, rotate_form=form)
        return render_partial_or_page(request, "developer/application_detail.html", "secrets", context)
    if not form.cleaned_data["grace"] and confirm.confirmation_needed(request):
        return confirm.ask(
            request,
            title="Rotate with no grace period?",
            message=f"The current secret of {app.name} stops working the moment you confirm. A client in "
            "production that still uses it fails at once, until it is given the new secret.",
            confirm_label="Rotate now, break the current secret",
            cancel_url=reverse("developer:application_detail", args=[app.pk]),
        )
    reauthentication_require(request)
    secret = services.application_rotate_secret(
        application=app, grace=form.grace_period(), actor=request.user, request=request
    )
    if not request.htmx:
        return reveal.redirect_revealing(request, app, secret)
    # htmx swaps the fragment in place; a reload of the page does not repeat this POST.
    context = _detail_context(app, revealed_secret=secret)
    return _secret_shown_once(render(request, "developer/application_detail.html#secrets", context))


@login_required
@require_POST
def secret_revoke(request: HttpRequest, pk: int, secret_pk: int) -> HttpResponse:
    app = selectors.application_get_for_member(user=request.user, pk=pk, permission=Permission.MANAGE_SECRETS)
    secret = selectors.client_secret_get(application=app, pk=secret_pk)
    if secret.is_current:
        notice = "The current secret cannot be revoked; rotate it instead."
    elif confirm.confirmation_needed(request):
        return confirm.ask(
            request,
            title=f"Revoke the previous secret …{secret.last_four} now?",
            message="It stops working at once, before its grace period ends. Any client still using it fails "
            "until it is given the current secret.",
            confirm_label="Revoke it now",
            cancel_url=reverse("developer:application_detail", args=[app.pk]),
        )
    else:
        reauthentication_require(request)
        services.client_secret_revoke(secret=secret, actor=request.user, request=request)
        notice = f"The previous secret …{secret.last_four} no longer works."
    if wants_fragment(request):
        # Said here, in the part of the page that changed, not on whatever page is loaded next.
        context = _detail_context(app, notice=notice)
        return render_partial_or_page(request, "developer/application_detail.html", "secrets", context)
    messages.success(request, notice)
    return redirect("developer:application_detail", pk=app.pk)


def _token_page(app, params: QueryDict):
    # Keyset pages: the oldest of 100,000 tokens costs what the newest does (portal/pagination.py).
    page = keyset_page(
        selectors.access_token_list_active(application=app), params, per_page=TOKENS_PER_PAGE, fields=("id",)
    )
    if not page.object_list and page.cursor:
        # A page emptied by revoking its last token: show the newest page rather than an empty one.
        page = keyset_page(
            selectors.access_token_list_active(application=app),
            QueryDict(),
            per_page=TOKENS_PER_PAGE,
            fields=("id",),
        )
    return page


def _token_list_url(app, page) -> str:
    url = reverse("developer:token_list", args=[app.pk])
    return f"{url}?{page.cursor}" if page.cursor else url


@login_required
@require_GET
def token_list(request: HttpRequest, pk: int) -> HttpResponse:
    app = selectors.application_get_for_member(user=request.user, pk=pk, permission=Permission.VIEW_TOKENS)
    context = {
        "app": app,
        "page": _token_page(app, request.GET),
        "token_count": selectors.access_token_list_active(application=app).count(),
        "confirm_form": ConfirmNameForm(expected=app.name),
        "can": capabilities(app.member_role),
    }
    return render_partial_or_page(request, "developer/token_list.html", "tokens", context)


@login_required
@require_POST
def token_revoke(request: HttpRequest, pk: int, token_pk: int) -> HttpResponse:
    app = selectors.application_get_for_member(user=request.user, pk=pk, permission=Permission.REVOKE_TOKEN)
    token = selectors.access_token_get_active(application=app, pk=token_pk)
    who = token.user.get_username() if token.user else "the app itself"
    if confirm.confirmation_needed(request):
        return confirm.ask(
            request,
            title=f"Revoke token {token.token_checksum[:8]}…?",
            message=f"This token of {who} and its refresh token stop working at once; the app's next API "
            "call with it fails.",
            confirm_label="Revoke the token",
            cancel_url=reverse("developer:token_list", args=[app.pk]),
        )
    services.access_token_revoke(token=token, actor=request.user, request=request)
    notice = "The token was revoked; the next API call with it fails."
    # The form carries the cursor of the page it was on, so the list comes back where the person was.
    page = _token_page(app, QueryDict(request.POST.get("cursor", "")))
    if wants_fragment(request):
        # The whole list comes back, so the count and the pages are right after the row goes.
        context = {
            "app": app,
            "page": page,
            "token_count": selectors.access_token_list_active(application=app).count(),
            "confirm_form": ConfirmNameForm(expected=app.name),
            "notice": notice,
            "can": capabilities(app.member_role),
        }
        response = render_partial_or_page(request, "developer/token_list.html", "tokens", context)
        response["HX-Replace-Url"] = _token_list_url(app, page)
        return response
    messages.success(request, notice)
    return redirect(_token_list_url(app, page))


@login_required
@require_POST
def tokens_revoke_all(request: HttpRequest, pk: int) -> HttpResponse:
    app = selectors.application_get_for_member(
        user=request.user, pk=pk, permission=Permission.REVOKE_ALL_TOKENS
    )
    form = ConfirmNameForm(request.POST, expected=app.name)
    if form.is_valid():
        reauthentication_require(request)
        count = services.application_revoke_all_tokens(application=app, actor=request.user, request=request)
        tokens = f"{count} access token{pluralize(count)}"
        messages.success(request, f"Revoked {tokens} and every refresh token and pending code.")
        return redirect("developer:token_list", pk=app.pk)
    context = {
        "app": app,
        "page": _token_page(app, request.GET),
        "token_count": selectors.access_token_list_active(application=app).count(),
        "confirm_form": form,
        "can": capabilities(app.member_role),
    }
    return render(request, "developer/token_list.html", context)
