from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "portal.audit"
    label = "audit"
    verbose_name = "Audit log"

    def ready(self) -> None:
        # Second factors added, removed, recovery codes regenerated, wrong codes on re-authentication:
        # allauth.mfa reports these only through signals.
        from portal.account_adapter import connect_mfa_audit

        connect_mfa_audit()
