"""A small RFC 8628 device client over real HTTP (requests), as a TV app would be written.

Used by tests/oauth/test_advertised.py and the Chromium journey. It keeps to the interval the server
gives (and adds 5 seconds on slow_down), so it never trips the server's pacing by accident.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field

import requests

from tests.helpers.oauth import csrf_of

DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code"


@dataclass
class DeviceClient:
    device_authorization_endpoint: str
    token_endpoint: str
    client_id: str
    http: requests.Session = field(default_factory=requests.Session)
    codes: dict = field(default_factory=dict)
    _last_poll: float = 0.0

    def start(self, scope: str) -> dict:
        response = self.http.post(
            self.device_authorization_endpoint, data={"client_id": self.client_id, "scope": scope}, timeout=10
        )
        assert response.status_code == 200, response.text
        self.codes = response.json()
        return self.codes

    def poll(self) -> requests.Response:
        """One token request, after waiting out the interval since the previous one."""
        wait = self._last_poll + self.codes["interval"] - time.monotonic()
        if self._last_poll and wait > 0:
            time.sleep(wait)
        self._last_poll = time.monotonic()
        response = self.http.post(
            self.token_endpoint,
            data={
                "grant_type": DEVICE_GRANT,
                "device_code": self.codes["device_code"],
                "client_id": self.client_id,
            },
            timeout=10,
        )
        if response.status_code == 400 and response.json().get("error") == "slow_down":
            self.codes["interval"] += 5
        return response


def approve_device(browser: requests.Session, verification_uri_complete: str, ticked: list[str]) -> None:
    """The person's side without a browser: the code arrives filled in, then Allow on the consent card."""
    page = browser.get(verification_uri_complete, timeout=10)
    code = re.search(r'name="user_code"[^>]* value="([^"]+)"', page.text).group(1)
    entered = browser.post(
        page.url, data={"csrfmiddlewaretoken": csrf_of(page.text), "user_code": code}, timeout=10
    )
    assert entered.url.endswith("/o/device/confirm/"), entered.text[:500]
    decided = browser.post(
        entered.url,
        data={"csrfmiddlewaretoken": csrf_of(entered.text), "allow": "true", "granted_scopes": ticked},
        timeout=10,
    )
    assert "is connected" in decided.text
