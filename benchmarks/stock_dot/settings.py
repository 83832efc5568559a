"""A stock django-oauth-toolkit 3.4.1 project for benchmarks/compare_stock.py: DOT's own models and views.

Same database (DATABASE_URL), the same persistent connections (DATABASE_CONN_MAX_AGE), the same PostgreSQL
options (server-side binding, prepared statements) and DEBUG off, like the portal it is compared with.
BENCH_STOCK_TUNED=1 swaps DOT's default client-secret hasher (Django's
PBKDF2, 1,000,000 rounds) for a one-iteration PBKDF2, the fastest a stock install can be made by settings.
"""

from __future__ import annotations

import os

import dj_database_url

SECRET_KEY = "stock-dot-project-for-benchmarks-only"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost", "testserver"]
INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "oauth2_provider",
]
# DOT's documented minimum for its protocol views (the authorization page needs a signed-in user).
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {"context_processors": ["django.template.context_processors.request"]},
    }
]
DATABASES = {
    "default": dj_database_url.parse(
        os.environ["DATABASE_URL"],
        conn_max_age=int(os.environ.get("DATABASE_CONN_MAX_AGE", "0")),
        conn_health_checks=True,
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql" and os.environ.get(
    "DATABASE_SERVER_SIDE_BINDING", "1"
) not in ("0", "false", "no", "off"):
    # The portal's PostgreSQL options (portal/settings.py), which any Django project can set: the stock side
    # gets them too, so the comparison measures code, not connection settings.
    DATABASES["default"]["OPTIONS"] = {"server_side_binding": True, "prepare_threshold": 5}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The same SQLite options as the portal's (portal/settings.py), so both queue writers alike.
    DATABASES["default"]["OPTIONS"] = {"transaction_mode": "IMMEDIATE", "timeout": 20}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
USE_TZ = True
TIME_ZONE = "UTC"
ROOT_URLCONF = "benchmarks.stock_dot.urls"
LOGGING = {"version": 1, "root": {"level": "WARNING"}}
OAUTH2_PROVIDER = {
    "SCOPES": {"read": "Read", "write": "Write", "introspection": "Introspect"},
    "DEFAULT_SCOPES": ["read"],
}
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "benchmarks.stock_dot.hashers.OneIterationPBKDF2Hasher",
]
if os.environ.get("BENCH_STOCK_TUNED") == "1":
    OAUTH2_PROVIDER["CLIENT_SECRET_HASHER"] = "pbkdf2_one_iteration"
