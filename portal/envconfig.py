"""Typed readers for environment variables: the only way settings.py reads configuration.

A malformed value is a start-up error naming the variable, never a silent fallback to a default.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def env_str(name: str) -> str:
    return os.environ.get(name, "").strip()


def env_bool(name: str, *, default: bool) -> bool:
    raw = env_str(name).lower()
    if not raw:
        return default
    if raw in _TRUE:
        return True
    if raw in _FALSE:
        return False
    raise ImproperlyConfigured(
        f"{name}={raw!r} is not a boolean; use one of 1/0, true/false, yes/no, on/off."
    )


def env_int(name: str, *, default: int) -> int:
    raw = env_str(name)
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={raw!r} is not a whole number.") from None
    if value < 0:
        raise ImproperlyConfigured(f"{name}={raw!r} must not be negative.")
    return value


def env_list(name: str, *, default: list[str]) -> list[str]:
    """A comma-separated list; empty items are dropped."""
    raw = env_str(name)
    if not raw:
        return list(default)
    return [item.strip() for item in raw.split(",") if item.strip()]


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_RATE = re.compile(r"^(?P<amount>\d+)/(?P<count>\d*)(?P<unit>[smhd])$")


@dataclass(frozen=True)
class Rate:
    amount: int
    period: int  # seconds

    def __str__(self) -> str:
        return f"{self.amount}/{self.period}s"


def parse_rate(name: str, text: str) -> Rate | None:
    """``"120/m"``, ``"10/h"``, ``"5/300s"``, ``"30/5m"``; ``"off"`` disables the limit."""
    text = text.strip().lower()
    if text == "off":
        return None
    match = _RATE.match(text)
    if not match or int(match["amount"]) < 1 or match["count"] == "0":
        raise ImproperlyConfigured(
            f"{name}={text!r} is not a rate: write amount/period, e.g. 120/m, 10/h, 5/300s, or off."
        )
    return Rate(int(match["amount"]), int(match["count"] or 1) * _UNITS[match["unit"]])
