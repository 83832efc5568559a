"""No input gives a 5xx: every URL of the URL map, with hostile values in its path, query string, form body
and Authorization header, anonymous and signed in as a developer and as staff (with every admin permission).

The URL list comes from Django's resolvers and the form field names from the pages themselves, so a new URL
or a new form field is covered without touching this file. Runs on SQLite and PostgreSQL (which refuses NUL
bytes in text, the most common cause of these 500s).

Each parameter is sent with every hostile value in turn, all parameters of a request at once; that keeps the
scan under a minute, but a bug that needs one bad value beside otherwise valid ones (an unknown client_id on
an otherwise well-formed request) needs its own test, as in test_request_guard.py.
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass, field
from urllib.parse import quote

import pytest
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve
from django.urls.converters import IntConverter
from django.urls.exceptions import Resolver404
from django.utils.regex_helper import normalize
from oauth2_provider.models import get_access_token_model

from portal.clients import grants
from portal.clients.models import ClientSecret
from portal.consent.services import consent_grant
from tests.helpers.accounts import sign_in_with_second_factor
from tests.helpers.constants import PASSWORD

HUGE = "99999999999999999999"  # beyond a 64-bit integer
NUL = "a\x00b"
OVERLONG = "x" * 5000


def _basic(user: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


# One request per variant sets every parameter to the same hostile value, with a hostile Authorization
# header: a bearer token for GET (resource endpoints), client credentials for POST (token endpoints).
VARIANTS: dict[str, tuple[object, str, str]] = {
    "nul": (NUL, "Bearer a\x00b", _basic("cli\x00ent", "se\x00cret")),
    "overlong": (OVERLONG, "Bearer " + OVERLONG, _basic(OVERLONG, OVERLONG)),
    # Several values for one name; the last one (what .get() returns) is beyond any 64-bit integer.
    "huge": (["[]{}\u202e\ufeff<b>\"'%", "-1", HUGE], "Digest nonsense", "Basic !!!not-base64"),
}

# Parameters the protocol endpoints read; form fields are found on the pages themselves.
PROTOCOL_PARAMS = [
    "client_id", "client_secret", "redirect_uri", "response_type", "response_mode", "scope", "state", "code",
    "code_challenge", "code_challenge_method", "code_verifier", "nonce", "prompt", "max_age", "login_hint",
    "id_token_hint", "post_logout_redirect_uri", "ui_locales", "claims", "request", "grant_type",
    "refresh_token", "token", "token_type_hint", "username", "password", "device_code", "user_code",
    "allow", "next", "page", "q", "status", "application", "app", "actor", "action", "e", "o", "p",
]  # fmt: skip
INPUT_NAME = re.compile(r"<(?:input|select|textarea)\b[^>]*\bname=\"([^\"]+)\"")
IGNORED_FIELDS = {"csrfmiddlewaretoken"}


@dataclass
class Endpoint:
    route: str
    paths: list[str] = field(default_factory=list)  # first one uses real ids, the rest hostile path values


def _strip(regex: str) -> str:
    return regex.removeprefix("^").removesuffix(r"\Z").removesuffix("$")


def _patterns(resolver: URLResolver, prefix: str = "", converters=None):
    for entry in resolver.url_patterns:
        regex = prefix + _strip(entry.pattern.regex.pattern)
        found = {**(converters or {}), **getattr(entry.pattern, "converters", {})}
        if isinstance(entry, URLResolver):
            yield from _patterns(entry, regex, found)
        elif isinstance(entry, URLPattern):
            yield regex, found, entry.callback


def _resolves_to(path: str, callback) -> bool:
    try:
        return resolve(path).func == callback
    except Resolver404:
        return False


def _values_for(name: str, converter, real_ids: dict[str, int], regex: str) -> tuple[str, list[str]]:
    """(a value that finds a real object, hostile values) for a path parameter."""
    real = str(real_ids.get(name, real_ids["pk"]))
    choices = re.search(rf"\(\?P<{name}>([\w|]+)\)", regex)
    if choices:  # an alternation of names, such as the admin's app labels
        real = choices.group(1).split("|")[0]
    if isinstance(converter, IntConverter) or converter is None and name.endswith(("pk", "_id")):
        return real, ["0", HUGE]
    return real, [NUL, OVERLONG[:300], HUGE]


def endpoints(real_ids: dict[str, int]) -> list[Endpoint]:
    found = []
    for regex, converters, callback in _patterns(get_resolver()):
        template, params = normalize(regex)[0]
        endpoint = Endpoint(route=regex)
        base = {name: _values_for(name, converters.get(name), real_ids, regex)[0] for name in params}
        candidates = [base]
        for name in params:
            for hostile in _values_for(name, converters.get(name), real_ids, regex)[1]:
                candidates.append({**base, name: hostile})
        for values in candidates:
            path = "/" + template % values
            if _resolves_to(path, callback):
                endpoint.paths.append("/" + template % {k: quote(v, safe="") for k, v in values.items()})
        # Every URL must be reachable with at least one value, or the scan would silently skip it.
        assert endpoint.paths, f"no test path resolves to {regex}"
        found.append(endpoint)
    return found


def _field_names(response) -> set[str]:
    if response.status_code != 200 or "html" not in response.get("Content-Type", ""):
        return set()
    return set(INPUT_NAME.findall(response.content.decode(errors="replace"))) - IGNORED_FIELDS


@pytest.fixture
def world(db, alice, erin, make_app):
    """Alice's approved app with a secret, a token and erin's consent; the ids are the 'real' path values."""
    app, _secret = make_app(alice, grant_types=[grants.AUTHORIZATION_CODE, grants.CLIENT_CREDENTIALS])
    make_app(alice, name="Pending app", review_status="pending")
    token = get_access_token_model().objects.create(
        user=erin, application=app, token="hostile-scan-token", scope="read", expires="2099-01-01T00:00Z"
    )
    consent = consent_grant(user=erin, application=app, scopes=["read"], request=None)
    # Staff with every admin permission, so the scan reaches past the admin's permission checks too.
    staff = get_user_model().objects.create_superuser("root", "root@example.com", PASSWORD)
    return {
        "ids": {
            "pk": app.pk,
            "secret_pk": ClientSecret.objects.filter(application=app).first().pk,
            "token_pk": token.pk,
            "consent_id": consent.pk,
            "object_id": app.pk,
            "content_type_id": 1,
            "client_id": app.client_id,
        },
        "users": {"anonymous": None, "developer": alice, "staff": staff},
    }


def _send(client: Client, method: str, path: str, data, authorization: str | None, failures: list[str], who):
    extra = {"HTTP_AUTHORIZATION": authorization} if authorization else {}
    try:
        # A savepoint per request: on PostgreSQL an unhandled database error would otherwise abort the
        # test's transaction and every later request would fail for that reason instead of its own.
        with transaction.atomic():
            response = getattr(client, method)(path, data, **extra)
    except Exception as exc:  # noqa: BLE001 - every unhandled exception is a 500 to report
        failures.append(f"{who} {method.upper()} {path[:120]!r}: {type(exc).__name__}: {str(exc)[:160]}")
        return None
    if response.status_code >= 500:
        failures.append(f"{who} {method.upper()} {path[:120]!r}: HTTP {response.status_code}")
    return response


def _closed(response) -> bool:
    """The request did not get past the access check (or the method): more values would test nothing new."""
    if response is None:
        return False
    if response.status_code == 302:
        return "login" in response["Location"]
    return response.status_code in (403, 404, 405)


def test_no_url_answers_5xx_to_hostile_input(world):
    failures: list[str] = []
    urls = endpoints(world["ids"])
    cache.clear()  # sign-in attempts below must not leave rate limits behind for other tests
    for who, user in world["users"].items():
        client = Client(raise_request_exception=True)
        if user is not None:
            sign_in_with_second_factor(client, user)
        for endpoint in urls:
            real_path, *hostile_paths = endpoint.paths
            open_methods = []
            for method in ("get", "post"):
                page = _send(client, method, real_path, {}, None, failures, who)
                names = set(PROTOCOL_PARAMS) | (_field_names(page) if method == "get" and page else set())
                variants = list(VARIANTS.values())
                if not _closed(page):
                    open_methods.append(method)
                for value, get_auth, post_auth in variants if not _closed(page) else variants[:1]:
                    authorization = get_auth if method == "get" else post_auth
                    _send(
                        client,
                        method,
                        real_path,
                        dict.fromkeys(sorted(names), value),
                        authorization,
                        failures,
                        who,
                    )
            # Other path values: with one method that gets past the access check; where this role cannot
            # get in even with a real id, they would reach no further.
            for path in hostile_paths if open_methods else []:
                _send(client, open_methods[0], path, {}, None, failures, who)
            if user is not None and not client.session.get("_auth_user_id"):
                sign_in_with_second_factor(
                    client, user
                )  # a sign-out URL ended the session; the rest runs signed in again
    cache.clear()
    if failures:
        pytest.fail("\n".join(failures), pytrace=False)
