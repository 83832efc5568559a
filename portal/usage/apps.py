from django.apps import AppConfig


class UsageConfig(AppConfig):
    name = "portal.usage"
    label = "usage"
    verbose_name = "Usage insights"
    default_auto_field = "django.db.models.BigAutoField"
