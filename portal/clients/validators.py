"""The portal's OAuth2Validator: DOT's, plus the review status of apps and the OIDC claims of users."""

from __future__ import annotations

import hashlib

from allauth.account.models import EmailAddress
from django.core.cache import cache
from django.db.models import F
from oauth2_provider.models import get_device_grant_model
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauthlib.oauth2.rfc6749 import errors
from oauthlib.oauth2.rfc8628.grant_types import DeviceCodeGrant

from portal.clients import secrets
from portal.clients.selectors import application_by_client_id
from portal.clients.status_messages import UNUSABLE_REASONS
from portal.device.selectors import device_grant_for_client


class PortalOAuth2Validator(OAuth2Validator):
    def _load_application(self, client_id, request):
        client = super()._load_application(client_id, request)
        if client is None:
            stored = application_by_client_id(client_id)
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
        grant = device_grant_for_client(client_id=client_id, device_code=code)
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


def _email_verified(request) -> bool:
    user = request.user
    return EmailAddress.objects.filter(user=user, email__iexact=user.email, verified=True).exists()
