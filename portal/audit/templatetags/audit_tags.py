"""How an event's `changes` read in a template: {"field": [before, after]} as a before/after row, any
other fact (a reason, a count) as a plain value."""

from __future__ import annotations

from django import template

register = template.Library()


@register.filter
def change_rows(changes) -> list[dict]:
    rows = []
    for key, value in (changes or {}).items():
        pair = isinstance(value, list) and len(value) == 2
        rows.append(
            {
                "field": key.replace("_", " "),
                "pair": pair,
                "before": value[0] if pair else None,
                "after": value[1] if pair else value,
            }
        )
    return rows
