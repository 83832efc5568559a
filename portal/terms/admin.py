from django.contrib import admin

from portal.admin_readonly import ReadOnlyAdmin
from portal.terms.models import TermsAcceptance, TermsVersion
from portal.terms.services import terms_publish


class TermsAcceptanceInline(admin.TabularInline):
    model = TermsAcceptance
    fields = ("user", "accepted_at", "ip_address")
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(TermsVersion)
class TermsVersionAdmin(admin.ModelAdmin):
    """Staff publish a new version here; developers must accept it before creating or changing apps."""

    list_display = ("version", "published_at", "acceptance_count")
    inlines = [TermsAcceptanceInline]

    @admin.display(description="accepted by")
    def acceptance_count(self, obj: TermsVersion) -> int:
        return obj.acceptances.count()

    def get_readonly_fields(self, request, obj=None):
        # Text that people accepted must not change under them: publish a new version instead.
        return ("version", "body") if obj is not None and obj.acceptances.exists() else ()

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
        else:
            terms_publish(version=obj, actor=request.user, request=request)


@admin.register(TermsAcceptance)
class TermsAcceptanceAdmin(ReadOnlyAdmin):
    list_display = ("user", "version", "accepted_at", "ip_address")
    list_filter = ("version",)
    search_fields = ("user__username", "user__email")
