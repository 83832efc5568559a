"""Run by the two-instance test and the benchmark inside the cluster's environment (its database):
creates alice (developer, terms accepted) and her approved, trusted apps; prints them as JSON."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")

import django  # noqa: E402

django.setup()

from allauth.account.models import EmailAddress  # noqa: E402
from django.contrib.auth import get_user_model  # noqa: E402

from portal.clients import grants  # noqa: E402
from portal.clients.services import application_create  # noqa: E402
from portal.terms.models import TermsVersion  # noqa: E402
from portal.terms.selectors import terms_current  # noqa: E402
from portal.terms.services import terms_accept  # noqa: E402

PASSWORD = sys.argv[1]
CALLBACK = "http://127.0.0.1:8765/callback"

alice = get_user_model().objects.create_user(username="alice", email="alice@example.com", password=PASSWORD)
# Production settings make email verification mandatory: alice confirmed hers long ago.
EmailAddress.objects.create(user=alice, email=alice.email, primary=True, verified=True)
terms = terms_current() or TermsVersion.objects.create(version="1", body="Be nice to people's data.")
terms_accept(user=alice, version=terms, request=None)
apps = {}
for key, grant_types in {
    "web": [grants.AUTHORIZATION_CODE],
    "consent": [grants.AUTHORIZATION_CODE],  # not trusted: /o/authorize/ shows the consent page
    "machine": [grants.CLIENT_CREDENTIALS],
    "limited": [grants.CLIENT_CREDENTIALS],
}.items():
    app, secret = application_create(
        owner=alice,
        name=f"Alice's {key} app",
        client_type="confidential",
        grant_types=grant_types,
        redirect_uris=[CALLBACK] if grants.AUTHORIZATION_CODE in grant_types else [],
        review_status="approved",
        skip_authorization=key != "consent",
    )
    apps[key] = {"pk": app.pk, "client_id": app.client_id, "secret": secret}
print(json.dumps({"user_id": alice.pk, "apps": apps, "callback": CALLBACK}))
