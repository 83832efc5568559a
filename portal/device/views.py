"""The device grant (RFC 8628) end to end.

The device's side is protocol and stays DOT's and oauthlib's, subclassed where DOT 3.4.1 and oauthlib 4
disagree (see the oauthlib pin in pyproject.toml):

- `DeviceAuthorizationView` (POST /o/device-authorization/) hands out the codes. oauthlib validates the
  client (only approved apps: the portal's validator answers `invalid_client` with the reason) and the
  scopes; this view also requires the app to have registered the device grant, stores the grant through
  the portal's service and makes `verification_uri` absolute on the portal's origin.
- The token endpoint (portal/clients/token_view.py) sends device polls through oauthlib's DeviceCodeGrant
  like every other grant, so the portal's validator (`validate_device_code`) decides pending, slow_down,
  expired, denied and the one-time exchange.
- `ServerMetadataView` adds `device_authorization_endpoint` (RFC 8628 4) to the RFC 8414 metadata.

The person's side is the portal's: `/o/device/` (the advertised verification_uri) to type the code, then
the same consent card as /o/authorize/. The approval is always asked, even for apps staff marked trusted:
confirming that the device in front of you is the one asking is the point of this screen.
"""

from __future__ import annotations

import io
import json
from urllib.parse import urlencode, urlsplit

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods
from oauth2_provider.settings import oauth2_settings
from oauth2_provider.views import DeviceAuthorizationView as DOTDeviceAuthorizationView
from oauth2_provider.views import OAuthServerMetadataView

from portal import ratelimits
from portal.clients import grants
from portal.clients.selectors import application_find_by_client_id
from portal.consent import scopes as consent_scopes
from portal.consent.selectors import consent_find
from portal.device import codes
from portal.device.forms import DeviceConsentForm, UserCodeForm
from portal.device.selectors import device_grant_find_pending, device_user_code_in_use
from portal.device.services import device_grant_approve, device_grant_create, device_grant_deny

_SESSION_KEY = "device_grant"


def verification_uri(request: HttpRequest) -> str:
    """/o/device/ on the portal's origin: the issuer's when one is configured, else this request's."""
    parts = urlsplit(oauth2_settings.oauth2_authorization_server_issuer(request))
    return f"{parts.scheme}://{parts.netloc}{reverse('oauth2_provider:device')}"


def verification_uri_complete(request: HttpRequest, user_code: str) -> str:
    return f"{verification_uri(request)}?{urlencode({'user_code': codes.user_code_display(user_code)})}"


def _oauth_error(status: int, error: str, description: str) -> JsonResponse:
    return JsonResponse({"error": error, "error_description": description}, status=status)


# --- The device's side -----------------------------------------------------------------------------


class DeviceAuthorizationView(DOTDeviceAuthorizationView):
    def post(self, request, *args, **kwargs):
        headers, body, status = self.create_device_authorization_response(request)
        if status != 200:
            # oauthlib's error (a JSON string), with its headers (WWW-Authenticate on invalid_client).
            return JsonResponse(json.loads(body), status=status, headers=headers)
        # oauthlib requires client_id in the body here (RFC 8628 3.1), even from a client using HTTP Basic.
        application = application_find_by_client_id(client_id=request.POST.get("client_id"))
        if application is None:  # oauthlib authenticated this client, so only a race gets here
            return _oauth_error(401, "invalid_client", "No application found for client_id.")
        if not application.allows_grant_type(grants.DEVICE_CODE):
            # oauthlib checks the grant type only at the token endpoint; refusing here spares the person
            # an approval whose code could never be exchanged.
            return _oauth_error(
                400, "unauthorized_client", "This application is not registered for the device grant."
            )
        # oauthlib 4 echoes the resolved scopes (the device's, or the app's defaults when it sent none)
        # so they can be stored; RFC 8628 3.2 does not define `scope` in this response, so it is not sent.
        scopes = body.pop("scope", "").split()
        while device_user_code_in_use(user_code=body["user_code"]):
            # Two live devices must never share the code a person types (34 bits make this rare).
            body["user_code"] = codes.user_code_generate()
        device_grant_create(
            client_id=application.client_id,
            device_code=body["device_code"],
            user_code=body["user_code"],
            scopes=scopes,
            expires_in=body["expires_in"],
            interval=body.get("interval", 5),
        )
        body["verification_uri"] = verification_uri(request)
        body["verification_uri_complete"] = verification_uri_complete(request, body["user_code"])
        body["user_code"] = codes.user_code_display(body["user_code"])
        # RFC 6749 5.1 asks this of token responses; these codes are credentials just the same.
        return JsonResponse(body, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})


class ServerMetadataView(OAuthServerMetadataView):
    def get(self, request, *args, **kwargs):
        response = super().get(request, *args, **kwargs)
        data = json.loads(response.content)
        data["device_authorization_endpoint"] = self._get_endpoint_url(request, "device-authorization")
        # DOT's response, headers and all, with the one field added.
        response.content = json.dumps(data)
        return response


@require_GET
def device_qr(request: HttpRequest) -> HttpResponse:
    """GET /o/device/qr.svg?user_code=WDJB-MJHT: a QR code of verification_uri_complete, as SVG.

    For a device with a screen but no QR library: it shows this image beside the code, and a phone's
    camera opens the code-entry page with the code filled in. It encodes only the portal's own URL with a
    well-formed code (never arbitrary text), and says nothing about whether the code exists.
    """
    code = codes.user_code_normalize(request.GET.get("user_code", ""))
    if code is None:
        return HttpResponse(
            "user_code must be a code as the device authorization endpoint gives it.\n",
            status=400,
            content_type="text/plain",
        )
    buffer = io.BytesIO()
    segno.make(verification_uri_complete(request, code), error="m").save(
        buffer, kind="svg", scale=6, border=4, xmldecl=False, title="Scan to connect your device"
    )
    return HttpResponse(
        buffer.getvalue(), content_type="image/svg+xml", headers={"Cache-Control": "public, max-age=600"}
    )


# --- The person's side -----------------------------------------------------------------------------


def _code_entry_refused(request: HttpRequest) -> HttpResponse | None:
    """RFC 8628 5.1: the code-entry page is where a user code could be guessed, so attempts are limited
    per person and per address (portal.ratelimits, in the shared cache). Successful entries count too; a
    person connects a device or two, not dozens."""
    decision = ratelimits.hit("device_code_user", key=str(request.user.pk))
    if decision.allowed:
        decision = ratelimits.hit("device_code_address", key=ratelimits.client_ip(request))
    if decision.allowed:
        return None
    if decision.cache_down:
        return ratelimits.refused_html(request, decision)
    response = render(request, "device/user_code.html", {"form": UserCodeForm(), "limited": True}, status=429)
    response["Retry-After"] = str(decision.retry_after)
    return response


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def device_user_code(request: HttpRequest) -> HttpResponse:
    """The verification_uri: the person types the code their device shows (or arrives with it filled in
    from verification_uri_complete, and confirms it matches the device's)."""
    if request.method == "GET":
        form = UserCodeForm(initial={"user_code": request.GET.get("user_code", "")[:32]})
        return render(request, "device/user_code.html", {"form": form})
    refused = _code_entry_refused(request)
    if refused is not None:
        return refused
    form = UserCodeForm(request.POST)
    if not form.is_valid():
        return render(request, "device/user_code.html", {"form": form}, status=400)
    # The grant is kept in the session, not the URL: the approval page shows only a code this person
    # typed, and the decision goes to that grant alone.
    request.session[_SESSION_KEY] = form.grant.pk
    return redirect("oauth2_provider:device-confirm")


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def device_confirm(request: HttpRequest) -> HttpResponse:
    grant = device_grant_find_pending(pk=request.session.get(_SESSION_KEY))
    application = application_find_by_client_id(client_id=grant.client_id) if grant else None
    if grant is None or application is None or not application.is_approved:
        request.session.pop(_SESSION_KEY, None)
        if grant is None:
            messages.error(request, "That code expired or was already used. Start again on your device.")
        else:  # suspended (or deleted) since the code was typed
            messages.error(request, "The app on your device can no longer be connected.")
        return redirect("oauth2_provider:device")
    requested = consent_scopes.ordered(grant.scope.split())
    if request.method == "POST":
        return _decide(request, grant, application, requested)
    context = {
        "application": application,
        "developer_name": application.publisher_name,
        # Every scope the device asked for is on the screen and decided afresh: the person sees exactly
        # what this device will get.
        "asked": consent_scopes.describe(requested),
        "already_granted": [],
        "form": DeviceConsentForm(),
        "form_action": reverse("oauth2_provider:device-confirm"),
        "after_choice": "device/_after_choice.html",
        "user_code": codes.user_code_display(grant.user_code),
    }
    return render(request, "device/confirm.html", context)


def _decide(request: HttpRequest, grant, application, requested: list[str]) -> HttpResponse:
    form = DeviceConsentForm(request.POST)
    if not form.is_valid():
        # Only a tampered form gets here: the checkboxes offer known scopes only.
        return HttpResponseBadRequest("The form was incomplete; start again on your device.")
    consent = consent_find(user=request.user, application=application)
    granted, remembered = consent_scopes.decide(
        requested=requested,
        ticked=form.cleaned_data["granted_scopes"],
        previous=consent.scopes if consent else [],
        reconsent=True,
    )
    request.session.pop(_SESSION_KEY, None)
    # Nothing left ticked is a refusal, as on the authorization endpoint (an empty scope list would
    # otherwise fall back to the app's default scopes).
    if form.cleaned_data["allow"] and granted:
        done = device_grant_approve(
            grant=grant,
            application=application,
            user=request.user,
            granted=granted,
            remembered=remembered,
            declined=[name for name in requested if name not in granted],
            request=request,
        )
        message = f"{application.name} is connected. Go back to your device: it continues by itself."
    else:
        done = device_grant_deny(grant=grant, application=application, user=request.user, request=request)
        message = f"{application.name} was not connected. Nothing from your account was shared."
    if not done:
        messages.error(request, "That code expired or was already used. Start again on your device.")
        return redirect("oauth2_provider:device")
    messages.success(request, message)
    return redirect("oauth2_provider:device")
