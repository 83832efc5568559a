"""Settings for the developer portal, read from the environment only (12-factor).

With nothing set this is a local development site: DEBUG on, SQLite in ``db.sqlite3`` and development keys
generated once into ``.devkeys/`` (ignored by git). With ``DEBUG=0`` every secret must come from the
environment; a missing one stops start-up with an error that names it. README.md lists every variable.
"""

from __future__ import annotations

import base64
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from portal.clients.hmac_keys import parse_hmac_keys
from portal.device.codes import user_code_generate
from portal.devkeys import development_oidc_key, development_secret_key
from portal.envconfig import env_bool, env_int, env_list, env_str, parse_rate

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


def _validated_rsa_key(pem: str, source: str) -> str:
    """A malformed OIDC key is a start-up error naming where it came from, not a 500 at the JWKS URL."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    try:
        key = serialization.load_pem_private_key(pem.encode(), password=None)
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured(f"{source} is not an unencrypted PEM private key: {exc}") from None
    if not isinstance(key, rsa.RSAPrivateKey) or key.key_size < 2048:
        raise ImproperlyConfigured(f"{source} must be an RSA private key of at least 2048 bits (RS256).")
    return pem


def _read_key_file(name: str, path: str) -> str:
    try:
        return Path(path).read_text()
    except OSError as exc:
        raise ImproperlyConfigured(f"{name}={path!r} cannot be read: {exc}") from exc


def _oidc_private_key() -> str:
    # Three ways in, because a multi-line PEM cannot travel through `docker run --env-file`:
    # a file path (a mounted secret), base64 of the PEM, or the PEM itself.
    path = env_str("OIDC_RSA_PRIVATE_KEY_FILE")
    if path:
        pem = _read_key_file("OIDC_RSA_PRIVATE_KEY_FILE", path)
        return _validated_rsa_key(pem, "OIDC_RSA_PRIVATE_KEY_FILE")
    encoded = env_str("OIDC_RSA_PRIVATE_KEY_BASE64")
    if encoded:
        try:
            pem = base64.b64decode(encoded, validate=True).decode("ascii")
        except (ValueError, UnicodeDecodeError):
            raise ImproperlyConfigured("OIDC_RSA_PRIVATE_KEY_BASE64 is not base64 of a PEM file.") from None
        return _validated_rsa_key(pem, "OIDC_RSA_PRIVATE_KEY_BASE64")
    pem = _required_in_production(
        "OIDC_RSA_PRIVATE_KEY",
        lambda: development_oidc_key(BASE_DIR / ".devkeys" / "oidc_rsa_private_key.pem"),
    )
    return _validated_rsa_key(pem, "OIDC_RSA_PRIVATE_KEY")


def _oidc_inactive_keys() -> list[str]:
    """Retired signing keys still published in the JWKS during a rotation (README "Key rotation")."""
    return [
        _validated_rsa_key(_read_key_file("OIDC_RSA_PRIVATE_KEYS_INACTIVE_FILES", path), path)
        for path in env_list("OIDC_RSA_PRIVATE_KEYS_INACTIVE_FILES", default=[])
    ]


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
    "portal.teams",
    "portal.usage",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    # allauth.mfa and allauth.usersessions templates load {% load humanize %}.
    "django.contrib.humanize",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "oauth2_provider",
    "django_htmx",
    "template_partials",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.usersessions",
]

MIDDLEWARE = [
    "portal.logs.RequestIdMiddleware",
    "portal.health.HealthCheckMiddleware",
    # First after the health check: refuses oversized bodies before they are read, and NUL bytes before
    # any view or DOT sees them (portal/request_guard.py).
    "portal.request_guard.RequestGuardMiddleware",
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
    # Records each signed-in session (device, address, last seen) for the sessions page: allauth's
    # UserSessionsMiddleware, writing at most once per USERSESSIONS_ACTIVITY_INTERVAL
    # (portal/session_activity.py).
    "portal.session_activity.UserSessionActivityMiddleware",
    # Staff (and, when required, developers) without a second factor in this session get the set-up or
    # challenge page instead of /staff/, /admin/ (portal/mfa_gate.py).
    "portal.mfa_gate.SecondFactorRequiredMiddleware",
    # Before dangerous actions: htmx requests are led through re-authentication (portal/reauth.py).
    "portal.reauth.HtmxReauthenticationMiddleware",
    "portal.security.ContentSecurityPolicyMiddleware",
    "portal.ratelimits.OutageMiddleware",
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

# PostgreSQL: server-side parameter binding, and the statements a connection runs often prepared once, so
# PostgreSQL parses and plans the bearer lookup, the client lookup and the token INSERT once per connection
# instead of on every request (in-process, GET /api/me went from 0.42 to 0.14 ms of database CPU). Turn it
# off (DATABASE_SERVER_SIDE_BINDING=0) behind a pooler that cannot keep prepared statements across
# transactions (PgBouncer in transaction mode before 1.21, or without max_prepared_statements).
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Django's backend, with a health check that asks the socket instead of sending SELECT 1 before each
    # request (portal/db/postgresql/base.py).
    DATABASES["default"]["ENGINE"] = "portal.db.postgresql"
    if env_bool("DATABASE_SERVER_SIDE_BINDING", default=True):
        DATABASES["default"]["OPTIONS"] = {"server_side_binding": True, "prepare_threshold": 5}

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
            # Pages link logos by plain URL, so browsers must be able to read them: either the bucket
            # policy makes logos/ public (leave AWS_DEFAULT_ACL unset), or each object is uploaded with
            # AWS_DEFAULT_ACL=public-read (buckets that still accept ACLs).
            "querystring_auth": False,
            "default_acl": env_str("AWS_DEFAULT_ACL") or None,
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

# --- Shared cache and rate limits (Redis) ------------------------------------------------------
# Every instance must see the same counters (allauth's sign-in limits, the portal's own limits), so with
# REDIS_URL set they live in Redis; without it, in this process's memory (fine for one dev server).
# Sessions stay in the database: a Redis outage does not sign anyone out.
REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX") or "portal",
            # A stopped or unreachable Redis must cost a request milliseconds, not a hung worker.
            "OPTIONS": {
                "socket_connect_timeout": env_int("REDIS_TIMEOUT_MS", default=500) / 1000,
                "socket_timeout": env_int("REDIS_TIMEOUT_MS", default=500) / 1000,
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Usage insights (portal/usage/): the token and authorization endpoints count what apps do in the cache above,
# and `manage.py flush_usage` (run every minute, README "Deploying") moves the counts into the database.
# USAGE_COUNTING=0 turns the counting off (the benchmark compares both: benchmarks/usage_overhead.py).
USAGE_COUNTING = env_bool("USAGE_COUNTING", default=True)

# Address of the client behind the load balancer: the number of proxies that append to X-Forwarded-For
# (allauth's setting; the portal's limits read the address through allauth too). 0 = REMOTE_ADDR.
ALLAUTH_TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", default=0)


def _portal_rate(name: str, default: str, fail: str) -> dict:
    return {"rate": parse_rate(name, env_str(name) or default), "fail": fail}


# The portal's own limits (portal/ratelimits.py); "fail" is what happens while Redis is unreachable.
PORTAL_RATE_LIMITS = {
    "token_address": _portal_rate("RATE_LIMIT_TOKEN_PER_ADDRESS", "300/m", fail="open"),
    "token_client": _portal_rate("RATE_LIMIT_TOKEN_PER_CLIENT", "1200/m", fail="open"),
    # Introspection and revocation together (/o/introspect/, /o/revoke_token/): an API may introspect on
    # every call it serves, so the limits are wider than the token endpoint's and fail open like it.
    "token_use_address": _portal_rate("RATE_LIMIT_INTROSPECT_REVOKE_PER_ADDRESS", "3000/m", fail="open"),
    "token_use_client": _portal_rate("RATE_LIMIT_INTROSPECT_REVOKE_PER_CLIENT", "3000/m", fail="open"),
    "app_register": _portal_rate("RATE_LIMIT_APP_REGISTRATION", "20/h", fail="closed"),
    "secret_rotate": _portal_rate("RATE_LIMIT_SECRET_ROTATION", "20/h", fail="closed"),
    "team_invite": _portal_rate("RATE_LIMIT_TEAM_INVITATIONS", "30/h", fail="closed"),
    # RFC 8628 5.1: the code-entry page is where a user code could be guessed: per person and per address.
    "device_code_user": _portal_rate("RATE_LIMIT_DEVICE_CODE_PER_USER", "10/5m", fail="closed"),
    "device_code_address": _portal_rate("RATE_LIMIT_DEVICE_CODE_PER_ADDRESS", "30/5m", fail="closed"),
}
# allauth's sign-in limits, in the same cache: failed sign-ins per address and per account.
ACCOUNT_RATE_LIMITS = {
    "login_failed": env_str("RATE_LIMIT_LOGIN_FAILED") or "10/m/ip,5/5m/key",
}

# --- Request size -----------------------------------------------------------------------------
# The largest upload is a logo (1 MiB, portal/clients/logos.py); a bigger body is refused with 413 before
# it is read (portal/request_guard.py). Uploads up to the limit stay in memory, never in a temporary file.
MAX_REQUEST_BODY = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = MAX_REQUEST_BODY
FILE_UPLOAD_MAX_MEMORY_SIZE = MAX_REQUEST_BODY

# --- Accounts (django-allauth) ---------------------------------------------------------------
SITE_NAME = env_str("SITE_NAME") or "OAuth Developer Portal"
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
# A new account lands in the developer console, whose empty state names the next step (register an app).
ACCOUNT_SIGNUP_REDIRECT_URL = "developer:application_list"
ACCOUNT_LOGIN_METHODS = {"username", "email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "username*", "password1*", "password2*"]
# Mandatory in production: it is what lets sign-up hide whether an email address already has an account
# (ACCOUNT_PREVENT_ENUMERATION: the owner is emailed instead, and both cases show the same page). Usernames
# cannot be hidden that way; see README.md, "Sign-in and hostile input".
ACCOUNT_EMAIL_VERIFICATION = env_str("ACCOUNT_EMAIL_VERIFICATION") or ("optional" if DEBUG else "mandatory")
ACCOUNT_PREVENT_ENUMERATION = True
# Confirming the address signs in the person who has just signed up, and takes them on to where they were
# going (an invitation link, an app's sign-in). allauth does it only in the browser session that signed up,
# so a leaked confirmation link signs nobody in.
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = f"[{SITE_NAME}] "
# Records failed, rate-limited and staff sign-ins in the audit log (portal/account_adapter.py).
ACCOUNT_ADAPTER = "portal.account_adapter.PortalAccountAdapter"

# --- Account security (allauth.mfa, allauth.usersessions) -----------------------------------
# Second factors: authenticator apps (TOTP), security keys and passkeys (WebAuthn), recovery codes.
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes", "webauthn"]
MFA_PASSKEY_LOGIN_ENABLED = True
MFA_TOTP_ISSUER = SITE_NAME
# WebAuthn needs a secure origin; http://localhost is allowed only while developing and in tests.
MFA_WEBAUTHN_ALLOW_INSECURE_ORIGIN = DEBUG
# Staff always need a second factor for /staff/ and /admin/; developers for /developer/ only when set.
REQUIRE_MFA_FOR_DEVELOPERS = env_bool("REQUIRE_MFA_FOR_DEVELOPERS", default=False)
# How long a sign-in or re-authentication counts as recent for dangerous actions (allauth's default).
ACCOUNT_REAUTHENTICATION_TIMEOUT = env_int("REAUTHENTICATION_TIMEOUT", default=300)
# allauth's own security emails: password and email changed, second factor added or removed.
ACCOUNT_EMAIL_NOTIFICATIONS = True
USERSESSIONS_TRACK_ACTIVITY = True
# ...but a session's row (its "last seen") is written at most once per this many seconds, and at once when
# its address or browser changes, instead of on every signed-in request.
USERSESSIONS_ACTIVITY_INTERVAL = env_int("USERSESSIONS_ACTIVITY_INTERVAL", default=300)
# Ending a session on /accounts/sessions/ is audited (portal/account_adapter.py).
USERSESSIONS_ADAPTER = "portal.account_adapter.PortalUserSessionsAdapter"

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
    # oauthlib's OpenID Connect server, with the device grant issuing ID tokens as the code flow does.
    "OIDC_SERVER_CLASS": "portal.clients.oidc_server.Server",
    "APPLICATION_ADMIN_CLASS": "portal.review.admin.ApplicationAdmin",
    "CLIENT_SECRET_HASHER": "client_secret_hmac_sha256",
    # Access and refresh token values: 256 random bits in one call (portal/clients/token_values.py).
    "ACCESS_TOKEN_GENERATOR": "portal.clients.token_values.random_token",
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
    "OIDC_RSA_PRIVATE_KEYS_INACTIVE": _oidc_inactive_keys(),
    "OIDC_ISS_ENDPOINT": env_str("OIDC_ISSUER") or "",
    "OIDC_RP_INITIATED_LOGOUT_ENABLED": True,
    # Logout ends the person's session in this browser after they confirm; it deletes no app's tokens and
    # refuses expired ID token hints (portal/consent/logout.py).
    "OIDC_RP_INITIATED_LOGOUT_ALWAYS_PROMPT": True,
    "OIDC_RP_INITIATED_LOGOUT_DELETE_TOKENS": False,
    "OIDC_RP_INITIATED_LOGOUT_ACCEPT_EXPIRED_TOKENS": False,
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
    # The device grant (RFC 8628, portal.device). The verification URI is made absolute on the portal's
    # origin per request; codes use a look-alike-free alphabet; polls are answered by the portal's
    # validator (validate_device_code), so DOT's pre-token hook (which 500s on an unknown code) is off.
    "OAUTH_DEVICE_VERIFICATION_URI": "/o/device/",
    "OAUTH_DEVICE_USER_CODE_GENERATOR": user_code_generate,
    "OAUTH_PRE_TOKEN_VALIDATION": [],
    "DEVICE_FLOW_INTERVAL": 5,
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

# --- Logging: one JSON object per line, each with the request id (portal/logs.py) ---------------
# oauthlib and DOT log request bodies and tokens at DEBUG: they stay at WARNING whatever LOG_LEVEL says,
# unless OAUTH_LOG_LEVEL asks otherwise on purpose.
LOG_FORMAT = env_str("LOG_FORMAT") or ("text" if DEBUG else "json")
if LOG_FORMAT not in ("json", "text"):
    raise ImproperlyConfigured(f"LOG_FORMAT={LOG_FORMAT!r}: use json or text.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "portal.logs.RequestIdFilter"}},
    "formatters": {
        "json": {"()": "portal.logs.JsonFormatter"},
        "text": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id"],
            "formatter": LOG_FORMAT,
        }
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL") or "INFO"},
    "loggers": {
        "oauth2_provider": {"level": env_str("OAUTH_LOG_LEVEL") or "WARNING"},
        "oauthlib": {"level": env_str("OAUTH_LOG_LEVEL") or "WARNING"},
        # botocore logs signed request headers at DEBUG.
        "botocore": {"level": "WARNING"},
        "boto3": {"level": "WARNING"},
        "urllib3": {"level": "WARNING"},
    },
}
