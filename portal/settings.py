"""Settings for the developer portal, read from the environment only (12-factor).

With nothing set this is a local development site: DEBUG on, SQLite in ``db.sqlite3`` and development keys
generated once into ``.devkeys/`` (ignored by git). With ``DEBUG=0`` every secret must come from the
environment; a missing one stops start-up with an error that names it. README.md lists every variable.
"""

from __future__ import annotations

from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from portal.clients.hmac_keys import parse_hmac_keys
from portal.devkeys import development_oidc_key, development_secret_key
from portal.envconfig import env_bool, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent

DEBUG = env_bool("DEBUG", default=True)


def _required_in_production(name: str, development_value) -> str:
    """A secret that production must set; development falls back to a key generated on this machine."""
    value = env_str(name)
    if value:
        return value
    if DEBUG:
        return development_value()
    raise ImproperlyConfigured(
        f"{name} is not set. With DEBUG off the portal never invents secrets: set {name} in the environment "
        "(README.md, 'Configuration')."
    )


def _oidc_private_key() -> str:
    path = env_str("OIDC_RSA_PRIVATE_KEY_FILE")
    if path:
        try:
            return Path(path).read_text()
        except OSError as exc:
            raise ImproperlyConfigured(f"OIDC_RSA_PRIVATE_KEY_FILE={path!r} cannot be read: {exc}") from exc
    return _required_in_production(
        "OIDC_RSA_PRIVATE_KEY",
        lambda: development_oidc_key(BASE_DIR / ".devkeys" / "oidc_rsa_private_key.pem"),
    )


SECRET_KEY = _required_in_production("SECRET_KEY", lambda: development_secret_key(BASE_DIR / ".devkeys"))

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]"] if DEBUG else [])
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    # Portal apps first: their templates and management commands (createapplication) win over DOT's.
    "portal.clients",
    "portal.pages",
    "portal.api",
    "portal.consent",
    "portal.audit",
    "portal.developer",
    "portal.review",
    "portal.terms",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "oauth2_provider",
    "django_htmx",
    "template_partials",
    "allauth",
    "allauth.account",
]

MIDDLEWARE = [
    "portal.health.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # /api/* (bearer tokens) skips all below: sessions, CSRF, messages, allauth (portal/api/middleware.py).
    "portal.api.middleware.ApiFastPathMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "portal.security.ContentSecurityPolicyMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"
ASGI_APPLICATION = "portal.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "portal.pages.context_processors.navigation",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        env_str("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DATABASE_CONN_MAX_AGE", default=0),
        conn_health_checks=True,
    )
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2SHA1PasswordHasher",
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.BCryptSHA256PasswordHasher",
    "django.contrib.auth.hashers.ScryptPasswordHasher",
    # Client secrets only (see portal/clients/hashers.py for why they get their own hashers).
    "portal.clients.hashers.ClientSecretHMACHasher",
    "portal.clients.hashers.ClientSecretHasher",
]

AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env_str("STATIC_ROOT") or BASE_DIR / "staticfiles")
MEDIA_URL = env_str("MEDIA_URL") or "/media/"
MEDIA_ROOT = Path(env_str("MEDIA_ROOT") or BASE_DIR / "media")

# Uploaded logos go through STORAGES["default"]: the file system unless an S3 bucket is named.
if env_str("AWS_STORAGE_BUCKET_NAME"):
    _default_storage = {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": env_str("AWS_STORAGE_BUCKET_NAME"),
            "region_name": env_str("AWS_S3_REGION_NAME") or None,
            "endpoint_url": env_str("AWS_S3_ENDPOINT_URL") or None,
            "custom_domain": env_str("AWS_S3_CUSTOM_DOMAIN") or None,
            "file_overwrite": False,
            "querystring_auth": False,
        },
    }
else:
    _default_storage = {"BACKEND": "django.core.files.storage.FileSystemStorage"}
STORAGES = {
    "default": _default_storage,
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}

# --- Accounts (django-allauth) ---------------------------------------------------------------
SITE_NAME = env_str("SITE_NAME") or "OAuth Developer Portal"
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "username*", "password1*", "password2*"]
ACCOUNT_EMAIL_VERIFICATION = env_str("ACCOUNT_EMAIL_VERIFICATION") or "optional"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = f"[{SITE_NAME}] "

EMAIL_BACKEND = env_str("EMAIL_BACKEND") or (
    "django.core.mail.backends.console.EmailBackend"
    if DEBUG
    else "django.core.mail.backends.smtp.EmailBackend"
)
EMAIL_HOST = env_str("EMAIL_HOST") or "localhost"
EMAIL_PORT = env_int("EMAIL_PORT", default=25)
EMAIL_HOST_USER = env_str("EMAIL_HOST_USER") or ""
EMAIL_HOST_PASSWORD = env_str("EMAIL_HOST_PASSWORD") or ""
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", default=False)
DEFAULT_FROM_EMAIL = env_str("DEFAULT_FROM_EMAIL") or "portal@localhost"

# --- OAuth 2.0 / OpenID Connect (django-oauth-toolkit) ----------------------------------------
OAUTH2_PROVIDER_APPLICATION_MODEL = "clients.Application"

OAUTH2_PROVIDER = {
    "OAUTH2_VALIDATOR_CLASS": "portal.clients.validators.PortalOAuth2Validator",
    "OAUTH2_BACKEND_CLASS": "portal.clients.backends.PortalOAuthLibCore",
    "APPLICATION_ADMIN_CLASS": "portal.clients.admin.ApplicationAdmin",
    "CLIENT_SECRET_HASHER": "client_secret_hmac_sha256",
    "SCOPES": {
        "openid": "Sign you in with your account (OpenID Connect)",
        "profile": "See your name and username",
        "email": "See your email address",
        "read": "Read your account details through the API",
        "write": "Change your data through the API",
        "groups": "See which groups you belong to",
    },
    "DEFAULT_SCOPES": ["read"],
    # A 403 names the scope the token lacks, so a developer knows what to ask for.
    "ERROR_RESPONSE_WITH_SCOPES": True,
    "ACCESS_TOKEN_EXPIRE_SECONDS": env_int("ACCESS_TOKEN_EXPIRE_SECONDS", default=3600),
    "REFRESH_TOKEN_EXPIRE_SECONDS": env_int("REFRESH_TOKEN_EXPIRE_SECONDS", default=30 * 24 * 3600),
    "ID_TOKEN_EXPIRE_SECONDS": env_int("ID_TOKEN_EXPIRE_SECONDS", default=3600),
    "AUTHORIZATION_CODE_EXPIRE_SECONDS": env_int("AUTHORIZATION_CODE_EXPIRE_SECONDS", default=60),
    # Refresh tokens rotate on use; presenting a used one again revokes its whole family (RFC 9700 4.14.2).
    "ROTATE_REFRESH_TOKEN": True,
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    "REFRESH_TOKEN_GRACE_PERIOD_SECONDS": 0,
    "PKCE_REQUIRED": True,
    # Registration accepts https only; the Application model adds loopback http (RFC 8252) and
    # private-use schemes for native apps itself, so the RFC 9700 scheme gate below can stay on.
    "ALLOWED_REDIRECT_URI_SCHEMES": ["https"],
    "ALLOW_URI_WILDCARDS": False,
    "OIDC_ENABLED": True,
    "OIDC_RSA_PRIVATE_KEY": _oidc_private_key(),
    "OIDC_ISS_ENDPOINT": env_str("OIDC_ISSUER") or "",
    "OIDC_RP_INITIATED_LOGOUT_ENABLED": True,
    "OIDC_RESPONSE_TYPES_SUPPORTED": ["code"],
    "OAUTH2_RESPONSE_TYPES_SUPPORTED": ["code"],
    # What a newly registered client may use; deprecated grants exist only for apps staff allowed them.
    "OAUTH2_GRANT_TYPES_SUPPORTED": [
        "authorization_code",
        "client_credentials",
        "refresh_token",
        "urn:ietf:params:oauth:grant-type:device_code",
    ],
    # RFC 9700 gates: all on, except implicit and password, which the portal decides per app
    # (Application.allows_grant_type: a deprecated grant works only where staff allowed it).
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": False,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": False,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    "COMPLIANT_BCP_RFC9700_REFRESH_TOKEN": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_SCHEME": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_MATCHING": True,
    "COMPLIANT_BCP_RFC9700_PKCE_REQUIRED": True,
}

# DOT warns (W001, W002) that the implicit and password grants are not globally disabled. They are
# disabled per app instead (see the RFC 9700 comment above), which DOT's static check cannot see.
SILENCED_SYSTEM_CHECKS = ["oauth2_provider.W001", "oauth2_provider.W002"]

# --- Performance (issue 11): client-secret HMAC keys, persistent connections -----------------
# The client-secret hasher's keys, "id:key,id:key", the first current (portal/clients/hashers.py). Apart
# from SECRET_KEY so either can rotate alone; an old key stays listed until its hashes were re-hashed.
CLIENT_SECRET_HMAC_KEYS = parse_hmac_keys(
    _required_in_production(
        "CLIENT_SECRET_HMAC_KEYS",
        lambda: "dev:" + development_secret_key(BASE_DIR / ".devkeys" / "client_secret_hmac"),
    )
)
# Older client-secret hashes (PBKDF2) are re-hashed with the HMAC hasher on their first successful use.
# Off only while an adopted DOT deployment still serves the same database: it cannot verify HMAC hashes.
CLIENT_SECRET_REHASH = env_bool("CLIENT_SECRET_REHASH", default=True)
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Several workers on one SQLite file: a transaction that reads, then writes (every token request)
    # fails at once with "database is locked" when another took the write lock meanwhile. Taking the
    # lock at BEGIN makes them queue instead. (WAL mode would help more, but it is a property of the file
    # that opening it must not change: benchmarks/compare_stock.py sets it on its own files.)
    DATABASES["default"].setdefault("OPTIONS", {}).update({"transaction_mode": "IMMEDIATE", "timeout": 20})

# --- Security headers --------------------------------------------------------------------------
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False  # htmx reads nothing from it: the token is rendered into <body hx-headers>.
if not DEBUG:
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=False)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    if env_bool("BEHIND_TLS_PROXY", default=True):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL") or "INFO"},
    "loggers": {
        # DOT logs redirect URIs and client ids at DEBUG; never secrets, but keep it quiet by default.
        "oauth2_provider": {"level": env_str("OAUTH_LOG_LEVEL") or "WARNING"},
    },
}
