"""The five flows the benchmark drives, as (method, path, form data, Authorization header).

No Django here: benchmarks/compare_stock.py imports it without settings."""

from __future__ import annotations

import base64


def basic(client_id: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


def flows(fixture: dict, n: int) -> dict:
    """Each flow as (method, path, form data, headers); `n` picks the code and refresh token to spend."""
    cc, ac = fixture["cc"], fixture["ac"]
    return {
        "client_credentials": ("post", "/o/token/", {"grant_type": "client_credentials"}, basic(*cc)),
        "authorization_code": (
            "post",
            "/o/token/",
            {
                "grant_type": "authorization_code",
                "code": f"bench-code-{n}",
                "redirect_uri": fixture["redirect_uri"],
                "code_verifier": fixture["code_verifier"],
            },
            basic(*ac),
        ),
        "refresh": (
            "post",
            "/o/token/",
            {"grant_type": "refresh_token", "refresh_token": f"bench-refresh-{n}"},
            basic(*ac),
        ),
        "introspection": ("post", "/o/introspect/", {"token": fixture["api_token"]}, basic(*cc)),
        "api_me": ("get", "/api/me", {}, f"Bearer {fixture['api_token']}"),
    }
