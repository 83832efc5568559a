"""Staff allow an app to introspect tokens issued to other apps (RFC 7662 section 4), or take that back.

A small form of its own on the review page, apart from the review decisions: it is a permission of an
approved resource server, not a step of review. POST with CSRF, then back to the review page.
"""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from portal.access import staff_required
from portal.clients.services import application_set_introspection
from portal.review import selectors


class IntrospectionForm(forms.Form):
    allowed = forms.BooleanField(required=False)


@staff_required
@require_POST
def application_introspection(request: HttpRequest, pk: int) -> HttpResponse:
    application = selectors.application_get_for_review(pk=pk)
    form = IntrospectionForm(request.POST)
    form.is_valid()  # a single checkbox: anything but "on"/"true" is unticked
    allowed = bool(form.cleaned_data.get("allowed"))
    changed = application_set_introspection(
        application=application, allowed=allowed, actor=request.user, request=request
    )
    if changed and allowed:
        messages.success(request, f"{application.name} may now introspect tokens issued to other apps.")
    elif changed:
        messages.success(request, f"{application.name} may introspect only its own tokens again.")
    return redirect("staff:application_review", pk=application.pk)
