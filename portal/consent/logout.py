"""RP-initiated logout (`/o/logout/`, DOT's `oauth2_provider:rp-initiated-logout`), made safe.

DOT's stock view, with its defaults, let anyone holding any ID token of a person delete all of that
person's tokens at every app, without a session, even with an expired ID token, and then redirect to a
post-logout URI (issue 9, finding 2). Here, together with the settings (DELETE_TOKENS off, ALWAYS_PROMPT
on, ACCEPT_EXPIRED_TOKENS off):

- logging out ends only the person's own session in this browser, after they confirm on a page of the
  portal (a POST with CSRF); no app loses a token, so signing out of one app cannot break another;
- an expired, unknown or foreign ID token hint is refused;
- the person is sent on only to a post-logout redirect URI registered on the approved app that the ID token
  hint names (a `client_id` alone does not say which app the person was using);
- an unknown client is a clear 400 page, and every logout is audited.

The protocol stays DOT's: validation of the hint and the redirect URI, the form and the redirect.
"""

from __future__ import annotations

from allauth.account.adapter import get_adapter
from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from oauth2_provider.exceptions import InvalidOIDCClientError, InvalidOIDCRedirectURIError
from oauth2_provider.http import OAuth2ResponseRedirect
from oauth2_provider.views.oidc import RPInitiatedLogoutView
from oauthlib.common import add_params_to_uri

from portal.clients.selectors import application_find_by_client_id
from portal.consent.services import session_logout


class LogoutView(RPInitiatedLogoutView):
    template_name = "oauth2_provider/logout_confirm.html"

    def get_request_application(self, id_token, client_id):
        if client_id:
            application = application_find_by_client_id(client_id=client_id)
            if application is None:
                # DOT's .get() turned an unknown client_id into a 500.
                raise InvalidOIDCClientError()
            return application
        if id_token:
            return id_token.application
        return None

    def validate_logout_request(self, id_token_hint, client_id, post_logout_redirect_uri):
        if post_logout_redirect_uri and not id_token_hint:
            raise InvalidOIDCRedirectURIError(
                "A post_logout_redirect_uri needs an id_token_hint: it names the app to return to."
            )
        application, token_user = super().validate_logout_request(
            id_token_hint=id_token_hint,
            client_id=client_id,
            post_logout_redirect_uri=post_logout_redirect_uri,
        )
        if post_logout_redirect_uri and not application.is_usable(self.request):
            raise InvalidOIDCRedirectURIError("This application may not be returned to: it is not approved.")
        return application, token_user

    def must_prompt(self, token_user) -> bool:
        # Only the signed-in person ends their own session, and only after confirming it here, so a link
        # or an image on another site cannot sign anyone out (OIDC_RP_INITIATED_LOGOUT_ALWAYS_PROMPT).
        return self.request.user.is_authenticated

    def do_logout(self, application=None, post_logout_redirect_uri=None, state=None, token_user=None):
        # Not DOT's do_logout: it would delete the tokens of `token_user` at every app (were
        # OIDC_RP_INITIATED_LOGOUT_DELETE_TOKENS on), and its fallback redirect to "/" allows https only.
        if self.request.user.is_authenticated:
            session_logout(request=self.request, application=application)
            get_adapter(self.request).add_message(
                self.request, messages.SUCCESS, "account/messages/logged_out.txt"
            )
        if post_logout_redirect_uri:
            # validate_logout_request matched it against the app the ID token hint names.
            if state:
                post_logout_redirect_uri = add_params_to_uri(post_logout_redirect_uri, [("state", state)])
            return OAuth2ResponseRedirect(post_logout_redirect_uri, application.get_allowed_schemes())
        return redirect("home")

    def error_response(self, error) -> HttpResponse:
        return self.render_to_response({"error": error}, status=error.status_code)
