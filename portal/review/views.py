"""Staff pages: the review queue and the review of one app, with its decisions.

Every view is wrapped in `staff_required` first (outermost), so to anyone but staff each URL is a 404
whatever the method or the HX-Request header. Decisions are POST-only forms that also work without
JavaScript: with htmx the review partial is swapped in place, without it the browser is redirected back
to the review page (post/redirect/get) with a message.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import cast

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.forms import ChoiceField
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from portal import confirm
from portal.access import staff_required
from portal.audit.selectors import audit_event_list
from portal.clients.proposals import proposed_change_rows
from portal.forms import valid_filters
from portal.htmx import render_partial_or_page, wants_fragment
from portal.pages.context_processors import review_nav_label
from portal.reauth import reauthentication_require
from portal.review import decisions, forms, selectors, services
from portal.review.decisions import STALE
from portal.teams.selectors import membership_list
from portal.terms.selectors import terms_acceptance_summary

QUEUE_PAGE_SIZE = 50
RECENT_EVENTS = 10


@staff_required
@require_GET
def review_queue(request: HttpRequest) -> HttpResponse:
    form = forms.QueueFilterForm(request.GET or None)
    filters = valid_filters(form)
    apps = selectors.application_list_for_review(
        status=filters.get("status", ""), search=filters.get("q", "")
    )
    page = Paginator(apps, QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query": query.urlencode()}
    return render_partial_or_page(request, "review/queue.html", "queue", context)


def _review_context(
    application, *, bound: forms.forms.Form | None = None, notice: str = "", error: str = ""
) -> dict:
    decision_forms: dict[str, list[forms.DecisionForm]] = {"change": [], "status": [], "danger": []}
    for decision in decisions.decisions_for(application):
        form = (
            bound
            if isinstance(bound, forms.DecisionForm) and bound.decision is decision
            else forms.DecisionForm(decision=decision)
        )
        decision_forms[decision.section].append(form)
    grant_form = (
        bound if isinstance(bound, forms.AllowGrantForm) else forms.AllowGrantForm(application=application)
    )
    return {
        "application": application,
        # Every form on the page carries this: a decision about an app that changed since is refused.
        "version": application.review_version(),
        "notice": notice,
        "error": error,
        "redirect_uris": selectors.redirect_uri_review(
            uris=application.redirect_uris, homepage_url=application.homepage_url
        ),
        "post_logout_redirect_uris": application.post_logout_redirect_uris.split(),
        "grant_rows": selectors.grant_review(
            grant_types=application.registered_grant_types(), staff_allowed=application.staff_allowed_grants
        ),
        "change_rows": proposed_change_rows(application=application),
        "other_apps": selectors.application_list_same_owner(application=application),
        # The team is who the consent screen names as publisher: staff see who is in it.
        "team_members": membership_list(team=application.team) if application.team_id else [],
        "terms": terms_acceptance_summary(user=application.user),
        "events": audit_event_list(application_id=application.pk)[:RECENT_EVENTS],
        "decision_forms": decision_forms,
        "grant_form": grant_form,
        "can_allow_grant": bool(cast(ChoiceField, grant_form.fields["grant"]).choices),
    }


@staff_required
@require_GET
def application_review(request: HttpRequest, pk: int) -> HttpResponse:
    application = selectors.application_get_for_review(pk=pk)
    return render_partial_or_page(
        request, "review/application_review.html", "review", _review_context(application)
    )


def _decided(request: HttpRequest, application, notice: str) -> HttpResponse:
    if wants_fragment(request):
        application = selectors.application_get_for_review(pk=application.pk)
        response = render(
            request, "review/application_review.html#review", _review_context(application, notice=notice)
        )
        # The navigation's "Staff review (n)" is outside the swapped part: portal.js updates it.
        response["HX-Trigger"] = json.dumps({"reviewCountChanged": {"label": review_nav_label()}})
        return response
    messages.success(request, notice)
    return redirect("staff:application_review", pk=application.pk)


def _refused(request: HttpRequest, application, error: str, *, bound=None) -> HttpResponse:
    """A decision that could not be taken: the form's errors, or a state that changed meanwhile."""
    application = selectors.application_get_for_review(pk=application.pk)
    context = _review_context(application, bound=bound, error=error)
    if wants_fragment(request):
        # 200, so htmx swaps the errors in (it leaves 4xx responses alone by default).
        return render(request, "review/application_review.html#review", context)
    return render(request, "review/application_review.html", context, status=400)


def _decide(
    request: HttpRequest, application, decide: Callable[[], object], notice: Callable[[], str], *, bound
) -> HttpResponse:
    try:
        decide()
    except services.ReviewError as exc:
        return _refused(request, application, str(exc), bound=bound)
    except ValidationError as exc:
        return _refused(request, application, decisions.validation_refusal(exc), bound=bound)
    return _decided(request, application, notice())


@staff_required
@require_POST
def application_decide(request: HttpRequest, pk: int, code: str) -> HttpResponse:
    """Every decision of portal/review/decisions.py, mounted once per decision by urls.py."""
    decision = decisions.BY_CODE[code]
    application = selectors.application_get_for_review(pk=pk)
    if decision.confirm_message and confirm.confirmation_needed(request):
        return confirm.ask(
            request,
            title=decision.confirm_title.format(name=application.name),
            message=decision.confirm_message,
            confirm_label=decision.label,
            cancel_url=reverse("staff:application_review", args=[application.pk]),
            danger=decision.style == "danger",
        )
    form = forms.DecisionForm(request.POST, decision=decision)
    if not form.is_valid():
        # A mangled version (the field is hidden) is a page that no longer matches, said in those words.
        return _refused(request, application, STALE if "version" in form.errors else "", bound=form)
    if decision.reauthenticate:
        reauthentication_require(request)
    was_trusted = application.skip_authorization
    return _decide(
        request,
        application,
        lambda: services.application_decide(
            decision=decision,
            application=application,
            reviewer=request.user,
            version=form.cleaned_data["version"],
            reason=form.cleaned_data.get("reason", ""),
            request=request,
        ),
        lambda: decision.notice_for(
            application, trust_removed=was_trusted and not application.skip_authorization
        ),
        bound=form,
    )


@staff_required
@require_POST
def application_allow_grant(request: HttpRequest, pk: int) -> HttpResponse:
    application = selectors.application_get_for_review(pk=pk)
    form = forms.AllowGrantForm(request.POST, application=application)
    if not form.is_valid():
        return _refused(request, application, STALE if "version" in form.errors else "", bound=form)
    grant = form.cleaned_data["grant"]
    return _decide(
        request,
        application,
        lambda: services.application_allow_deprecated_grant(
            application=application,
            reviewer=request.user,
            grant=grant,
            justification=form.cleaned_data["justification"],
            version=form.cleaned_data["version"],
            request=request,
        ),
        lambda: f"{grant} is allowed for {application.name}.",
        bound=form,
    )
