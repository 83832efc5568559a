"""Token introspection (RFC 7662) at `/o/introspect/`, DOT's view under DOT's URL name, with section 2.1
and section 4 applied (issue 9, finding 3):

- POST only: a token in a query string ends up in logs and proxies (GET is 405);
- the caller is an authenticated confidential client, and learns only about tokens issued to itself
  (a bearer token with DOT's `introspection` scope, which only an adopted DOT install can hold, keeps
  DOT's answer);
- an app that staff explicitly allowed (`Application.may_introspect_any_token`, audited) may introspect
  any app's tokens, as a resource server shared by several apps must;
- for everything else the answer is `{"active": false}`, which says nothing about whether the token
  exists or whose it is.

A caller that does not authenticate (wrong or missing credentials, or a public app, which has no secret to
prove itself with) gets RFC 7662 section 2.3's answer, not DOT's bare 403: a 401 with RFC 6749 section 5.2's
`{"error": "invalid_client"}` as `application/json`, and a `WWW-Authenticate` challenge in the scheme the
caller tried (`Basic`; `Bearer`, RFC 6750 section 3, for the bearer token an adopted install may use).

Like the token endpoint (portal.clients.token_view) it is rate-limited per address and per client id, and a
failure of an app the portal knows (a failed authentication, a public app, no token parameter, a 429) is
counted and logged for the app's developer (portal/usage/errorlog.py); an answer, active or not, adds no
query for that.
"""

from __future__ import annotations

import hashlib

from django.http import HttpResponse, JsonResponse
from django.utils.decorators import method_decorator
from django.views.decorators.csrf import csrf_exempt
from oauth2_provider.compat import login_not_required
from oauth2_provider.models import get_access_token_model
from oauth2_provider.views import IntrospectTokenView as DOTIntrospectTokenView

from portal.clients.endpoints import json_error, presented_client_id, refused_by_limits
from portal.usage import errorlog

INACTIVE = {"active": False}
# The protection space of the WWW-Authenticate challenges (RFC 7235 2.2): this endpoint's credentials.
REALM = "introspection"


@method_decorator(csrf_exempt, name="dispatch")
@method_decorator(login_not_required, name="dispatch")
class IntrospectTokenView(DOTIntrospectTokenView):
    http_method_names = ["post", "options"]

    def dispatch(self, request, *args, **kwargs) -> HttpResponse:
        # Refuse other methods before authenticating: DOT answered a GET (token in the URL) when the
        # caller's credentials were right.
        if request.method.lower() not in self.http_method_names:
            return self.http_method_not_allowed(request, *args, **kwargs)
        if request.method != "POST":
            return super().dispatch(request, *args, **kwargs)
        refused = refused_by_limits(
            request,
            address_limit="token_use_address",
            client_limit="token_use_client",
            endpoint=errorlog.INTROSPECT,
        )
        if refused is not None:
            return refused
        response = super().dispatch(request, *args, **kwargs)
        if response.status_code >= 400 and getattr(request, "oauth2_client", None) is None:
            # The caller did not authenticate (unauthenticated_response's invalid_client): logged for the
            # app the request named, if any. One that did is logged in post(), which knows why it refused.
            errorlog.token_use_error_record(
                request=request,
                endpoint=errorlog.INTROSPECT,
                client_id=presented_client_id(request),
                body=response.content.decode("utf-8", "replace"),
            )
        return json_error(response)

    def post(self, request, *args, **kwargs) -> HttpResponse:
        token_value = request.POST.get("token")
        caller = getattr(request, "oauth2_client", None)
        if caller is None:
            # DOT let the request through on a bearer token carrying the `introspection` scope. The portal
            # never issues that scope (it is not in OAUTH2_PROVIDER["SCOPES"]), so such a token comes from
            # a stock DOT install the portal adopted, where its operator granted it: it keeps DOT's answer
            # until it expires.
            return super().post(request, *args, **kwargs)
        if caller.client_type != caller.CLIENT_CONFIDENTIAL:
            # Logged with the portal's own code, whose hint tells the developer why; the caller is told what
            # RFC 6749 5.2 says of a client that cannot authenticate.
            self._log(request, caller, "unauthorized_client")
            return _invalid_client(
                request, "A public client has no secret to authenticate with, so it cannot introspect tokens."
            )
        if token_value is None:
            self._log(request, caller, "invalid_request")
            return self.get_token_response(None)
        if not caller.may_introspect_any_token and not self._issued_to(caller, token_value):
            # Not logged: this is RFC 7662's answer for a token the caller may not see (the same as for an
            # unknown or expired one), not a refusal, and an API meets it in its steady state: logging it
            # would add a write to a 200 answer (tests/perf/test_query_counts.py pins its two queries).
            return JsonResponse(INACTIVE)
        return self.get_token_response(token_value)

    def unauthenticated_response(self, request, oauthlib_request=None) -> HttpResponse:
        """DOT's answer when neither client authentication nor a bearer token let the caller in."""
        scheme = _auth_scheme(request)
        if scheme == "bearer":
            # RFC 7662 2.3: a caller that used a bearer token is answered as RFC 6750 section 3 says.
            description = "The bearer token may not introspect tokens."
            response = JsonResponse({"error": "invalid_token", "error_description": description}, status=401)
            response["WWW-Authenticate"] = f'Bearer realm="{REALM}", error="invalid_token"'
            return _no_store(response)
        # The validator's reason when the app exists but may not be used (pending, rejected, suspended).
        reason = getattr(getattr(request, "oauth2_client_error", None), "description", None)
        return _invalid_client(request, reason or "Client authentication failed.")

    @staticmethod
    def _log(request, caller, code: str) -> None:
        errorlog.error_record(
            application_id=caller.pk, endpoint=errorlog.INTROSPECT, code=code, request=request
        )

    @staticmethod
    def _issued_to(caller, token_value: str) -> bool:
        checksum = hashlib.sha256(token_value.encode("utf-8")).hexdigest()
        return get_access_token_model().objects.filter(token_checksum=checksum, application=caller).exists()


def _auth_scheme(request) -> str:
    return request.headers.get("Authorization", "").partition(" ")[0].lower()


def _invalid_client(request, description: str) -> HttpResponse:
    """RFC 6749 5.2's invalid_client: a 401, challenging in HTTP Basic when the caller tried it (a MUST
    there; the portal names no scheme to a caller that sent its credentials in the body)."""
    response = JsonResponse({"error": "invalid_client", "error_description": description}, status=401)
    if _auth_scheme(request) == "basic":
        response["WWW-Authenticate"] = f'Basic realm="{REALM}"'
    return _no_store(response)


def _no_store(response: HttpResponse) -> HttpResponse:
    # As oauthlib's own error responses are (RFC 6749 5.1, 5.2).
    response["Cache-Control"] = "no-store"
    response["Pragma"] = "no-cache"
    return response
