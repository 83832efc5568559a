from __future__ import annotations

from django import template

from portal.consent import scopes

register = template.Library()


@register.filter
def describe_scopes(names) -> list[scopes.Scope]:
    """Scope names → their plain-words descriptions (OAUTH2_PROVIDER["SCOPES"]), in the settings' order."""
    return scopes.describe(names or [])
