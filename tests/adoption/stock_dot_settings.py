"""A throwaway stock django-oauth-toolkit project: DOT's built-in Application model and DOT's own migrations.

It stands for the database a team already runs before adopting the portal, so it deliberately has none of
the portal's apps or settings: no swapped model, DOT's default (plaintext-at-rest) token storage and
Django's default password hasher for client secrets. Only DATABASE_URL comes from the environment.
"""

from __future__ import annotations

import os

import dj_database_url

SECRET_KEY = "stock-dot-project-for-adoption-tests-only"
DEBUG = False
ALLOWED_HOSTS = ["localhost"]
INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "oauth2_provider",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ]
        },
    }
]
DATABASES = {"default": dj_database_url.parse(os.environ["DATABASE_URL"])}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
TIME_ZONE = "UTC"
ROOT_URLCONF = "oauth2_provider.urls"
OAUTH2_PROVIDER = {
    "SCOPES": {"read": "Read", "write": "Write", "openid": "OpenID Connect", "introspection": "Introspect"},
}
