from __future__ import annotations

from django.db import transaction
from django.http import HttpRequest

from portal.audit.models import AuditEvent
from portal.audit.services import audit_record, client_ip
from portal.terms.models import TermsAcceptance, TermsVersion


@transaction.atomic
def terms_accept(*, user, version: TermsVersion, request: HttpRequest | None) -> TermsAcceptance:
    acceptance, created = TermsAcceptance.objects.get_or_create(
        user=user, version=version, defaults={"ip_address": client_ip(request)}
    )
    if created:
        audit_record(
            actor=user,
            action=AuditEvent.Action.TERMS_ACCEPTED,
            changes={"version": version.version},
            request=request,
        )
    return acceptance


@transaction.atomic
def terms_publish(*, version: TermsVersion, actor, request: HttpRequest | None) -> TermsVersion:
    version.save()
    audit_record(
        actor=actor,
        action=AuditEvent.Action.TERMS_PUBLISHED,
        changes={"version": version.version},
        request=request,
    )
    return version
