from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET


@require_GET
def home(request: HttpRequest) -> HttpResponse:
    endpoints = {
        "OpenID Connect discovery": reverse("oauth2_provider:oidc-connect-discovery-info"),
        "OAuth 2.0 server metadata (RFC 8414)": reverse("oauth-server-metadata"),
        "JSON Web Key Set": reverse("oauth2_provider:jwks-info"),
    }
    return render(request, "pages/home.html", {"endpoints": endpoints})
