"""Demo users and apps for a local portal, and how to sign in with them.

Safe to run again: users are kept (their passwords reset to the demo ones) and the demo apps are kept with
their tokens, consents and logos; only the two secrets printed here are rotated, because a secret is shown
once and only its hash is stored. Refuses to run with DEBUG off unless --force,
because it creates accounts whose passwords are printed here.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from datetime import timedelta
from urllib.parse import urlencode

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from oauth2_provider.models import get_application_model

from portal.clients import grants
from portal.clients.services import application_create, application_rotate_secret
from portal.terms.selectors import terms_version_current
from portal.terms.services import terms_accept
from portal.usage.services import usage_demo_seed

DEMO_PASSWORD = "portal-demo-2026"  # noqa: S105 - printed on purpose; seed_demo refuses production
TRUSTED_CLIENT_ID = "demo-trusted-app"
PENDING_CLIENT_ID = "demo-pending-app"
CONSENT_CLIENT_ID = "demo-consent-app"
DEMO_REDIRECT_URI = "http://127.0.0.1:8765/callback"

USERS = [
    # username, email, first name, last name, is_staff
    ("staff", "staff@example.com", "Sam", "Staff", True),
    ("alice", "alice@example.com", "Alice", "Developer", False),
    ("erin", "erin@example.com", "Erin", "Enduser", False),
]


class Command(BaseCommand):
    help = "Create demo users and apps for a local portal and print how to sign in."

    def add_arguments(self, parser):
        parser.add_argument("--base-url", default="http://127.0.0.1:8000", help="Where the portal is served.")
        parser.add_argument("--force", action="store_true", help="Run even with DEBUG off.")

    def handle(self, *args, base_url: str, force: bool, **options):
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_demo creates accounts with known passwords; with DEBUG off pass --force."
            )
        with transaction.atomic():
            users = {
                username: self._user(username, email, first, last, staff)
                for username, email, first, last, staff in USERS
            }
            trusted_secret = self._app(
                users["alice"],
                client_id=TRUSTED_CLIENT_ID,
                name="Alice's Demo App (trusted)",
                grant_types=[grants.AUTHORIZATION_CODE, grants.CLIENT_CREDENTIALS],
                review_status="approved",
                trusted=True,
            )
            self._app(
                users["alice"],
                client_id=PENDING_CLIENT_ID,
                name="Alice's Second App (pending review)",
                grant_types=[grants.AUTHORIZATION_CODE],
                review_status="pending",
                trusted=False,
                printed=False,
            )
            consent_secret = self._app(
                users["alice"],
                client_id=CONSENT_CLIENT_ID,
                name="Alice's Photo Printer",
                grant_types=[grants.AUTHORIZATION_CODE],
                review_status="approved",
                trusted=False,
            )
            # A month of made-up usage for the trusted app, so its usage page and the staff dashboard show
            # something (once: kept on later runs).
            usage_demo_seed(application=get_application_model().objects.get(client_id=TRUSTED_CLIENT_ID))
            current_terms = terms_version_current()
            if current_terms is not None:
                terms_accept(user=users["alice"], version=current_terms, request=None)
        self._print_instructions(base_url.rstrip("/"), trusted_secret, consent_secret)

    def _user(self, username, email, first_name, last_name, is_staff):
        user, _created = get_user_model().objects.get_or_create(username=username)
        user.email, user.first_name, user.last_name = email, first_name, last_name
        user.is_staff = user.is_superuser = is_staff
        user.set_password(DEMO_PASSWORD)
        user.save()
        EmailAddress.objects.update_or_create(
            user=user, email=email, defaults={"verified": True, "primary": True}
        )
        return user

    def _app(
        self, owner, *, client_id, name, grant_types, review_status, trusted, printed=True
    ) -> str | None:
        existing = get_application_model().objects.filter(client_id=client_id).first()
        if existing is not None and not printed:
            return None  # kept as it is, secret included: nobody is shown it
        if existing is not None:
            # Kept as it is (tokens, consents, logo, edits); a new secret so the printed one is the live one.
            return application_rotate_secret(
                application=existing, grace=timedelta(0), actor=None, request=None
            )
        _app, secret = application_create(
            owner=owner,
            client_id=client_id,
            name=name,
            description="Created by seed_demo for trying the portal out.",
            homepage_url="https://example.com/",
            client_type="confidential",
            grant_types=grant_types,
            redirect_uris=[DEMO_REDIRECT_URI],
            review_status=review_status,
            skip_authorization=trusted,
        )
        return secret

    def _print_instructions(self, base_url: str, secret: str, consent_secret: str) -> None:
        verifier = secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        query = urlencode(
            {
                "response_type": "code",
                "client_id": TRUSTED_CLIENT_ID,
                "redirect_uri": DEMO_REDIRECT_URI,
                "scope": "openid profile email read",
                "state": "demo",
                "code_challenge": challenge,
                "code_challenge_method": "S256",
            }
        )
        out = self.stdout.write
        out(self.style.SUCCESS("Demo data is ready."))
        out(f"\nSign in at {base_url}/accounts/login/ with any of these (password: {DEMO_PASSWORD}):")
        out("  staff  staff member and superuser (reviews apps, /admin/; needs a second factor)")
        out("  alice  developer: a trusted app, an approved app that asks for consent, one pending review")
        out("  erin   end user who signs in to apps")
        out(f"\nTrusted demo app: client_id={TRUSTED_CLIENT_ID}")
        out(f"  client_secret={secret}")
        out("  (shown once; run seed_demo again for a new one: the apps and their tokens are kept)")
        out("\nTry the authorization code flow with PKCE (sign in first, e.g. as erin):")
        out(f"  {base_url}/o/authorize/?{query}")
        out(f"  code_verifier={verifier}")
        out(f"For the consent screen, use client_id={CONSENT_CLIENT_ID} in the same URL;")
        out(f"  its client_secret={consent_secret}")
        out("Your browser is sent to the redirect URI with ?code=...; exchange it within a minute:")
        out(
            f"  curl -u {TRUSTED_CLIENT_ID}:<client_secret> -d grant_type=authorization_code -d code=<code> "
            f"-d redirect_uri={DEMO_REDIRECT_URI} -d code_verifier={verifier} {base_url}/o/token/"
        )
