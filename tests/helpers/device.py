"""The requests a device makes in the device grant (RFC 8628), and the person's answers."""

from __future__ import annotations

from urllib.parse import urlencode

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


def form_post(client, path: str, data: dict, **extra):
    """A device's POST: application/x-www-form-urlencoded, as RFC 8628 and RFC 6749 require."""
    return client.post(path, urlencode(data), content_type="application/x-www-form-urlencoded", **extra)


def start(client, app, scope: str | None = "openid profile read"):
    """The device's first request (RFC 8628 3.1)."""
    data = {"client_id": app.client_id}
    if scope is not None:
        data["scope"] = scope
    return form_post(client, "/o/device-authorization/", data)


def poll(client, app, device_code: str):
    """The device polling the token endpoint (RFC 8628 3.4)."""
    data = {"grant_type": DEVICE_GRANT, "device_code": device_code, "client_id": app.client_id}
    return form_post(client, "/o/token/", data)


def enter_code(client, user_code: str):
    return client.post("/o/device/", {"user_code": user_code})


def decide(client, *, allow: bool = True, ticked: tuple[str, ...] = ()):
    data = {"granted_scopes": list(ticked)}
    if allow:
        data["allow"] = "true"
    return client.post("/o/device/confirm/", data)
