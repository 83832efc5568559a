from django.apps import AppConfig


class DeveloperConfig(AppConfig):
    name = "portal.developer"
    label = "developer"
    verbose_name = "Developer console"
