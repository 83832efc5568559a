"""The developer console: a developer's own OAuth apps, their secrets and their tokens.

Every app is fetched through a selector that filters by the signed-in developer, so another developer's
app is a 404 wherever its id appears. Writes are POSTs that go through portal.clients.services. With htmx
a view answers with a named partial of its full-page template; without JavaScript the same forms post and
redirect.
"""

from __future__ import annotations

import copy

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import add_never_cache_headers
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from oauth2_provider.models import get_application_model

from portal import ratelimits
from portal.clients import selectors, services
from portal.clients.proposals import proposed_change_rows
from portal.developer import reveal
from portal.developer.decorators import terms_accepted
from portal.developer.forms import ApplicationForm, ConfirmNameForm, RotateSecretForm
from portal.reauth import reauthentication_require
from portal.terms.selectors import terms_current, terms_to_accept
from portal.terms.services import terms_accept

TOKENS_PER_PAGE = 25


def _secret_shown_once(response: HttpResponse) -> HttpResponse:
    # The page holding a clear-text secret must not be kept by the browser or any cache.
    add_never_cache_headers(response)
    response["Cache-Control"] = "no-store, private"
    return response


def _detail_context(request: HttpRequest, app, **extra) -> dict:
    return {
        "app": app,
        "secrets": selectors.secrets_of(app),
        "rotate_form": extra.pop("rotate_form", None) or RotateSecretForm(),
        "active_token_count": selectors.active_tokens_of(app).count(),
        "change_rows": proposed_change_rows(application=app),
        **extra,
    }


@login_required
@require_GET
def application_list(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "developer/application_list.html",
        {"apps": selectors.applications_of(request.user), "terms_pending": terms_to_accept(request.user)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def terms(request: HttpRequest) -> HttpResponse:
    version = terms_current()
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
        {"version": version, "pending": terms_to_accept(request.user), "next": next_url},
    )


@login_required
@require_http_methods(["GET", "POST"])
@ratelimits.per_user("app_register")
@terms_accepted
def application_create(request: HttpRequest) -> HttpResponse:
    Application = get_application_model()
    form = ApplicationForm(
        request.POST or None,
        request.FILES or None,
        instance=Application(user=request.user),
        initial={"client_type": Application.CLIENT_CONFIDENTIAL, "grant_types": ["authorization-code"]},
    )
    if request.method == "POST" and form.is_valid():
        app, secret = services.application_register(
            owner=request.user, values=form.values(), logo=form.normalized_logo, request=request
        )
        return reveal.redirect_revealing(request, app, secret, created=True)
    return render(request, "developer/application_form.html", {"form": form, "app": None})


@login_required
@require_GET
def application_detail(request: HttpRequest, pk: int) -> HttpResponse:
    app = selectors.application_of(request.user, pk)
    secret = reveal.take_secret(request, app)
    context = _detail_context(
        request, app, revealed_secret=secret, just_created=bool(secret and request.GET.get("created"))
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
    app = selectors.application_of(request.user, pk)
    # The form validates a copy, so a refused edit leaves the app (and a proposed change) exactly as it was.
    form = ApplicationForm(request.POST or None, request.FILES or None, instance=copy.copy(app))
    if request.method == "POST" and form.is_valid():
        if SIGN_IN_RULE_FIELDS & set(form.changed_data):
            reauthentication_require(request)
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
    return render(request, "developer/application_form.html", {"form": form, "app": app})


@login_required
@require_http_methods(["GET", "POST"])
def application_delete(request: HttpRequest, pk: int) -> HttpResponse:
    app = selectors.application_of(request.user, pk)
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
@ratelimits.per_user("secret_rotate")
@terms_accepted
def secret_rotate(request: HttpRequest, pk: int) -> HttpResponse:
    app = selectors.application_of(request.user, pk)
    form = RotateSecretForm(request.POST)
    if not form.is_valid():
        template = "developer/application_detail.html" + ("#secrets" if request.htmx else "")
        return render(request, template, _detail_context(request, app, rotate_form=form))
    reauthentication_require(request)
    secret = services.application_rotate_secret(
        application=app, grace=form.grace_period(), actor=request.user, request=request
    )
    if not request.htmx:
        return reveal.redirect_revealing(request, app, secret)
    # htmx swaps the fragment in place; a reload of the page does not repeat this POST.
    context = _detail_context(request, app, revealed_secret=secret)
    return _secret_shown_once(render(request, "developer/application_detail.html#secrets", context))


@login_required
@require_POST
def secret_revoke(request: HttpRequest, pk: int, secret_pk: int) -> HttpResponse:
    app = selectors.application_of(request.user, pk)
    secret = selectors.secret_of(app, secret_pk)
    if secret.is_current:
        messages.error(request, "The current secret cannot be revoked; rotate it instead.")
    else:
        reauthentication_require(request)
        services.client_secret_revoke(secret=secret, actor=request.user, request=request)
        messages.success(request, f"The previous secret …{secret.last_four} no longer works.")
    if request.htmx:
        return render(request, "developer/application_detail.html#secrets", _detail_context(request, app))
    return redirect("developer:application_detail", pk=app.pk)


def _token_page(request: HttpRequest, app):
    paginator = Paginator(selectors.active_tokens_of(app), TOKENS_PER_PAGE)
    return paginator.get_page(request.GET.get("page"))


@login_required
@require_GET
def token_list(request: HttpRequest, pk: int) -> HttpResponse:
    app = selectors.application_of(request.user, pk)
    template = "developer/token_list.html" + ("#tokens" if request.htmx else "")
    context = {
        "app": app,
        "page": _token_page(request, app),
        "confirm_form": ConfirmNameForm(expected=app.name),
    }
    return render(request, template, context)


@login_required
@require_POST
def token_revoke(request: HttpRequest, pk: int, token_pk: int) -> HttpResponse:
    app = selectors.application_of(request.user, pk)
    token = selectors.active_token_of(app, token_pk)
    services.access_token_revoke(token=token, actor=request.user, request=request)
    if request.htmx:
        return HttpResponse("")  # the row is swapped out in place
    messages.success(request, "The token was revoked; the next API call with it fails.")
    return redirect("developer:token_list", pk=app.pk)


@login_required
@require_POST
def tokens_revoke_all(request: HttpRequest, pk: int) -> HttpResponse:
    app = selectors.application_of(request.user, pk)
    form = ConfirmNameForm(request.POST, expected=app.name)
    if form.is_valid():
        reauthentication_require(request)
        count = services.application_revoke_all_tokens(application=app, actor=request.user, request=request)
        messages.success(
            request, f"Revoked {count} access token(s) and every refresh token and pending code."
        )
        return redirect("developer:token_list", pk=app.pk)
    context = {"app": app, "page": _token_page(request, app), "confirm_form": form}
    return render(request, "developer/token_list.html", context)
