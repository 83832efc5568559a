"""Scope arithmetic of the consent screen, without requests or a database."""

from __future__ import annotations

from portal.consent import scopes


def test_missing_lists_only_new_scopes_in_settings_order():
    assert scopes.missing(requested=["read", "email", "openid"], granted=["openid", "read"]) == ["email"]
    assert scopes.missing(requested=["read", "nonsense"], granted=[]) == ["read"]


def test_describe_uses_the_plain_words_from_settings():
    described = scopes.describe(["email", "openid"])
    assert [(scope.name, scope.required) for scope in described] == [("openid", True), ("email", False)]
    assert described[1].description == "See your email address"


def test_openid_cannot_be_unticked_and_earlier_grants_stay():
    granted, remembered = scopes.decide(
        requested=["openid", "read", "email"], ticked=["email"], previous=["read", "groups"], reconsent=False
    )
    assert granted == ["openid", "email", "read"]
    assert remembered == ["openid", "email", "read", "groups"]


def test_reconsent_lets_the_ticks_decide_afresh_but_keeps_unrelated_grants():
    granted, remembered = scopes.decide(
        requested=["openid", "read", "email"], ticked=["email"], previous=["read", "groups"], reconsent=True
    )
    assert granted == ["openid", "email"]
    assert remembered == ["openid", "email", "groups"]


def test_ticking_a_scope_that_was_not_requested_grants_nothing_extra():
    granted, remembered = scopes.decide(
        requested=["read"], ticked=["read", "write"], previous=[], reconsent=False
    )
    assert granted == remembered == ["read"]
