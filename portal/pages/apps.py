from django.apps import AppConfig


class PagesConfig(AppConfig):
    name = "portal.pages"
    label = "pages"
    verbose_name = "Pages"

    def ready(self) -> None:
        # Second factors added, removed, recovery codes regenerated, wrong codes on re-authentication:
        # allauth.mfa reports these only through signals, recorded in the audit log. The import waits for
        # ready() because the adapter imports models, which cannot load while apps are being set up
        # (Django's documented place for connecting signals).
        from portal.account_adapter import connect_mfa_audit

        connect_mfa_audit()
