"""The integration error log: what went wrong with an app's requests, for its developer.

Every failure is counted (portal.usage.counters); a row is written only for an app the portal knows, and
storage stays bounded whatever a client sends:
- the same error with the same value within COALESCE_WINDOW bumps one row's count and time;
- at most WRITES_PER_MINUTE rows are written or bumped per app and minute (a cache counter); beyond that the
  failures are still counted, not logged;
- each new row deletes the app's rows beyond the newest KEEP_PER_APP, and `flush_usage` deletes rows older
  than 30 days (portal.usage.services.integration_errors_prune).

What is stored is only ever a value safe to show the developer: a redirect URI without its query, fragment or
user info; a grant, response or token type; scope names. Values are cleaned of control characters and
truncated, and a value that contains any credential sent with the same request (client secret, code, token,
refresh token, device code, code verifier, password, the Authorization header) is not stored at all.

The endpoints logged: the token endpoint (portal.clients.token_view), the authorization endpoint
(portal.consent.views), introspection (portal.clients.introspection) and revocation
(portal.clients.revocation).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import re
import time
import unicodedata
from dataclasses import dataclass
from datetime import timedelta
from urllib.parse import urlsplit, urlunsplit

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone

from portal.clients.selectors import application_find_by_client_id
from portal.ratelimits import CACHE_ERRORS
from portal.usage import counters
from portal.usage.models import IntegrationError, Kind

logger = logging.getLogger(__name__)

COALESCE_WINDOW_SECONDS = 3600
WRITES_PER_MINUTE = 20
KEEP_PER_APP = 200
VALUE_MAX = 200
# How long the client_id -> app id lookup of a failing request is remembered (0: unknown client id).
CLIENT_MEMO_SECONDS = 300


# The endpoints, as stored in IntegrationError.endpoint (the page shows /o/<endpoint>/).
TOKEN = "token"  # noqa: S105 (an endpoint's name, not a secret)
AUTHORIZE = "authorize"
INTROSPECT = "introspect"
REVOKE = "revoke_token"


@dataclass(frozen=True)
class ErrorInfo:
    kind: str
    title: str
    hint: str


# One entry per error code the log shows: the counted kind, a title and the plain-language hint.
ERRORS: dict[str, ErrorInfo] = {
    "redirect_uri_mismatch": ErrorInfo(
        Kind.ERROR_REDIRECT_URI,
        "Redirect URI not registered",
        "This redirect URI is not registered for the app: add it to the app's redirect URIs (staff review "
        "it), or fix the link your app sends people to. It must match a registered URI exactly.",
    ),
    "invalid_client": ErrorInfo(
        Kind.ERROR_INVALID_CLIENT,
        "Client authentication failed",
        "The client ID or secret was wrong, missing, or sent the wrong way, or the app is not approved or is "
        "suspended. Check the secret (after a rotation, the previous one stops at the end of its grace "
        "period) and send it with HTTP Basic or as client_secret in the body.",
    ),
    "invalid_grant": ErrorInfo(
        Kind.ERROR_INVALID_GRANT,
        "Code or refresh token refused",
        "The authorization code or refresh token is unknown, expired, already used, or was issued to "
        "another app or redirect URI. Codes live one minute and work once; a refresh token works once "
        "(use the new one returned with each refresh).",
    ),
    "invalid_scope": ErrorInfo(
        Kind.ERROR_INVALID_SCOPE,
        "Scope not allowed",
        "The app asked for a scope that does not exist or that its grant type may not have (a "
        "client-credentials token carries no scope about a person). Ask only for the scopes listed.",
    ),
    "unauthorized_client": ErrorInfo(
        Kind.ERROR_UNAUTHORIZED_CLIENT,
        "Grant type not allowed for this app",
        "The app used a grant or response type it is not registered for: add the grant type to the app "
        "(staff review it) or use one it has.",
    ),
    "unsupported_grant_type": ErrorInfo(
        Kind.ERROR_UNAUTHORIZED_CLIENT,
        "Unknown grant type",
        "The token request named a grant type the portal does not know. Check the grant_type parameter.",
    ),
    "rate_limited": ErrorInfo(
        Kind.ERROR_RATE_LIMITED,
        "Too many requests",
        "The app sent more token requests than the limit allows and got HTTP 429. Cache access tokens until "
        "they expire instead of asking for a new one per call, and honour Retry-After.",
    ),
    "invalid_request": ErrorInfo(
        Kind.ERROR_OTHER,
        "Malformed request",
        "A required parameter was missing, repeated or malformed (for a public client: PKCE's "
        "code_challenge or code_verifier). Compare the request with the OAuth section of the docs.",
    ),
    "unsupported_token_type": ErrorInfo(
        Kind.ERROR_OTHER,
        "Token type not supported",
        "The revocation request named a token_type_hint the portal cannot revoke. Send access_token or "
        "refresh_token, or leave the hint out: the portal finds the token either way.",
    ),
    "other": ErrorInfo(
        Kind.ERROR_OTHER,
        "Other error",
        "The request was refused for another reason; the error code says which.",
    ),
}

# Where the same code means something else at an endpoint: its title and hint there (counted the same).
ENDPOINT_ERRORS: dict[tuple[str, str], ErrorInfo] = {
    (INTROSPECT, "unauthorized_client"): ErrorInfo(
        Kind.ERROR_UNAUTHORIZED_CLIENT,
        "Public app may not introspect",
        "Only a confidential app (one with a client secret, kept on a server) may introspect tokens. Call "
        "the API with the token instead and let it introspect, or register the API as a confidential app.",
    ),
    (INTROSPECT, "invalid_request"): ErrorInfo(
        Kind.ERROR_OTHER,
        "Malformed request",
        "The introspection request had no token parameter. POST the token as token=... in a form-encoded "
        "body, with the app's client ID and secret (HTTP Basic, or in the body).",
    ),
    (REVOKE, "invalid_request"): ErrorInfo(
        Kind.ERROR_OTHER,
        "Malformed request",
        "The revocation request had no token parameter, or was not a form-encoded POST. Send token=... "
        "(and optionally token_type_hint) with the app's client ID and secret.",
    ),
    (INTROSPECT, "rate_limited"): ErrorInfo(
        Kind.ERROR_RATE_LIMITED,
        "Too many requests",
        "The app sent more introspection requests than the limit allows and got HTTP 429. Keep an answer "
        "for a short while (never past its exp) instead of asking on every API call, and honour "
        "Retry-After.",
    ),
    (REVOKE, "rate_limited"): ErrorInfo(
        Kind.ERROR_RATE_LIMITED,
        "Too many requests",
        "The app sent more revocation requests than the limit allows and got HTTP 429. Revoke a token once "
        "(a refresh token's revocation also ends its access tokens), and honour Retry-After.",
    ),
}

# Parameters that carry a credential: nothing containing one of their values is ever stored.
CREDENTIAL_PARAMETERS = (
    "client_secret",
    "code",
    "token",
    "refresh_token",
    "device_code",
    "code_verifier",
    "password",
)


def info_for(code: str, endpoint: str = "") -> ErrorInfo:
    """The title and hint of `code` as `endpoint` answered it (the code's own when the endpoint has none)."""
    return ENDPOINT_ERRORS.get((endpoint, code)) or ERRORS.get(code, ERRORS["other"])


def clean(value: str, *, limit: int = VALUE_MAX) -> str:
    """Printable, single-line, at most `limit` characters (with an ellipsis when cut)."""
    printable = "".join(
        char if unicodedata.category(char)[0] != "C" else "\N{REPLACEMENT CHARACTER}" for char in value
    )
    return printable if len(printable) <= limit else printable[: limit - 1] + "…"


def safe_uri(uri: str) -> str:
    """A redirect URI as it may be shown: scheme, host, port and path; no user info, query or fragment
    (a code or token could ride in them)."""
    try:
        parts = urlsplit(uri)
        host = parts.hostname or ""
        netloc = f"{host}:{parts.port}" if parts.port else host
    except ValueError:
        return ""
    shown = urlunsplit((parts.scheme, netloc, parts.path, "", ""))
    if parts.query or parts.fragment:
        shown += " (query removed)"
    return shown


def scope_names(names: list[str]) -> str:
    """Scope names as they may be shown: a name that does not look like one is described, not quoted."""
    shown = []
    for name in names[:10]:
        if len(name) <= 40 and all(char.isalnum() or char in "_:.-/" for char in name):
            shown.append(name)
        else:
            shown.append(f"(a {len(name)}-character value)")
    return " ".join(shown)


def _credentials_sent(request: HttpRequest | None) -> list[str]:
    if request is None:
        return []
    sent = [request.POST.get(name, "") for name in CREDENTIAL_PARAMETERS]
    sent += [request.GET.get(name, "") for name in CREDENTIAL_PARAMETERS]
    authorization = request.headers.get("Authorization", "")
    sent += authorization.split(" ")[1:]
    return [value for value in sent if len(value) >= 4]


# Secrets, codes and tokens the portal issues are long runs of letters and digits (oauthlib's generate_token,
# DOT's client secrets); a run like that is hidden wherever it appears in a value, even one that came in a
# request carrying no credential (a secret pasted into a redirect URI's path, say).
CREDENTIAL_LIKE = re.compile(r"[A-Za-z0-9]{20,}")


def _hide_credential_like(value: str) -> str:
    def hide(match: re.Match) -> str:
        run = match.group(0)
        mixed = (
            any(c.isdigit() for c in run) and any(c.islower() for c in run) and any(c.isupper() for c in run)
        )
        return f"[hidden: {len(run)} characters]" if mixed else run

    return CREDENTIAL_LIKE.sub(hide, value)


def _value_to_store(value: str, request: HttpRequest | None) -> str:
    value = _hide_credential_like(clean(value))
    for credential in _credentials_sent(request):
        if credential in value or value and value in credential:
            return "(not shown: it contained a credential)"
    return value


def _may_write(application_id: int) -> bool:
    key = f"usage:errw:{application_id}:{int(time.time()) // 60}"
    try:
        cache.add(key, 0, timeout=120)
        return cache.incr(key) <= WRITES_PER_MINUTE
    except ValueError:
        return True
    except CACHE_ERRORS:
        return False  # no shared counter to cap the writes: count only


def application_id_for_client(client_id: str | None) -> int | None:
    """The app a failing request named, remembered in the cache so a flood of failures costs no query."""
    if not client_id:
        return None
    client_id = client_id[:255]
    key = "usage:cid:" + hashlib.sha256(client_id.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    try:
        memo = cache.get(key)
    except CACHE_ERRORS:
        memo = None
    if memo is not None:
        return memo or None
    application = application_find_by_client_id(client_id=client_id.replace("\x00", ""))
    found = application.pk if application is not None else 0
    with contextlib.suppress(*CACHE_ERRORS):
        cache.set(key, found, timeout=CLIENT_MEMO_SECONDS)
    return found or None


def error_record(
    *,
    application_id: int | None,
    endpoint: str,
    code: str,
    value: str = "",
    request: HttpRequest | None = None,
) -> None:
    """Count the error and, within the caps, log it for the app's developer."""
    if application_id is None or not _counting():
        return
    info = info_for(code, endpoint)
    counters.count(application_id=application_id, kind=info.kind)
    if not _may_write(application_id):
        return
    code = code if code in ERRORS else clean(code, limit=40)
    stored = _value_to_store(value, request)
    fingerprint = hashlib.sha256(f"{endpoint}\n{code}\n{stored}".encode()).hexdigest()
    now = timezone.now()
    try:
        _write(application_id, endpoint, code, stored, fingerprint, now)
    except IntegrityError:
        # The app was deleted after its id was remembered (application_id_for_client): nothing to log to.
        return


def _write(application_id: int, endpoint: str, code: str, stored: str, fingerprint: str, now) -> None:
    with transaction.atomic():
        bumped = IntegrationError.objects.filter(
            application_id=application_id,
            fingerprint=fingerprint,
            last_seen__gte=now - timedelta(seconds=COALESCE_WINDOW_SECONDS),
        ).update(count=F("count") + 1, last_seen=now)
        if bumped:
            return
        IntegrationError.objects.create(
            application_id=application_id,
            endpoint=endpoint,
            code=code,
            value=stored,
            fingerprint=fingerprint,
            first_seen=now,
            last_seen=now,
        )
        oldest_kept = (
            IntegrationError.objects.filter(application_id=application_id)
            .order_by("-id")
            .values_list("id", flat=True)[KEEP_PER_APP : KEEP_PER_APP + 1]
        )
        IntegrationError.objects.filter(application_id=application_id, id__lte=oldest_kept).delete()


def _counting() -> bool:
    return settings.USAGE_COUNTING


# --- The token, introspection and revocation endpoints -------------------------------------------------


def _error_code(body: str) -> tuple[str, str]:
    """(the error code, oauthlib's description) of an OAuth JSON error body."""
    try:
        payload = json.loads(body)
    except ValueError:
        return "other", ""
    if not isinstance(payload, dict):
        return "other", ""
    return str(payload.get("error", "other")), str(payload.get("error_description", ""))


def token_error_record(*, request: HttpRequest, client_id: str | None, body: str) -> None:
    """A token request failed with `body` (an OAuth JSON error): log it against the app it named."""
    if not _counting():
        return
    application_id = application_id_for_client(client_id)
    if application_id is None:
        return
    code, description = _error_code(body)
    value = ""
    grant_type = request.POST.get("grant_type", "")
    if code == "invalid_request" and "redirect uri" in description.lower():
        code, value = "redirect_uri_mismatch", safe_uri(request.POST.get("redirect_uri", ""))
    elif code in {"unauthorized_client", "unsupported_grant_type"}:
        value = f"grant_type={clean(grant_type, limit=80)}"
    elif code == "invalid_scope":
        value = scope_names(request.POST.get("scope", "").split())
    error_record(application_id=application_id, endpoint=TOKEN, code=code, value=value, request=request)


def token_use_error_record(
    *, request: HttpRequest, endpoint: str, client_id: str | None, body: str, code: str = ""
) -> None:
    """An introspection or revocation request failed: log it against the app it named. `code` when the
    answer has no OAuth JSON body to read it from (introspection's bare 403 of a failed authentication).
    The token sent is a credential: it is never the value stored (nor is anything containing it)."""
    if not _counting():
        return
    application_id = application_id_for_client(client_id)
    if application_id is None:
        return
    code = code or _error_code(body)[0]
    value = ""
    if code == "unsupported_token_type":
        value = f"token_type_hint={clean(request.POST.get('token_type_hint', ''), limit=80)}"
    error_record(application_id=application_id, endpoint=endpoint, code=code, value=value, request=request)


def rate_limited_record(*, client_id: str | None, endpoint: str = TOKEN) -> None:
    """A request was refused by a rate limit (429): counted, and logged within the caps."""
    if not _counting():
        return
    error_record(application_id=application_id_for_client(client_id), endpoint=endpoint, code="rate_limited")


# --- The authorization endpoint -----------------------------------------------------------------------

REDIRECT_URI_ERRORS = {"MissingRedirectURIError", "InvalidRedirectURIError", "MismatchingRedirectURIError"}
# Not integration errors: a person's answer, or prompt=none answered as the app asked.
NOT_ERRORS = {"login_required", "consent_required", "interaction_required", "account_selection_required"}


def authorization_error_record(*, application_id: int | None, error, request: HttpRequest) -> None:
    """The authorization endpoint refused a request (an oauthlib error) of the app: count a person's
    refusal (access_denied) as a denial, log the rest."""
    if application_id is None or not _counting():
        return
    code = str(getattr(error, "error", "") or "other")
    if code == "access_denied":
        counters.count(application_id=application_id, kind=Kind.DENIAL)
        return
    if code in NOT_ERRORS:
        return
    value = ""
    if type(error).__name__ in REDIRECT_URI_ERRORS:
        code, value = "redirect_uri_mismatch", safe_uri(request.GET.get("redirect_uri", ""))
    elif code in {"unauthorized_client", "unsupported_response_type"}:
        code = "unauthorized_client"
        value = f"response_type={clean(request.GET.get('response_type', ''), limit=80)}"
    elif code == "invalid_scope":
        value = scope_names(request.GET.get("scope", "").split())
    error_record(application_id=application_id, endpoint=AUTHORIZE, code=code, value=value, request=request)
