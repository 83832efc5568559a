from django.apps import AppConfig


class ClientsConfig(AppConfig):
    name = "portal.clients"
    label = "clients"
    verbose_name = "OAuth clients"
