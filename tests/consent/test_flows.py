"""The consent decision as a pure function (portal.consent.flows): each rule, no request, no database."""

from __future__ import annotations

import pytest

from portal.consent.flows import MAX_AGE_LIMIT, InvalidMaxAge, Outcome, authorization_decision, parse_max_age

NOW = 1_000_000.0


def decide(**overrides):
    facts = {
        "prompt": set(),
        "max_age_raw": None,
        "authenticated_at": NOW - 60,
        "now": NOW,
        "trusted": False,
        "requested": ["openid", "read"],
        "previous": [],
    }
    facts.update(overrides)
    return authorization_decision(**facts)


def test_nothing_granted_yet_asks():
    decision = decide()
    assert decision.outcome is Outcome.ASK and decision.reconsent is False


def test_everything_granted_issues_without_touching_the_record():
    decision = decide(previous=["openid", "read"])
    assert decision.outcome is Outcome.ISSUE and decision.remember is None


def test_a_trusted_app_issues_and_remembers():
    decision = decide(trusted=True, previous=["email"])
    assert decision.outcome is Outcome.ISSUE and decision.remember == ["openid", "email", "read"]


@pytest.mark.parametrize("trusted", [True, False])
def test_prompt_consent_always_asks_afresh(trusted):
    decision = decide(prompt={"consent"}, trusted=trusted, previous=["openid", "read"])
    assert decision.outcome is Outcome.ASK and decision.reconsent is True


def test_prompt_none_with_something_new_is_consent_required():
    assert decide(prompt={"none"}).outcome is Outcome.CONSENT_REQUIRED


@pytest.mark.parametrize(
    ("prompt", "max_age", "outcome"),
    [
        ({"login"}, None, Outcome.REAUTHENTICATE),
        (set(), "0", Outcome.REAUTHENTICATE),
        (set(), "59", Outcome.REAUTHENTICATE),
        (set(), "60", Outcome.ASK),
        ({"none"}, "0", Outcome.LOGIN_REQUIRED),
    ],
)
def test_reauthentication(prompt, max_age, outcome):
    assert decide(prompt=prompt, max_age_raw=max_age).outcome is outcome


def test_no_record_of_a_sign_in_with_max_age_reauthenticates():
    assert decide(max_age_raw="3600", authenticated_at=None).outcome is Outcome.REAUTHENTICATE


@pytest.mark.parametrize(
    "raw", ["-1", "", " 5", "+5", "5_0", "1.5", "abc", "\u0663", "5\x00", str(MAX_AGE_LIMIT + 1), "9" * 400]
)
def test_invalid_max_age(raw):
    with pytest.raises(InvalidMaxAge):
        parse_max_age(raw)
    decision = decide(max_age_raw=raw, prompt={"login"})
    assert decision.outcome is Outcome.INVALID_REQUEST and "max_age" in decision.description


def test_valid_max_age():
    assert parse_max_age("0") == 0 and parse_max_age(str(MAX_AGE_LIMIT)) == MAX_AGE_LIMIT
    assert parse_max_age(None) is None
