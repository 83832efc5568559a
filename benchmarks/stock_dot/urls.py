from django.http import JsonResponse
from django.urls import include, path
from oauth2_provider.decorators import protected_resource


@protected_resource(scopes=["read"])
def me(request):
    # DOT's documented way to protect a function view; the same fields as the portal's /api/me.
    user = request.resource_owner
    return JsonResponse(
        {
            "id": user.pk,
            "username": user.get_username(),
            "email": user.email,
            "first_name": user.first_name,
            "last_name": user.last_name,
        }
    )


def bare(request):
    # The ceiling for any Django view behind this middleware: no database, no authentication.
    return JsonResponse({"ok": True})


urlpatterns = [
    path("bare", bare),
    path("o/", include("oauth2_provider.urls", namespace="oauth2_provider")),
    path("api/me", me),
]
