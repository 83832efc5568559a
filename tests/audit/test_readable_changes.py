"""The audit log and review history say what happened in words, not stored Python values."""

from __future__ import annotations

import pytest

from portal.audit.templatetags.audit_tags import change_rows
from portal.clients import grants


def _read(changes) -> list[str]:
    return [
        f"{row['field']}: {row['before']} → {row['after']}"
        if row["pair"]
        else f"{row['field']}: {row['after']}"
        for row in change_rows(changes)
    ]


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"skip_authorization": [False, True]}, ["Trusted: no → yes"]),
        ({"review_status": ["pending", "approved"]}, ["Status: Pending → Approved"]),
        (
            {"grant_types": [[grants.AUTHORIZATION_CODE], [grants.AUTHORIZATION_CODE, grants.DEVICE_CODE]]},
            ["Grant types: Authorization code → Authorization code, Device code"],
        ),
        ({"homepage_url": [None, "https://a.example"]}, ["Homepage: none → https://a.example"]),
        (
            {"revoked": {"access_tokens": 3, "refresh_tokens": 1, "authorization_codes": 0}},
            ["Revoked: 3 access tokens, 1 refresh token"],
        ),
        (
            {"scopes": [["openid", "read"], None], "access_tokens": 1, "id_tokens": 0},
            ["Scopes: openid, read → none", "Revoked: 1 access token"],
        ),
        ({"previous_secret_valid_for_seconds": 86400}, ["Grace period of the previous secret: 1 day"]),
        (
            {"previous_secret_valid_for_seconds": 0},
            ["Grace period of the previous secret: none (it stopped at once)"],
        ),
        ({"logo": [None, "logos/gone.png"]}, ["Logo: none → new logo"]),
    ],
)
def test_changes_read_in_words(changes, expected):
    assert _read(changes) == expected


def test_no_raw_python_values_remain():
    text = " ".join(
        _read(
            {
                "proposed_changes": [{"redirect_uris": "https://a.example/cb"}, {}],
                "trusted": False,
                "via": "admin",
            }
        )
    )
    for raw in ("None", "False", "True", "[", "{", "'"):
        assert raw not in text, text
