"""Resource endpoints for OAuth clients. Bearer tokens only (REST_FRAMEWORK in settings).

Missing or bad token: 401 with a WWW-Authenticate challenge; valid token without the scope: 403.
"""

from __future__ import annotations

from typing import cast

from django.contrib.auth.models import AbstractUser
from oauth2_provider.contrib.rest_framework import TokenHasScope
from rest_framework.decorators import api_view, permission_classes
from rest_framework.request import Request
from rest_framework.response import Response


class _UserTokenWithScope(TokenHasScope):
    """The token carries `scope` and speaks for a user (a client-credentials token speaks for nobody)."""

    scope = ""

    def get_scopes(self, request, view):
        return [self.scope]

    def has_permission(self, request, view):
        if not super().has_permission(request, view):
            return False
        if request.auth.user_id is None:
            self.message = "This endpoint describes a user; a client-credentials token has no user."
            return False
        return True


class _ScopeRead(_UserTokenWithScope):
    scope = "read"


class _ScopeGroups(_UserTokenWithScope):
    scope = "groups"


@api_view(["GET"])
@permission_classes([_ScopeRead])
def me(request: Request) -> Response:
    # The permission classes admit only a token issued to a person, so this is a signed-in user.
    user = cast(AbstractUser, request.user)
    return Response(
        {
            "id": user.pk,
            "username": user.get_username(),
            "email": user.email,
            "first_name": user.first_name,
            "last_name": user.last_name,
        }
    )


@api_view(["GET"])
@permission_classes([_ScopeGroups])
def groups(request: Request) -> Response:
    names = list(request.user.groups.order_by("name").values_list("name", flat=True))
    return Response({"groups": names})
