from __future__ import annotations

from django.utils import timezone

from portal.terms.models import TermsAcceptance, TermsVersion


def terms_version_current() -> TermsVersion | None:
    return TermsVersion.objects.filter(published_at__lte=timezone.now()).order_by("-published_at").first()


def terms_version_to_accept(*, user) -> TermsVersion | None:
    """The current version when `user` has not accepted it yet, else None."""
    current = terms_version_current()
    if current is None or TermsAcceptance.objects.filter(user=user, version=current).exists():
        return None
    return current
