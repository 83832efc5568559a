from django.contrib import admin

from portal.admin_readonly import ReadOnlyAdmin
from portal.audit.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    """Read-only: staff can search and read the log, nobody can add, change or delete an event."""

    list_display = ("created_at", "actor_label", "action", "application_label", "client_id", "ip_address")
    list_filter = ("action",)
    search_fields = ("actor_label", "application_label", "client_id")
    date_hierarchy = "created_at"
