"""The authorization (consent) endpoint, mounted as DOT's `oauth2_provider:authorize`, and the connected-apps
pages where a person sees and takes back what apps hold.

The protocol stays DOT's and oauthlib's: they validate the request, issue the code and redirect. The portal
decides only whether a person must be asked:

- a trusted app (`skip_authorization`, which staff set) is never asked about, but only an approved app
  gets this far: the validator refuses any other with `invalid_client`;
- otherwise the portal's own Consent record decides, not DOT's "auto" approval, which looks for a live
  access token and so forgets consent when tokens expire (DOT #753); REQUEST_APPROVAL_PROMPT is unused;
- the person may untick optional scopes, and the code (hence the tokens) carries only what they allowed
  (DOT #262).
"""

from __future__ import annotations

import json
import time
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit

from allauth.account.adapter import get_adapter
from allauth.account.authentication import get_authentication_records
from django.contrib import messages
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from oauth2_provider.exceptions import OAuthToolkitError
from oauth2_provider.models import get_application_model
from oauth2_provider.oauth2_backends import _add_iss_to_redirect
from oauth2_provider.oauth2_validators import is_valid_resource_uri
from oauth2_provider.settings import oauth2_settings
from oauth2_provider.views import AuthorizationView as DOTAuthorizationView
from oauthlib.oauth2.rfc6749 import errors as oauth_errors

from portal import confirm
from portal.clients.selectors import application_find_by_client_id
from portal.clients.status_messages import UNUSABLE_TITLES
from portal.consent import flows
from portal.consent import scopes as consent_scopes
from portal.consent.forms import ConsentForm
from portal.consent.selectors import connection_get_for_user, connection_list_for_user, consent_find
from portal.consent.services import connection_revoke, consent_grant
from portal.consent.validators import AuthorizationEndpointValidator
from portal.htmx import HtmxHttpRequest
from portal.usage import errorlog

# What a person is told when the request cannot go on. The OAuth error code is shown too, smaller, for the
# app's developer; the person needs to know what happened and that nothing was shared.
_UNKNOWN_APP = (
    "Unknown application",
    "The link you followed names an application that is not registered here. If an app or website sent "
    "you, let its makers know that their sign-in link is broken.",
)
_BAD_REDIRECT = (
    "This sign-in link is not safe to follow",
    "The application asked to send you back to an address it has not registered here, so you will not be "
    "sent there. The link may be broken, or someone may be trying to capture your sign-in.",
)
_GENERIC = ("Something is wrong with this sign-in request", "")


def _problem(error, application) -> dict[str, str]:
    if isinstance(error, oauth_errors.MissingClientIdError | oauth_errors.InvalidClientIdError):
        title, message = _UNKNOWN_APP
    elif isinstance(
        error,
        oauth_errors.MissingRedirectURIError
        | oauth_errors.InvalidRedirectURIError
        | oauth_errors.MismatchingRedirectURIError,
    ):
        title, message = _BAD_REDIRECT
    elif isinstance(error, oauth_errors.InvalidClientError) and application is not None:
        # The description is the reason the portal's validator gives (pending, rejected, suspended).
        title = UNUSABLE_TITLES.get(application.review_status, _GENERIC[0])
        message = error.description
    else:
        title, message = _GENERIC[0], error.description or ""
    return {"title": title, "message": message}


def _prompt(request: HttpRequest) -> set[str]:
    return flows.parse_prompt(request.GET.get("prompt"))


def _authenticated_at(request: HttpRequest) -> float | None:
    """When the person last proved who they are in this session.

    allauth records each sign-in in the session; `last_login` is the fallback (and what DOT puts in the
    ID token's auth_time). It is updated by a sign-in anywhere, so the session's own record comes first:
    that errs towards asking again, never towards trusting an old session.
    """
    times = [record["at"] for record in get_authentication_records(request, request.user) if "at" in record]
    if times:
        return max(times)
    user = request.user
    last_login = user.last_login if user.is_authenticated else None
    return last_login.timestamp() if last_login else None


def _issued(uri: str | None) -> bool:
    """Whether an authorization response carries a code or token rather than an error."""
    if not uri:
        return False
    parts = urlsplit(uri)
    params = {**parse_qs(parts.query), **parse_qs(parts.fragment)}
    return "error" not in params and bool({"code", "access_token", "id_token"} & params.keys())


def _redirect_target(redirect_uri: str) -> dict[str, str | bool]:
    parts = urlsplit(redirect_uri)
    if parts.netloc:
        return {"host": parts.netloc, "native": False}
    # A private-use scheme (com.example.app:/callback) hands the answer to an app on this device.
    return {"host": parts.scheme, "native": True}


class AuthorizationView(DOTAuthorizationView):
    template_name = "consent/authorize.html"
    form_class = ConsentForm
    validator_class = AuthorizationEndpointValidator

    @classmethod
    def get_oauthlib_core(cls):
        # DOT caches the core with hasattr(), which would also find a core cached on DOT's own class (built
        # with the default validator); this class keeps its own.
        if "_oauthlib_core" not in cls.__dict__ or oauth2_settings.ALWAYS_RELOAD_OAUTHLIB_CORE:
            cls._oauthlib_core = cls.get_oauthlib_backend_class()(cls.get_server())
        return cls._oauthlib_core

    # --- Not signed in ---------------------------------------------------------------------------

    def handle_no_permission(self):
        if _prompt(self.request) & {"none", "create"}:
            # DOT answers these: login_required to the client, or the registration page.
            return super().handle_no_permission()
        # Check the request before asking for a password: an unknown app or a bad redirect URI is better
        # said now than after the person has signed in.
        try:
            _scopes, credentials = self.validate_authorization_request(self.request)
        except OAuthToolkitError as error:
            return self.error_response(error, application=None)
        try:
            flows.parse_max_age(self.request.GET.get("max_age"))
        except flows.InvalidMaxAge as error:
            application = application_find_by_client_id(client_id=credentials["client_id"])
            invalid = oauth_errors.InvalidRequestError(description=str(error), state=credentials.get("state"))
            return self._error(invalid, credentials, application)
        return redirect_to_login(
            self._way_back(), resolve_url(self.get_login_url()), self.get_redirect_field_name()
        )

    def _way_back(self) -> str:
        """This authorization request, to come back to once the person has (re-)entered their password.

        Doing so satisfies `prompt=login` and `max_age`, so the way back leaves them out; with them a
        `max_age=0` request would send the person round in circles.
        """
        query = []
        for key, value in parse_qsl(self.request.META.get("QUERY_STRING", ""), keep_blank_values=True):
            if key == "max_age":
                continue
            if key == "prompt":
                value = " ".join(p for p in value.split() if p != "login")
                if not value:
                    continue
            query.append((key, value))
        return f"{self.request.path}?{urlencode(query)}"

    def _reauthenticate(self) -> HttpResponse:
        """Ask a signed-in person for their password again, then come back to this request.

        allauth's reauthentication flow keeps the session: a link on another site (prompt=login,
        max_age=0) can make a person type their password, but can no longer sign them out.
        """
        query = urlencode({REDIRECT_FIELD_NAME: self._way_back()})
        return redirect(f"{reverse('account_reauthenticate')}?{query}")

    # --- GET: decide whether to ask --------------------------------------------------------------

    def get(self, request, *args, **kwargs):
        try:
            scopes, credentials = self.validate_authorization_request(request)
        except OAuthToolkitError as error:
            return self.error_response(error, application=None)
        # From here on oauthlib has matched the redirect URI against the client's registration, so errors
        # may be redirected to the client.
        application = (
            get_application_model().objects.select_related("user").get(client_id=credentials["client_id"])
        )
        prompt = flows.parse_prompt(request.GET.get("prompt"))
        if "create" in prompt:
            response = self.handle_prompt_create()
            if response is not None:
                return response
        if isinstance(credentials.get("ui_locales"), list):
            # oauthlib wants the space-separated form back when it creates the response (as in DOT).
            credentials["ui_locales"] = " ".join(credentials["ui_locales"])
        resources = request.GET.getlist("resource")
        for resource in resources:
            if not is_valid_resource_uri(resource):
                return self._error(
                    oauth_errors.CustomOAuth2Error(
                        error="invalid_target",
                        description=f"The resource '{resource}' is not an absolute URI with a host.",
                        state=credentials.get("state"),
                    ),
                    credentials,
                    application,
                )
        if resources:
            credentials["resource"] = resources

        decision = flows.authorization_decision(
            prompt=prompt,
            max_age_raw=request.GET.get("max_age"),
            authenticated_at=_authenticated_at(request),
            now=time.time(),
            trusted=application.skip_authorization,
            requested=scopes,
            previous=self._previous_scopes(application),
        )
        state = credentials.get("state")
        match decision.outcome:
            case flows.Outcome.ISSUE:
                return self._issue(application, scopes, credentials, remember=decision.remember)
            case flows.Outcome.ASK:
                return self._consent_screen(
                    application, scopes, credentials, decision.previous, reconsent=decision.reconsent
                )
            case flows.Outcome.REAUTHENTICATE:
                return self._reauthenticate()
            case flows.Outcome.LOGIN_REQUIRED:
                return self._error(oauth_errors.LoginRequired(state=state), credentials, application)
            case flows.Outcome.CONSENT_REQUIRED:
                return self._error(oauth_errors.ConsentRequired(state=state), credentials, application)
            case flows.Outcome.INVALID_REQUEST:
                invalid = oauth_errors.InvalidRequestError(description=decision.description, state=state)
                return self._error(invalid, credentials, application)

    def _previous_scopes(self, application) -> list[str]:
        consent = consent_find(user=self.request.user, application=application)
        return consent.scopes if consent else []

    def _issue(self, application, scopes: list[str], credentials: dict, *, remember: list[str] | None):
        """Issue the code without asking; `remember` is the consent record to keep, if it changes."""
        try:
            with transaction.atomic():
                uri, _headers, _body, _status = self.create_authorization_response(
                    request=self.request, scopes=" ".join(scopes), credentials=credentials, allow=True
                )
                if remember is not None and _issued(uri):
                    consent_grant(
                        user=self.request.user, application=application, scopes=remember, request=self.request
                    )
        except OAuthToolkitError as error:
            return self.error_response(error, application)
        return self.redirect(uri, application)

    def _error(self, error, credentials: dict, application) -> HttpResponse:
        return self.error_response(
            OAuthToolkitError(error=error, redirect_uri=credentials["redirect_uri"]), application
        )

    def _consent_screen(self, application, scopes, credentials, previous, *, reconsent: bool) -> HttpResponse:
        # With prompt=consent every requested scope is asked afresh; otherwise only what is new.
        asked = (
            consent_scopes.ordered(scopes)
            if reconsent
            else consent_scopes.missing(requested=scopes, granted=previous)
        )
        already = [] if reconsent else [name for name in consent_scopes.ordered(scopes) if name in previous]
        # The request rides along in the form's hidden fields (DOT's AllowForm), as DOT's own view does.
        self.oauth2_data = {
            "scopes": scopes,
            "client_id": credentials["client_id"],
            "redirect_uri": credentials["redirect_uri"],
            "response_type": credentials["response_type"],
            "state": credentials["state"],
            "code_challenge": credentials.get("code_challenge"),
            "code_challenge_method": credentials.get("code_challenge_method"),
            "nonce": credentials.get("nonce"),
            "claims": json.dumps(credentials["claims"]) if credentials.get("claims") else None,
            "resource": " ".join(credentials.get("resource", [])) or None,
        }
        context = self.get_context_data(
            form=self.get_form(),
            application=application,
            asked=consent_scopes.describe(asked),
            already_granted=consent_scopes.describe(already),
            developer_name=application.publisher_name,
            redirect_target=_redirect_target(credentials["redirect_uri"]),
        )
        return self.render_to_response(context)

    # --- POST: the person decided ----------------------------------------------------------------

    def form_valid(self, form):
        application = application_find_by_client_id(client_id=form.cleaned_data["client_id"])
        if application is None:
            # Only a tampered form gets here: DOT would fail with a 500 on it.
            return self._bad_form()
        consent = consent_find(user=self.request.user, application=application)
        previous = consent.scopes if consent else []
        requested = consent_scopes.ordered(form.cleaned_data["scope"].split())
        granted, remembered = consent_scopes.decide(
            requested=requested,
            ticked=form.cleaned_data["granted_scopes"],
            previous=previous,
            reconsent="consent" in _prompt(self.request),
        )
        if not granted:
            # Nothing left to allow is a refusal. It must not reach oauthlib as an empty list either: it
            # would fall back to the scopes in the request, i.e. everything the app asked for.
            form.cleaned_data["allow"] = False
        form.cleaned_data["scope"] = " ".join(granted)
        self.success_url = None
        with transaction.atomic():
            # DOT issues the code (or the access_denied redirect) from the cleaned data; the consent is
            # remembered only when a code was really issued, in the same transaction.
            response = super().form_valid(form)
            if form.cleaned_data["allow"] and _issued(self.success_url):
                consent_grant(
                    user=self.request.user,
                    application=application,
                    scopes=remembered,
                    declined=[name for name in requested if name not in granted],
                    request=self.request,
                )
        return response

    def form_invalid(self, form):
        return self._bad_form()

    def _bad_form(self) -> HttpResponse:
        error = oauth_errors.InvalidRequestError(
            description="The consent form was incomplete; start again from the app."
        )
        return self.render_to_response({"error": error, "problem": _problem(error, None)}, status=400)

    # --- Responses -------------------------------------------------------------------------------

    def error_response(self, error, application, **kwargs):
        # DOT redirects *errors* with `application=None` and so checks the redirect against the global
        # scheme list, which (RFC 9700) holds only https: loopback (http://127.0.0.1) and native
        # (com.example.app:/cb) clients would never receive their error. oauthlib redirects an error only
        # after it matched the redirect URI against the client's registration, so the registered client
        # decides the allowed schemes, as on success.
        if application is None:
            application = application_find_by_client_id(
                client_id=getattr(error.oauthlib_error, "client_id", None)
            )
        # Usage insights: a person's refusal is counted, any other error logged for the app's developer.
        errorlog.authorization_error_record(
            application_id=application.pk if application is not None else None,
            error=error.oauthlib_error,
            request=self.request,
        )
        return super().error_response(
            error, application, problem=_problem(error.oauthlib_error, application), **kwargs
        )

    def redirect(self, redirect_to, application):
        # RFC 9207: `iss` belongs in every authorization response, errors included (access_denied,
        # login_required, consent_required); DOT adds it to successful ones only. Adding it is idempotent.
        if oauth2_settings.COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS:
            redirect_to = _add_iss_to_redirect(
                redirect_to, oauth2_settings.oauth2_authorization_server_issuer(self.request)
            )
        return super().redirect(redirect_to, application)


# --- Connected apps ------------------------------------------------------------------------------


@login_required
@require_GET
def connected_apps(request: HttpRequest) -> HttpResponse:
    connections = connection_list_for_user(user=request.user)
    return render(request, "consent/connected_apps.html", {"connections": connections})


@login_required
@require_POST
def connected_app_revoke(request: HtmxHttpRequest, application_id: int) -> HttpResponse:
    application = connection_get_for_user(user=request.user, application_id=application_id)
    name = application.name
    if confirm.confirmation_needed(request):
        return confirm.ask(
            request,
            title=f"Revoke the access of {name}?",
            message=f"{name} is signed out of your account at once: its tokens stop working, and it has to "
            "ask you again the next time you use it.",
            confirm_label="Revoke access",
            cancel_url=reverse("connected_apps"),
        )
    connection_revoke(user=request.user, application=application, request=request)
    if request.htmx:
        # The row is swapped for this fragment, which holds only out-of-band updates: the row goes away.
        context = {
            "revoked_name": application.name,
            "connections": connection_list_for_user(user=request.user),
        }
        return render(request, "consent/connected_apps.html#revoked", context)
    # The text lives in a template, as allauth's messages do (account/messages/*.txt).
    get_adapter(request).add_message(
        request, messages.SUCCESS, "consent/messages/access_revoked.txt", {"name": application.name}
    )
    return redirect("connected_apps")
