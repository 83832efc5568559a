"""Form helpers shared by the staff pages (review queue, audit log)."""

from __future__ import annotations

from django import forms


def valid_filters(form: forms.Form) -> dict:
    """The filter values that parsed. A malformed parameter is dropped on its own; the others still apply."""
    if not form.is_bound:
        return {}
    form.is_valid()
    return form.cleaned_data
