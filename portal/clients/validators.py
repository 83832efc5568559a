"""The portal's OAuth2Validator: DOT's, plus the review status of apps and the OIDC claims of users."""

from __future__ import annotations

from allauth.account.models import EmailAddress
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauthlib.oauth2.rfc6749 import errors

from portal.clients import secrets
from portal.clients.selectors import application_by_client_id

# Said to the client (and, on the authorization page, to the person) when an app exists but may not be
# used. A plain "invalid_client" would send its developer hunting for a typo in the client id.
UNUSABLE_REASONS = {
    "pending": "This application is waiting for review by the portal's staff and cannot be used yet.",
    "rejected": "This application was not approved by the portal's staff and cannot be used.",
    "suspended": "This application has been suspended by the portal's staff.",
}


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


def _email_verified(request) -> bool:
    user = request.user
    return EmailAddress.objects.filter(user=user, email__iexact=user.email, verified=True).exists()
