"""Bar charts as data for a server-rendered SVG (templates/usage/_chart.html): no JavaScript, no CDN.

The template draws the bars this computes and, next to the picture, a table with the same numbers: the SVG
is `role="img"` with a title and a one-sentence summary, and the table is what a screen reader (or anyone
who wants the exact figures) reads."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date

WIDTH, HEIGHT = 600, 160
LEFT, BOTTOM, TOP = 40, 20, 8


@dataclass(frozen=True)
class Bar:
    day: date
    value: int
    x: float
    y: float
    width: float
    height: float


@dataclass(frozen=True)
class Tick:
    value: int
    y: float


@dataclass(frozen=True)
class Chart:
    slug: str
    title: str
    summary: str
    bars: list[Bar]
    ticks: list[Tick]
    width: int = WIDTH
    height: int = HEIGHT
    left: int = LEFT
    baseline: float = HEIGHT - BOTTOM

    @property
    def first_day(self) -> date | None:
        return self.bars[0].day if self.bars else None

    @property
    def last_day(self) -> date | None:
        return self.bars[-1].day if self.bars else None


def _nice_ceiling(value: int) -> int:
    """The axis maximum: 1, 2, 4, 6 or 8 times a power of ten, at least `value` (and at least 1)."""
    if value <= 1:
        return 1
    power = 10 ** math.floor(math.log10(value))
    # Even steps only, so the middle grid line is a whole number too.
    for step in (1, 2, 4, 6, 8, 10):
        if step * power >= value:
            return step * power
    return 10 * power


def bar_chart(*, slug: str, title: str, unit: str, series: list[tuple[date, int]]) -> Chart:
    """A chart of daily values; `unit` names what is counted in the summary ("tokens issued")."""
    top = _nice_ceiling(max((value for _day, value in series), default=0))
    plot_height = HEIGHT - BOTTOM - TOP
    slot = (WIDTH - LEFT) / max(len(series), 1)
    bars = []
    for index, (day, value) in enumerate(series):
        height = plot_height * value / top
        bars.append(
            Bar(
                day=day,
                value=value,
                x=round(LEFT + index * slot + slot * 0.1, 2),
                y=round(HEIGHT - BOTTOM - height, 2),
                width=round(max(slot * 0.8, 1), 2),
                height=round(height, 2),
            )
        )
    parts = (0, 1, 2) if top % 2 == 0 else (0, 2)
    ticks = [
        Tick(value=top * part // 2, y=round(HEIGHT - BOTTOM - plot_height * part / 2, 2)) for part in parts
    ]
    total = sum(value for _day, value in series)
    busiest = max(series, key=lambda item: item[1], default=None)
    if busiest is None or total == 0:
        summary = f"No {unit} in these {len(series)} days."
    else:
        summary = (
            f"{total:,} {unit} in {len(series)} days; the busiest day was {busiest[0]:%Y-%m-%d} "
            f"with {busiest[1]:,}."
        )
    return Chart(slug=slug, title=title, summary=summary, bars=bars, ticks=ticks)


def usage_charts(counts) -> list[Chart]:
    """The three charts of the app's usage page and the staff dashboard, from one set of daily counts
    (portal.usage.selectors.DailyCounts)."""
    return [
        bar_chart(slug="tokens", title="Tokens issued", unit="tokens issued", series=counts.tokens),
        bar_chart(
            slug="people",
            title="Active people",
            unit="active people (each counted once a day)",
            series=counts.people,
        ),
        bar_chart(slug="errors", title="Errors", unit="errors", series=counts.errors),
    ]
