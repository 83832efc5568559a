"""URL map. Only DOT's protocol URL lists are mounted: its management pages (which show a stored secret
hash as if it were the secret and let the client id be edited) are replaced by the portal's own."""

from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from oauth2_provider import urls as dot_urls
from oauth2_provider.views import OAuthServerMetadataView

from portal.clients.token_view import TokenView
from portal.consent.views import AuthorizationView
from portal.pages import views as pages_views

# The portal's authorization view takes DOT's URL name; DOT's own `authorize` entry is left out.
oauth2_protocol_patterns = (
    [path("authorize/", AuthorizationView.as_view(), name="authorize")]
    # The token endpoint without DOT's re-read of the token it just issued (portal/clients/token_view.py).
    + [path("token/", TokenView.as_view(), name="token")]
    + [pattern for pattern in dot_urls.base_urlpatterns if pattern.name not in ("authorize", "token")]
    + dot_urls.oidc_urlpatterns
    + dot_urls.metadata_urlpatterns,
    dot_urls.app_name,
)

urlpatterns = [
    path("", pages_views.home, name="home"),
    path("o/", include(oauth2_protocol_patterns, namespace="oauth2_provider")),
    # The issuer is <origin>/o everywhere: OIDC discovery, ID tokens, the RFC 9207 `iss` response
    # parameter and RFC 8414 metadata, which for an issuer with a path lives at
    # /.well-known/oauth-authorization-server/o (DOT's view derives the issuer from that path).
    path(
        ".well-known/oauth-authorization-server/o",
        OAuthServerMetadataView.as_view(),
        name="oauth-server-metadata",
    ),
    path("api/", include("portal.api.urls")),
    path("developer/", include("portal.developer.urls")),
    path("staff/", include("portal.review.urls")),
    # Connected apps live under /accounts/ beside allauth's pages, so they come before its catch-alls.
    path("accounts/", include("portal.consent.urls")),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
]

if settings.DEBUG:
    # Uploaded files; production serves them from object storage (STORAGES["default"]).
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
