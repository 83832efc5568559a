"""Staff allow an app to introspect tokens issued to other apps (RFC 7662 section 4), or take that back.

A small form of its own on the review page, apart from the review decisions: it is a permission of an
approved resource server, not a step of review. POST with CSRF, then back to the review page. Like the
decisions it carries the page's review version: allowing is refused when the app changed since the page
was shown (portal/review/services.py).
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from portal.access import staff_required
from portal.review import selectors
from portal.review.services import ReviewError, application_decide_introspection


class IntrospectionForm(forms.Form):
    allowed = forms.BooleanField(required=False)
    version = forms.CharField(required=False, max_length=64)


@staff_required
@require_POST
def application_introspection(request: HttpRequest, pk: int) -> HttpResponse:
    application = selectors.application_get_for_review(pk=pk)
    form = IntrospectionForm(request.POST)
    form.is_valid()  # a single checkbox: anything but "on"/"true" is unticked
    allowed = bool(form.cleaned_data.get("allowed"))
    try:
        changed = application_decide_introspection(
            application=application,
            reviewer=request.user,
            allowed=allowed,
            version=form.cleaned_data.get("version") or "",
            request=request,
        )
    except ReviewError as refusal:
        messages.error(request, str(refusal))
        return redirect("staff:application_review", pk=application.pk)
    if changed and allowed:
        messages.success(request, f"{application.name} may now introspect tokens issued to other apps.")
    elif changed:
        messages.success(request, f"{application.name} may introspect only its own tokens again.")
    return redirect("staff:application_review", pk=application.pk)
