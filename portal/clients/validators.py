"""The portal's OAuth2Validator: DOT's, plus the review status of apps and the OIDC claims of users."""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import json
from urllib.parse import unquote_plus, urlsplit

from allauth.account.models import EmailAddress
from django.core.cache import cache
from django.db import router, transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from oauth2_provider import cimd
from oauth2_provider.models import (
    get_access_token_model,
    get_application_model,
    get_device_grant_model,
    get_grant_model,
    get_refresh_token_model,
)
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauthlib.oauth2.rfc6749 import errors
from oauthlib.oauth2.rfc8628.grant_types import DeviceCodeGrant

from portal import statements
from portal.clients import protocol_events, scope_rules, secrets
from portal.clients.selectors import application_find_by_client_id, device_grant_find_for_client
from portal.clients.status_messages import UNUSABLE_REASONS
from portal.usage import counters as usage_counters


class PortalOAuth2Validator(OAuth2Validator):
    def _load_application(self, client_id, request):
        if not request.client and client_id and "\x00" not in client_id:
            # DOT's lookup (`Application.objects.get(client_id=...)`) with its SQL written once
            # (portal/statements.py). DOT's method then takes the app it finds on the request as already
            # loaded: it checks the client id and is_usable, exactly as it would after its own query.
            # Not found: DOT looks again, and does what it does for an unknown client.
            found = statements.get_by(get_application_model(), "client_id", client_id)
            request.client = cimd.refresh_if_stale(found, request=request) if found is not None else None
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

    # --- The authorization code's grant row, read once per token request ------------------------------
    # DOT reads the grant (and then its user) in every hook that needs a field of it: the OpenID Connect
    # dispatch (scope), validate_code, the PKCE challenge and its method, the redirect URI, the resource
    # check and the nonce: six reads of one row per exchange. Here the first read (with its user) is kept
    # on oauthlib's request, which lives for this one HTTP request only, and the others use it. Nothing
    # outlives the request: the next exchange of the same code reads the row again (and finds it deleted).

    def _exchange_grant(self, request, code: str, client=None):
        """The grant of `code` (with its user) issued to `client`, or None; read at most once per request.

        Without a client (the OpenID Connect dispatch runs before client authentication, and DOT looks the
        code up by itself there too) the grant is read by its code alone, and a later lookup with the
        client checks the application on the row read then, as DOT's `code=..., application=client` does.
        """
        application_id = getattr(client, "pk", None)
        cached = getattr(request, "portal_grant", None)
        if cached is not None and cached[0] == code and cached[1] in (None, application_id):
            grant = cached[2]
        else:
            grant = _grant_with_user(code, client)
            request.portal_grant = (code, application_id, grant)
        if grant is not None and client is not None and grant.application_id != application_id:
            return None
        return grant

    def get_authorization_code_scopes(self, client_id, code, redirect_uri, request):
        grant = self._exchange_grant(request, code)
        return grant.scope.split() if grant is not None and grant.scope else []

    def validate_code(self, client_id, code, client, request, *args, **kwargs) -> bool:
        # DOT's validate_code on the grant read once (its checks and the attributes it sets, unchanged).
        grant = self._exchange_grant(request, code, client)
        valid = grant is not None and not grant.is_expired()
        if valid:
            request.scopes = grant.scope.split(" ")
            request.user = grant.user
            if grant.nonce:
                request.nonce = grant.nonce
            if grant.claims:
                request.claims = json.loads(grant.claims)
        else:
            # Unknown, expired, or exchanged before: in the last case revoke what it was exchanged for.
            protocol_events.authorization_code_replay_revoke(
                code=code, application=client, request=_http_request(request)
            )
        return valid

    def get_code_challenge(self, code, request):
        grant = self._exchange_grant(request, code, request.client)
        if grant is None:  # DOT's Grant.objects.get raised DoesNotExist; validate_code refuses first anyway
            return super().get_code_challenge(code, request)
        return grant.code_challenge or None

    def get_code_challenge_method(self, code, request):
        grant = self._exchange_grant(request, code, request.client)
        if grant is None:
            return super().get_code_challenge_method(code, request)
        return grant.code_challenge_method or None

    def confirm_redirect_uri(self, client_id, code, redirect_uri, client, request=None, *args, **kwargs):
        grant = self._exchange_grant(request, code, client) if request is not None else None
        if grant is None:
            return super().confirm_redirect_uri(
                client_id, code, redirect_uri, client, request, *args, **kwargs
            )
        return grant.redirect_uri_allowed(redirect_uri)

    def get_authorization_code_nonce(self, client_id, code, redirect_uri, request):
        grant = self._exchange_grant(request, code)
        return (grant.nonce or None) if grant is not None else None

    def _check_and_set_request_resource(self, request):
        """DOT's RFC 8707 resource handling, with the authorization code's grant read once.

        For a refresh or any other grant this is DOT's method. For a code exchange it is DOT's, copied
        (tests/oauth/test_dot_internals.py pins the source it was copied from), with the grant taken from
        the request instead of one more read.
        """
        if request.grant_type != "authorization_code":
            return super()._check_and_set_request_resource(request)
        resource = getattr(request, "resource", None)
        # RFC 8707 allows repeating `resource`; oauthlib keeps only the last body value.
        if isinstance(resource, str):
            body_values = [
                value for key, value in (getattr(request, "decoded_body", None) or []) if key == "resource"
            ]
            if len(body_values) > 1:
                resource = body_values
        if isinstance(resource, list):
            request.resource = resource or []
        elif resource and isinstance(resource, str) and resource.strip():
            request.resource = [resource]
        else:
            request.resource = []
        self._validate_resource_uris(request, request.resource)

        grant = self._exchange_grant(request, request.code, request.client)
        grant_resource = (grant.resource or []) if grant else []
        if request.resource and grant_resource:
            # A token request may narrow the grant's resources, never widen them.
            for res in request.resource:
                if res not in grant_resource:
                    raise errors.CustomOAuth2Error(
                        error="invalid_target",
                        description=(
                            f"The requested resource '{res}' is not allowed. "
                            "Token request cannot escalate resource permissions beyond the "
                            "original authorization grant"
                        ),
                        request=request,
                    )
        elif grant_resource:
            # Values stored before the authorization endpoint validated them are validated here.
            self._validate_resource_uris(request, grant_resource)
            request.resource = grant_resource
        return None

    def save_bearer_token(self, token, request, *args, **kwargs):
        if request.grant_type == "client_credentials" and "refresh_token" not in token:
            # One INSERT, which is its own transaction: DOT's atomic block around it only added BEGIN and
            # COMMIT, two of the four statements of a client-credentials request.
            return self._save_bearer_token(token, request, *args, **kwargs)
        return super().save_bearer_token(token, request, *args, **kwargs)

    def _save_bearer_token(self, token, request, *args, **kwargs):
        # The hook DOT's save_bearer_token runs in its transaction: the tokens and the record of the code
        # they came from commit together, in one transaction.
        result = super()._save_bearer_token(token, request, *args, **kwargs)
        # Usage insights: one cache increment, no database write (portal/usage/counters.py); only once the
        # tokens are committed, so a request whose transaction rolls back is not counted as a token issued.
        user = request.user if getattr(request.user, "is_authenticated", False) else None
        transaction.on_commit(
            functools.partial(
                usage_counters.token_issued,
                application_id=request.client.pk,
                grant_type=request.grant_type,
                user_id=getattr(user, "pk", None),
            ),
            using=router.db_for_write(get_access_token_model()),
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

    def _create_access_token(self, expires, request, token, source_refresh_token=None):
        """DOT's _create_access_token (pinned in tests/oauth/test_dot_internals.py), with two changes.

        - The ID token this request has just signed and saved (finalize_id_token below) is used as it is:
          DOT's _load_id_token verified our own signature and read the app and the ID token row back, two
          queries.
        - The INSERT is written once (portal/statements.py), not compiled on every token issued.

        The token is kept on the request, so the code-replay record above needs no query to find it.
        """
        id_token = None
        if token.get("id_token"):
            just_signed = getattr(request, "portal_id_token", None)
            if just_signed is not None and just_signed[0] == token["id_token"]:
                id_token = just_signed[1]
            else:
                id_token = self._load_id_token(token["id_token"])
        access_token = get_access_token_model()(
            user=request.user,
            scope=token["scope"],
            expires=expires,
            id_token=id_token,
            application=request.client,
            source_refresh_token=source_refresh_token,
            resource=getattr(request, "resource", []),  # RFC 8707
        )
        self._set_token_value(access_token, token["access_token"])
        statements.insert(access_token)
        request.portal_issued_access_token = access_token
        return access_token

    def finalize_id_token(self, id_token, token, token_handler, request):
        signed = super().finalize_id_token(id_token, token, token_handler, request)
        request.portal_id_token = (signed, request.id_token)
        return signed

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


def _grant_with_user(code: str, client):
    grants = get_grant_model().objects.select_related("user").filter(code=code)
    if client is not None:
        grants = grants.filter(application=client)
    return grants.first()


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
