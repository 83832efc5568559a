"""End to end through a real SMTP server on loopback (aiosmtpd): the developer's "secret rotated" email
leaves through Django's SMTP backend after the rotation commits, as in production; and when the mail server
is down, sign-up and password reset say the email was not sent instead of failing with a 500."""

from __future__ import annotations

import socket
from datetime import timedelta
from email import message_from_bytes
from email.policy import default as default_policy

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Message
from django.contrib.auth import get_user_model

from portal.account_adapter import MAIL_NOT_SENT
from portal.clients.services import application_rotate_secret

SMTP_PORT = 18601  # this branch's port range (18600-18619)


class _Inbox(Message):
    def __init__(self) -> None:
        super().__init__(message_class=None)
        self.received: list = []

    def prepare_message(self, session, envelope):
        return message_from_bytes(envelope.original_content, policy=default_policy)

    def handle_message(self, message) -> None:
        self.received.append(message)


@pytest.fixture
def smtp_inbox(settings):
    inbox = _Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=SMTP_PORT)
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = SMTP_PORT
    settings.EMAIL_USE_TLS = False
    yield inbox
    controller.stop()


@pytest.mark.django_db(transaction=True)
def test_a_rotation_email_is_delivered_over_smtp(smtp_inbox, alice, make_app):
    app, _secret = make_app(alice, name="Photo Printer")
    new_secret = application_rotate_secret(
        application=app, grace=timedelta(hours=1), actor=alice, request=None
    )
    assert len(smtp_inbox.received) == 1
    message = smtp_inbox.received[0]
    assert message["To"] == "alice@example.com"
    assert message["Subject"] == "[OAuth Developer Portal] A new client secret was issued for Photo Printer"
    body = message.get_content()
    assert f"ending …{new_secret[-4:]}" in body
    assert new_secret not in body  # only the last four characters, never the secret


def _closed_port() -> int:
    """A loopback port nothing listens on: connecting to it is refused, like a mail server that is down."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp_down(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = _closed_port()
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_TIMEOUT = 5


@pytest.mark.django_db
def test_sign_up_while_the_mail_server_is_down_keeps_the_account_and_says_so(client, settings, smtp_down):
    settings.ACCOUNT_EMAIL_VERIFICATION = "mandatory"  # production's setting: sign-up sends mail at once
    response = client.post(
        "/accounts/signup/",
        {
            "username": "dana",
            "email": "dana@example.com",
            "password1": "a-long-and-unusual-passphrase",
            "password2": "a-long-and-unusual-passphrase",
        },
        follow=True,
    )
    assert response.status_code == 200
    shown = [str(message) for message in response.context["messages"]]
    assert MAIL_NOT_SENT in shown
    assert not any("sent" in text.lower() and "not" not in text.lower() for text in shown)
    assert get_user_model().objects.filter(username="dana", email="dana@example.com").exists()


@pytest.mark.django_db
def test_password_reset_while_the_mail_server_is_down_says_so(client, alice, smtp_down):
    response = client.post("/accounts/password/reset/", {"email": "alice@example.com"}, follow=True)
    assert response.status_code == 200
    assert MAIL_NOT_SENT in [str(message) for message in response.context["messages"]]
