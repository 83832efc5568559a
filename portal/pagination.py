"""Keyset ("seek") pagination for long, newest-first lists: the token page and the audit log.

A page is "the next N rows before (or after) this row", found through the index the list is ordered by,
so the last page of a million rows costs what the first does; OFFSET pagination reads and throws away
every row before the page. The price: no "page 7 of 40 000", only newest, newer, older and oldest.

The cursor in the URL is the sort key of a page's edge row (`?older=…`, `?newer=…`; `?oldest=1` for the
last page). A cursor that does not parse (edited by hand, NUL bytes, huge numbers) gives the first page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import QueryDict

SEPARATOR = "~"
BIGINT_MAX = 2**63 - 1


@dataclass(frozen=True)
class KeysetPage:
    object_list: list
    newer: str | None  # cursor of the page before (newer rows), or None on the newest page
    older: str | None  # cursor of the page after (older rows), or None on the oldest page
    query: str = ""  # the other parameters (filters) that page links keep
    cursor: str = ""  # how this page was asked for (`older=…`, `newer=…`, `oldest=1`), to come back to it

    @property
    def has_other_pages(self) -> bool:
        return bool(self.newer or self.older)


def _encode(row, fields: tuple[str, ...]) -> str:
    values = []
    for name in fields:
        value = getattr(row, name)
        values.append(value.isoformat() if isinstance(value, datetime) else str(value))
    return SEPARATOR.join(values)


def _decode(queryset: QuerySet, fields: tuple[str, ...], raw: str | None) -> list | None:
    if not raw:
        return None
    parts = raw.split(SEPARATOR)
    if len(parts) != len(fields):
        return None
    values = []
    for name, part in zip(fields, parts, strict=True):
        try:
            value = queryset.model._meta.get_field(name).to_python(part)
        except (ValidationError, ValueError, OverflowError):
            return None
        if value is None or (isinstance(value, int) and abs(value) > BIGINT_MAX):
            return None
        values.append(value)
    return values


def _beyond(fields: tuple[str, ...], values: list, lookup: str) -> Q:
    """Rows strictly past `values` in the (a, b, ...) order: a < x, or a = x and b < y, and so on."""
    condition, equal = Q(), {}
    for name, value in zip(fields, values, strict=True):
        condition |= Q(**equal, **{f"{name}__{lookup}": value})
        equal[name] = value
    return condition


def keyset_page(
    queryset: QuerySet, params: QueryDict, *, per_page: int, fields: tuple[str, ...]
) -> KeysetPage:
    """One page of `queryset`, newest first by `fields` (descending; the last field unique, e.g. id)."""
    newest_first = [f"-{name}" for name in fields]
    oldest_first = list(fields)
    older = _decode(queryset, fields, params.get("older"))
    newer = _decode(queryset, fields, params.get("newer")) if older is None else None
    if older is not None:
        rows = list(queryset.filter(_beyond(fields, older, "lt")).order_by(*newest_first)[: per_page + 1])
        more_older, more_newer = len(rows) > per_page, True
        rows = rows[:per_page]
    elif newer is not None or params.get("oldest"):
        base = queryset.filter(_beyond(fields, newer, "gt")) if newer is not None else queryset
        rows = list(base.order_by(*oldest_first)[: per_page + 1])
        more_newer, more_older = len(rows) > per_page, newer is not None
        rows = list(reversed(rows[:per_page]))
    else:
        rows = list(queryset.order_by(*newest_first)[: per_page + 1])
        more_older, more_newer = len(rows) > per_page, False
        rows = rows[:per_page]
    query = params.copy()
    for name in ("older", "newer", "oldest", "page"):
        query.pop(name, None)
    cursor = QueryDict(mutable=True)
    if older is not None:
        cursor["older"] = params["older"]
    elif newer is not None:
        cursor["newer"] = params["newer"]
    elif params.get("oldest"):
        cursor["oldest"] = "1"
    return KeysetPage(
        object_list=rows,
        newer=_encode(rows[0], fields) if rows and more_newer else None,
        older=_encode(rows[-1], fields) if rows and more_older else None,
        query=query.urlencode(),
        cursor=cursor.urlencode(),
    )
