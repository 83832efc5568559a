from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    """An admin that lists and shows records but lets nobody add, change or delete one (records of what
    happened: audit events, terms acceptances)."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
