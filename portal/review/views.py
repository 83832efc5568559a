"""Staff pages: the review queue and the review of one app, with its decisions.

Every view is wrapped in `staff_required` first (outermost), so to anyone but staff each URL is a 404
whatever the method or the HX-Request header. Decisions are POST-only forms that also work without
JavaScript: with htmx the review partial is swapped in place, without it the browser is redirected back
to the review page (post/redirect/get) with a message.
"""

from __future__ import annotations

import json
from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django.views.decorators.vary import vary_on_headers
from oauth2_provider.models import get_application_model

from portal import confirm
from portal.audit.selectors import audit_events
from portal.clients import grants
from portal.htmx import render_partial_or_page
from portal.pages.context_processors import review_nav_label
from portal.review import forms, selectors, services
from portal.review.access import staff_required
from portal.review.forms import valid_filters

QUEUE_PAGE_SIZE = 50
RECENT_EVENTS = 10


def _wants_fragment(request: HttpRequest) -> bool:
    return bool(request.htmx) and not request.htmx.history_restore_request


def _get_application(pk: int):
    try:
        return selectors.application_for_review(pk=pk)
    except get_application_model().DoesNotExist as exc:
        raise Http404("No such app.") from exc


@staff_required
@require_GET
@vary_on_headers("HX-Request")
def review_queue(request: HttpRequest) -> HttpResponse:
    form = forms.QueueFilterForm(request.GET or None)
    filters = valid_filters(form)
    apps = selectors.review_queue(status=filters.get("status", ""), search=filters.get("q", ""))
    page = Paginator(apps, QUEUE_PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query": query.urlencode()}
    return render_partial_or_page(request, "review/queue.html", "queue", context)


def _review_context(application, *, bound: dict | None = None, notice: str = "", error: str = "") -> dict:
    Status = type(application).ReviewStatus
    status = application.review_status
    context = {
        "application": application,
        "notice": notice,
        "error": error,
        "redirect_uris": selectors.redirect_uri_review(
            application.redirect_uris, homepage_url=application.homepage_url
        ),
        "post_logout_redirect_uris": application.post_logout_redirect_uris.split(),
        "grant_rows": selectors.grant_review(
            list(dict.fromkeys([*application.grant_types, application.authorization_grant_type])),
            staff_allowed=application.staff_allowed_grants,
        ),
        "change_rows": selectors.proposed_change_rows(application=application),
        "other_apps": selectors.developer_other_apps(application=application),
        "terms": selectors.developer_terms(user=application.user),
        "events": audit_events(application_id=application.pk)[:RECENT_EVENTS],
        # Which decisions fit the app's state; the services check again, under a lock.
        "can_approve": status in (Status.PENDING, Status.REJECTED),
        "can_reject": status == Status.PENDING,
        "can_trust": status == Status.APPROVED and not application.skip_authorization,
        "can_untrust": application.skip_authorization,
        "can_suspend": status != Status.SUSPENDED,
        "can_reinstate": status == Status.SUSPENDED,
        "deprecated_grants": grants.DEPRECATED,
        "reject_form": forms.reject_form(),
        "reject_change_form": forms.reject_change_form(),
        "suspend_form": forms.suspend_form(),
        "grant_form": forms.AllowGrantForm(application=application),
    }
    context.update(bound or {})
    context["can_allow_grant"] = bool(context["grant_form"].fields["grant"].choices)
    return context


@staff_required
@require_GET
@vary_on_headers("HX-Request")
def application_review(request: HttpRequest, pk: int) -> HttpResponse:
    application = _get_application(pk)
    template = "review/application_review.html"
    if _wants_fragment(request):
        template += "#review"
    return render(request, template, _review_context(application))


def _decided(request: HttpRequest, application, notice: str) -> HttpResponse:
    if _wants_fragment(request):
        application = _get_application(application.pk)
        response = render(
            request, "review/application_review.html#review", _review_context(application, notice=notice)
        )
        # The navigation's "Staff review (n)" is outside the swapped part: portal.js updates it.
        response["HX-Trigger"] = json.dumps({"reviewCountChanged": {"label": review_nav_label()}})
        return response
    messages.success(request, notice)
    return redirect("staff:application_review", pk=application.pk)


def _refused(request: HttpRequest, application, error: str, *, bound: dict | None = None) -> HttpResponse:
    """A decision that could not be taken: the form's errors, or a state that changed meanwhile."""
    application = _get_application(application.pk)
    context = _review_context(application, bound=bound, error=error)
    if _wants_fragment(request):
        # 200, so htmx swaps the errors in (it leaves 4xx responses alone by default).
        return render(request, "review/application_review.html#review", context)
    return render(request, "review/application_review.html", context, status=400)


def _decide(
    request: HttpRequest, application, decide: Callable[[], object], notice: str, *, bound: dict | None = None
) -> HttpResponse:
    try:
        decide()
    except services.ReviewError as exc:
        return _refused(request, application, str(exc), bound=bound)
    except ValidationError as exc:
        message = "; ".join(exc.messages)
        return _refused(request, application, f"The app would no longer be valid: {message}", bound=bound)
    return _decided(request, application, notice)


@staff_required
@require_POST
def application_approve(request: HttpRequest, pk: int) -> HttpResponse:
    application = _get_application(pk)
    return _decide(
        request,
        application,
        lambda: services.application_approve(application=application, reviewer=request.user, request=request),
        f"{application.name} is approved. The developer has been told by email.",
    )


@staff_required
@require_POST
def application_reject(request: HttpRequest, pk: int) -> HttpResponse:
    application = _get_application(pk)
    form = forms.reject_form(request.POST)
    if not form.is_valid():
        return _refused(request, application, "", bound={"reject_form": form})
    return _decide(
        request,
        application,
        lambda: services.application_reject(
            application=application,
            reviewer=request.user,
            reason=form.cleaned_data["reason"],
            request=request,
        ),
        f"{application.name} is rejected. The developer has been told why.",
        bound={"reject_form": form},
    )


@staff_required
@require_POST
def application_approve_change(request: HttpRequest, pk: int) -> HttpResponse:
    application = _get_application(pk)
    notice = "The change is approved and live."
    if application.skip_authorization:
        notice += " The app is no longer trusted; trust it again if the change warrants it."
    return _decide(
        request,
        application,
        lambda: services.application_approve_change(
            application=application, reviewer=request.user, request=request
        ),
        notice,
    )


@staff_required
@require_POST
def application_reject_change(request: HttpRequest, pk: int) -> HttpResponse:
    application = _get_application(pk)
    form = forms.reject_change_form(request.POST)
    if not form.is_valid():
        return _refused(request, application, "", bound={"reject_change_form": form})
    return _decide(
        request,
        application,
        lambda: services.application_reject_change(
            application=application,
            reviewer=request.user,
            reason=form.cleaned_data["reason"],
            request=request,
        ),
        "The change is rejected; the app keeps its current settings.",
        bound={"reject_change_form": form},
    )


@staff_required
@require_POST
def application_trust(request: HttpRequest, pk: int) -> HttpResponse:
    application = _get_application(pk)
    if confirm.confirmation_needed(request):
        return confirm.ask(
            request,
            title=f"Trust {application.name}?",
            message="People who sign in to a trusted app are not shown a consent screen: the app gets what "
            "it asks for at once.",
            confirm_label="Mark trusted",
            cancel_url=reverse("staff:application_review", args=[application.pk]),
            danger=False,
        )
    return _decide(
        request,
        application,
        lambda: services.application_trust(application=application, reviewer=request.user, request=request),
        f"{application.name} is trusted: its users see no consent screen.",
    )


@staff_required
@require_POST
def application_untrust(request: HttpRequest, pk: int) -> HttpResponse:
    application = _get_application(pk)
    if confirm.confirmation_needed(request):
        return confirm.ask(
            request,
            title=f"Remove the trust of {application.name}?",
            message="From the next sign-in its users see a consent screen again and must allow it.",
            confirm_label="Remove trust",
            cancel_url=reverse("staff:application_review", args=[application.pk]),
        )
    return _decide(
        request,
        application,
        lambda: services.application_untrust(application=application, reviewer=request.user, request=request),
        f"{application.name} is no longer trusted: its users are asked for consent.",
    )


@staff_required
@require_POST
def application_suspend(request: HttpRequest, pk: int) -> HttpResponse:
    application = _get_application(pk)
    form = forms.suspend_form(request.POST)
    if not form.is_valid():
        return _refused(request, application, "", bound={"suspend_form": form})
    return _decide(
        request,
        application,
        lambda: services.application_suspend(
            application=application,
            reviewer=request.user,
            reason=form.cleaned_data["reason"],
            request=request,
        ),
        f"{application.name} is suspended and every token it held is revoked.",
        bound={"suspend_form": form},
    )


@staff_required
@require_POST
def application_reinstate(request: HttpRequest, pk: int) -> HttpResponse:
    application = _get_application(pk)
    return _decide(
        request,
        application,
        lambda: services.application_reinstate(
            application=application, reviewer=request.user, request=request
        ),
        f"{application.name} is reinstated and approved again.",
    )


@staff_required
@require_POST
def application_allow_grant(request: HttpRequest, pk: int) -> HttpResponse:
    application = _get_application(pk)
    form = forms.AllowGrantForm(request.POST, application=application)
    if not form.is_valid():
        return _refused(request, application, "", bound={"grant_form": form})
    grant = form.cleaned_data["grant"]
    return _decide(
        request,
        application,
        lambda: services.application_allow_deprecated_grant(
            application=application,
            reviewer=request.user,
            grant=grant,
            justification=form.cleaned_data["justification"],
            request=request,
        ),
        f"{grant} is allowed for {application.name}.",
        bound={"grant_form": form},
    )
