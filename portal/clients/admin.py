"""Admin for applications. DOT registers it (APPLICATION_ADMIN_CLASS); it is standalone rather than a
subclass of DOT's, whose module reads that very setting while it is imported.

Unlike DOT's, it never shows the stored secret hash as if it were the secret, and the client id is
read-only: secrets are issued by the portal's services and shown once.
"""

from django.contrib import admin


class ApplicationAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "client_id",
        "user",
        "client_type",
        "review_status",
        "skip_authorization",
        "created",
    )
    list_filter = ("review_status", "client_type", "skip_authorization", "authorization_grant_type")
    search_fields = ("name", "client_id", "user__username", "user__email")
    raw_id_fields = ("user",)
    exclude = ("client_secret", "hash_client_secret")
    readonly_fields = ("client_id", "created", "updated")
