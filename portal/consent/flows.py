"""What the authorization endpoint does with a valid request from a signed-in person, decided without a
request or the database (allauth's `flows/` is the model), so each rule is a line here and a unit test.

The view gathers the facts (the prompts, max_age, when the person last proved who they are, whether staff
trusted the app, what the person granted before) and carries out the decision: issue a code, show the
consent screen, send the person to re-enter their password, or answer the client with an error.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field

from portal.consent import scopes as consent_scopes

# max_age is a number of seconds (OpenID Connect Core 1.0, 3.1.2.1). Anything beyond ten years cannot be a
# real requirement; refusing it keeps the arithmetic (and every database holding it) in range.
MAX_AGE_LIMIT = 10 * 365 * 24 * 3600


class Outcome(enum.Enum):
    ISSUE = "issue"  # issue the code without a screen
    ASK = "ask"  # show the consent screen
    REAUTHENTICATE = "reauthenticate"  # ask for the password again, keeping the session
    LOGIN_REQUIRED = "login_required"  # prompt=none, but the person must sign in again
    CONSENT_REQUIRED = "consent_required"  # prompt=none, but the person must be asked
    INVALID_REQUEST = "invalid_request"  # a parameter the portal cannot honour


@dataclass(frozen=True)
class Decision:
    outcome: Outcome
    # ISSUE: the consent record to keep (None: leave it as it is).
    remember: list[str] | None = None
    # ASK: every requested scope is asked afresh (prompt=consent), not only what is new.
    reconsent: bool = False
    # INVALID_REQUEST: what the client's developer is told.
    description: str = ""
    previous: list[str] = field(default_factory=list)


class InvalidMaxAge(ValueError):
    pass


def parse_prompt(raw: str | None) -> set[str]:
    # A space-delimited, case-sensitive list (OpenID Connect Core 1.0, 3.1.2.1).
    return set((raw or "").split())


def parse_max_age(raw: str | None) -> int | None:
    """max_age as a whole number of seconds, None when absent; InvalidMaxAge for anything else."""
    if raw is None:
        return None
    # isdecimal, not int(): int() also takes "+5", " 5", "5_000" and non-ASCII digits.
    if not (raw.isascii() and raw.isdecimal()) or len(raw) > 10 or int(raw) > MAX_AGE_LIMIT:
        raise InvalidMaxAge(
            f"max_age must be a whole number of seconds between 0 and {MAX_AGE_LIMIT}, not {raw[:20]!r}."
        )
    return int(raw)


def authentication_too_old(*, max_age: int | None, authenticated_at: float | None, now: float) -> bool:
    if max_age is None:
        return False
    return authenticated_at is None or now - authenticated_at > max_age


def authorization_decision(
    *,
    prompt: set[str],
    max_age_raw: str | None,
    authenticated_at: float | None,
    now: float,
    trusted: bool,
    requested: Iterable[str],
    previous: Iterable[str],
) -> Decision:
    """Decide what happens to a valid authorization request from a signed-in person.

    - `prompt=login`, or a sign-in older than `max_age`, asks for the password again (never signs the
      person out: a cross-site link must not be able to end a session), or `login_required` with
      `prompt=none`.
    - `prompt=consent` always shows the screen, for trusted apps too (OpenID Connect Core: the server
      MUST prompt), with every requested scope asked afresh.
    - A trusted app (staff set `skip_authorization`) is never asked about otherwise; its consent is still
      remembered, so it appears under connected apps and can be taken back.
    - Otherwise the remembered consent decides: nothing new asked for, no screen; something new, the
      screen shows only what is new; with `prompt=none`, `consent_required`.
    """
    requested = consent_scopes.ordered(requested)
    previous = list(previous)
    try:
        max_age = parse_max_age(max_age_raw)
    except InvalidMaxAge as error:
        return Decision(Outcome.INVALID_REQUEST, description=str(error))

    if "login" in prompt or authentication_too_old(
        max_age=max_age, authenticated_at=authenticated_at, now=now
    ):
        return Decision(Outcome.LOGIN_REQUIRED if "none" in prompt else Outcome.REAUTHENTICATE)

    if "consent" in prompt:
        # oauthlib already refuses `none` together with another prompt.
        return Decision(Outcome.ASK, reconsent=True, previous=previous)
    if trusted:
        _granted, remembered = consent_scopes.decide(
            requested=requested, ticked=requested, previous=previous, reconsent=False
        )
        return Decision(Outcome.ISSUE, remember=remembered, previous=previous)
    if not consent_scopes.missing(requested=requested, granted=previous):
        return Decision(Outcome.ISSUE, remember=None, previous=previous)
    if "none" in prompt:
        return Decision(Outcome.CONSENT_REQUIRED, previous=previous)
    return Decision(Outcome.ASK, reconsent=False, previous=previous)
