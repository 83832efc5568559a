"""Resource endpoints for OAuth clients. Bearer tokens only (portal.api.bearer).

Missing or bad token: 401 with a WWW-Authenticate challenge; valid token without the scope: 403.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse

from portal.api.bearer import bearer_token_with_scope, json_response


@bearer_token_with_scope("read")
def me(request: HttpRequest) -> HttpResponse:
    user = request.user
    return json_response(
        {
            "id": user.pk,
            "username": user.get_username(),
            "email": user.email,
            "first_name": user.first_name,
            "last_name": user.last_name,
        }
    )


@bearer_token_with_scope("groups")
def groups(request: HttpRequest) -> HttpResponse:
    names = list(request.user.groups.order_by("name").values_list("name", flat=True))
    return json_response({"groups": names})
