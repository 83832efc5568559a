"""The portal's OAuth2Validator: DOT's, plus the review status of apps and the OIDC claims of users."""

from __future__ import annotations

import base64
import binascii
import hashlib
from urllib.parse import unquote_plus, urlsplit

from allauth.account.models import EmailAddress
from django.core.cache import cache
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from oauth2_provider.models import get_access_token_model, get_device_grant_model, get_refresh_token_model
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauthlib.oauth2.rfc6749 import errors
from oauthlib.oauth2.rfc8628.grant_types import DeviceCodeGrant

from portal.clients import protocol_events, scope_rules, secrets
from portal.clients.selectors import application_find_by_client_id, device_grant_find_for_client
from portal.clients.status_messages import UNUSABLE_REASONS
from portal.usage import counters as usage_counters


class PortalOAuth2Validator(OAuth2Validator):
    def _load_application(self, client_id, request):
        client = super()._load_application(client_id, request)
        if client is None:
            stored = application_find_by_client_id(client_id=client_id)
            status = stored.review_status if stored else None
            if status in UNUSABLE_REASONS:
                # FatalClientError: oauthlib answers 401 invalid_client on the token endpoint, and DOT shows
                # an error page (never a redirect to an unverified URI) on the authorization endpoint.
                raise errors.InvalidClientError(request=request, description=UNUSABLE_REASONS[status])
        return client

    def _check_secret(self, provided_secret, stored_secret):
        # Accept the previous secret during its grace period after a rotation (portal.clients.secrets).
        return secrets.check_client_secret(provided_secret, stored_secret, fallback=super()._check_secret)

    # --- The device grant (RFC 8628), polled at the token endpoint --------------------------------
    # DOT 3.4.1 has no validate_device_code (it answers device polls in its TokenView, written for
    # oauthlib 3.3); oauthlib 4 asks the validator, which is where the portal answers them.

    def validate_device_code(self, client_id, code, request, *args, **kwargs):
        """Where the device's code stands, as one of oauthlib's DEVICE_CODE_* statuses (None: unknown).

        The code only counts for the client it was issued to. An approved code is used up here, by a
        conditional delete, so of two polls racing for it only one gets a token; the token carries
        exactly the scopes the person approved (oauthlib would otherwise fall back to the defaults).
        """
        grant = device_grant_find_for_client(client_id=client_id, device_code=code)
        if grant is None:
            return None
        if grant.is_expired():
            return DeviceCodeGrant.DEVICE_CODE_EXPIRED
        if grant.status == grant.DENIED:
            return DeviceCodeGrant.DEVICE_CODE_DENIED
        if grant.status == grant.AUTHORIZATION_PENDING:
            return self._device_poll_pace(grant)
        if grant.status != grant.AUTHORIZED or grant.user_id is None:
            return None
        used, _ = get_device_grant_model().objects.filter(pk=grant.pk, status=grant.AUTHORIZED).delete()
        if not used:
            return None
        request.user = grant.user
        request.scopes = grant.scope.split()
        return DeviceCodeGrant.DEVICE_CODE_AUTHORIZED

    def _device_poll_pace(self, grant) -> str:
        """authorization_pending, or slow_down when the device polls within its interval (RFC 8628 3.5).

        The first poll is always on time; the window is a cache entry, so it holds across instances when
        the cache is shared (REDIS_URL). A device that polls too fast waits 5 seconds longer from then on.
        """
        # Keyed by the code itself (hashed: it is a credential), which no other grant will ever have.
        key = "device-poll:" + hashlib.sha256(grant.device_code.encode()).hexdigest()
        if cache.add(key, True, timeout=max(grant.interval, 1)):
            return DeviceCodeGrant.DEVICE_CODE_PENDING
        get_device_grant_model().objects.filter(pk=grant.pk).update(interval=F("interval") + 5)
        return DeviceCodeGrant.DEVICE_CODE_SLOW_DOWN

    def get_userinfo_claims(self, request):
        # A client-credentials token has no person behind it, so there are no claims to give: RFC 6750's
        # invalid_token (401), where DOT would fail on `request.user` being None (a 500).
        if request.user is None:
            raise errors.InvalidTokenError(
                request=request, description="This access token was not issued for a person."
            )
        return super().get_userinfo_claims(request)

    def get_additional_claims(self):
        # The request-agnostic form (a dict of callables) lets DOT list these in the discovery document's
        # claims_supported. DOT filters them by `oidc_claim_scope`: profile claims need `profile`, email
        # claims need `email`.
        return {
            "name": lambda request: request.user.get_full_name() or request.user.get_username(),
            "given_name": lambda request: request.user.first_name,
            "family_name": lambda request: request.user.last_name,
            "preferred_username": lambda request: request.user.get_username(),
            "email": lambda request: request.user.email,
            "email_verified": _email_verified,
        }

    # --- Protocol security (issue 9, findings 9 and 10): public clients, scopes, replays, audit ----------
    # Each overrides one of DOT's validator hooks, calls DOT's own implementation and adds to it.

    def authenticate_client(self, request, *args, **kwargs) -> bool:
        authenticated = super().authenticate_client(request, *args, **kwargs)
        client_id, secret = _presented_credentials(self, request)
        client = getattr(request, "client", None)
        if authenticated and client is not None and client.client_type == client.CLIENT_PUBLIC:
            # A public client has no secret (it cannot keep one). Presenting one, even one stored for it
            # before the portal dropped public clients' secrets, authenticates nothing.
            authenticated = not secret
        if not authenticated and (client_id or secret):
            # Only when credentials were presented: DOT also tries client authentication first when a
            # resource server introspects with a bearer token instead.
            protocol_events.client_auth_failure_record(
                client_id=client_id, endpoint=_endpoint(request), request=_http_request(request)
            )
        return authenticated

    def validate_scopes(self, client_id, scopes, client, request, *args, **kwargs) -> bool:
        if not super().validate_scopes(client_id, scopes, client, request, *args, **kwargs):
            return False
        return set(scopes) <= scope_rules.allowed_scopes(client, grant_type=request.grant_type)

    def validate_code(self, client_id, code, client, request, *args, **kwargs) -> bool:
        valid = super().validate_code(client_id, code, client, request, *args, **kwargs)
        if not valid:
            # Unknown, expired, or exchanged before: in the last case revoke what it was exchanged for.
            protocol_events.authorization_code_replay_revoke(
                code=code, application=client, request=_http_request(request)
            )
        return valid

    def _save_bearer_token(self, token, request, *args, **kwargs):
        # The hook DOT's save_bearer_token runs in its transaction: the tokens and the record of the code
        # they came from commit together, in one transaction.
        result = super()._save_bearer_token(token, request, *args, **kwargs)
        # Usage insights: one cache increment, no database write (portal/usage/counters.py).
        user = request.user if getattr(request.user, "is_authenticated", False) else None
        usage_counters.token_issued(
            application_id=request.client.pk, grant_type=request.grant_type, user_id=getattr(user, "pk", None)
        )
        # oauthlib's name for the grant (RFC 6749), not DOT's "authorization-code".
        if request.grant_type == "authorization_code" and getattr(request, "code", None):
            protocol_events.authorization_code_exchanged(
                code=request.code,
                application=request.client,
                user=request.user,
                access_token=getattr(request, "portal_issued_access_token", None),
                refresh_token=getattr(request, "portal_issued_refresh_token", None),
            )
        return result

    # DOT saves the tokens it issues without returning them from save_bearer_token; kept on the request so
    # the replay record above needs no query to find them again.
    def _create_access_token(self, expires, request, token, source_refresh_token=None):
        access_token = super()._create_access_token(expires, request, token, source_refresh_token)
        request.portal_issued_access_token = access_token
        return access_token

    def _create_refresh_token(self, request, refresh_token_code, access_token, previous_refresh_token):
        refresh_token = super()._create_refresh_token(
            request, refresh_token_code, access_token, previous_refresh_token
        )
        request.portal_issued_refresh_token = refresh_token
        return refresh_token

    def validate_refresh_token(self, refresh_token, client, request, *args, **kwargs) -> bool:
        started = timezone.now()
        valid = super().validate_refresh_token(refresh_token, client, request, *args, **kwargs)
        if not valid:
            # Only a refused token costs the queries: did DOT just revoke a family because a spent
            # refresh token came back (its reuse protection stamps the live members with `now`)?
            family, owner = _refresh_token_family(refresh_token)
            revoked = _revoked_in_family_since(family, started)
            if revoked:
                protocol_events.refresh_token_reuse_record(
                    application=client,
                    user=owner,
                    token_family=family,
                    revoked=revoked,
                    request=_http_request(request),
                )
        return valid

    def revoke_token(self, token, token_type_hint, request, *args, **kwargs) -> None:
        # What DOT is about to revoke: only the authenticated client's own tokens (RFC 7009 2.1).
        mine = _tokens_of_client(token, request.client)
        super().revoke_token(token, token_type_hint, request, *args, **kwargs)
        if mine:
            protocol_events.client_revocation_record(
                application=request.client, tokens=mine, request=_http_request(request)
            )


def _presented_credentials(validator, request) -> tuple[str | None, str]:
    """(client id, secret) as the client presented them: HTTP Basic first, then the body (RFC 6749 2.3.1)."""
    auth_string = validator._extract_basic_auth(request)
    if auth_string:
        try:
            decoded = base64.b64decode(auth_string).decode("utf-8")
            client_id, secret = (unquote_plus(part) for part in decoded.split(":", 1))
            return client_id, secret
        except (ValueError, binascii.Error, UnicodeDecodeError):
            return None, ""
    return getattr(request, "client_id", None), getattr(request, "client_secret", None) or ""


def _endpoint(request) -> str:
    path = urlsplit(request.uri or "").path.rstrip("/")
    return path.rsplit("/", 1)[-1] or "unknown"


def _http_request(request) -> HttpRequest:
    # oauthlib's request carries the Django request's META as its headers (DOT's extract_headers);
    # audit_record reads the client's address from there.
    http_request = HttpRequest()
    http_request.META = dict(request.headers or {})
    return http_request


def _refresh_token_family(refresh_token: str):
    """(family, owner) of a spent (revoked) refresh token, or (None, None)."""
    checksum = hashlib.sha256(refresh_token.encode("utf-8", "surrogatepass")).hexdigest()
    spent = (
        get_refresh_token_model()
        .objects.filter(token_checksum=checksum, revoked__isnull=False)
        .select_related("user")
        .first()
    )
    return (spent.token_family, spent.user) if spent else (None, None)


def _revoked_in_family_since(family, since) -> int:
    if not family:
        return 0
    return get_refresh_token_model().objects.filter(token_family=family, revoked__gte=since).count()


def _tokens_of_client(token: str, client) -> list:
    if getattr(client, "pk", None) is None:
        return []
    checksum = hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()
    found = []
    for model in (get_access_token_model(), get_refresh_token_model()):
        found += list(
            model.objects.filter(token_checksum=checksum, application=client).select_related("user")
        )
    return found


def _email_verified(request) -> bool:
    user = request.user
    return EmailAddress.objects.filter(user=user, email__iexact=user.email, verified=True).exists()
