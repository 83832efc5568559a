"""Reads of the developer terms: the version in force and who accepted which."""

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


def terms_acceptance_summary(*, user) -> dict:
    """What staff see of a developer's terms: every acceptance, newest first, the current version (one
    scheduled for later is not current yet) and whether they accepted it."""
    if user is None:
        return {"acceptances": [], "current": None, "accepted_current": False}
    acceptances = list(
        TermsAcceptance.objects.filter(user=user).select_related("version").order_by("-accepted_at")
    )
    current = terms_version_current()
    accepted_current = current is not None and any(a.version_id == current.pk for a in acceptances)
    return {"acceptances": acceptances, "current": current, "accepted_current": accepted_current}
