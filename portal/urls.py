"""URL map. Only DOT's protocol URL lists are mounted: its management pages (which show a stored secret
hash as if it were the secret and let the client id be edited) are replaced by the portal's own."""

from allauth.account.decorators import secure_admin_login
from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from oauth2_provider import urls as dot_urls

from portal.clients.introspection import IntrospectTokenView
from portal.clients.revocation import RevokeTokenView
from portal.clients.token_view import TokenView
from portal.consent.logout import LogoutView
from portal.consent.views import AuthorizationView
from portal.device import views as device_views
from portal.pages import views as pages_views

# The portal's own views take DOT's URL names, in place of DOT's entries; the protocol stays DOT's. The
# authorization, logout, token, introspection and revocation views are subclasses of DOT's (portal.consent,
# portal.clients); so are the device grant's (portal.device): DOT's stock device pages would approve a
# device without the consent screen, consent record or audit event.
portal_protocol_patterns = [
    path("authorize/", AuthorizationView.as_view(), name="authorize"),
    path("logout/", LogoutView.as_view(), name="rp-initiated-logout"),
    path("introspect/", IntrospectTokenView.as_view(), name="introspect"),
    path("token/", TokenView.as_view(), name="token"),
    path("revoke_token/", RevokeTokenView.as_view(), name="revoke-token"),
    path(
        "device-authorization/",
        device_views.DeviceAuthorizationView.as_view(),
        name="device-authorization",
    ),
    path("device/", device_views.device_user_code, name="device"),
    path("device/confirm/", device_views.device_confirm, name="device-confirm"),
    path("device/qr.svg", device_views.device_qr, name="device-qr"),
]
_REPLACED = {pattern.name for pattern in portal_protocol_patterns} | {"device-grant-status"}
oauth2_protocol_patterns = (
    portal_protocol_patterns
    + [pattern for pattern in dot_urls.base_urlpatterns if pattern.name not in _REPLACED]
    + [pattern for pattern in dot_urls.oidc_urlpatterns if pattern.name not in _REPLACED]
    # RFC 8414 metadata, with the device authorization endpoint added (RFC 8628 4).
    + [
        path(str(pattern.pattern), device_views.ServerMetadataView.as_view(), name=pattern.name)
        if pattern.name.startswith("oauth-server-metadata")
        else pattern
        for pattern in dot_urls.metadata_urlpatterns
    ],
    dot_urls.app_name,
)

# The admin's own login form would check passwords without allauth's login-failure limits and without the
# audit log's sign-in events: it sends people to allauth's sign-in instead (with `next`), so every password
# sign-in goes through one door.
admin.site.login = secure_admin_login(admin.site.login)

# A database or cache outage raised before any view ran (in a middleware) is a 503, not a 500.
handler500 = "portal.errors.server_error"

urlpatterns = [
    path("", pages_views.home, name="home"),
    path("o/", include(oauth2_protocol_patterns, namespace="oauth2_provider")),
    # The issuer is <origin>/o everywhere: OIDC discovery, ID tokens, the RFC 9207 `iss` response
    # parameter and RFC 8414 metadata, which for an issuer with a path lives at
    # /.well-known/oauth-authorization-server/o (DOT's view derives the issuer from that path).
    path(
        ".well-known/oauth-authorization-server/o",
        device_views.ServerMetadataView.as_view(),
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
