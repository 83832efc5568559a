"""What an app may be called. People decide whether to trust an app by its name on the consent screen, so
a name must show every character it has: no control characters, no bidi overrides that reorder the text,
nothing invisible that makes it render blank or look like another name."""

from __future__ import annotations

import unicodedata

from django.core.exceptions import ValidationError

# Cc control, Cf format (bidi overrides and isolates, zero-width joiners and spaces, soft hyphen),
# Zl/Zp line and paragraph separators, Co private use, Cs surrogates, Cn unassigned.
REFUSED_CATEGORIES = frozenset({"Cc", "Cf", "Zl", "Zp", "Co", "Cs", "Cn"})
# Letters and symbols that render as nothing (Hangul fillers, the blank Braille pattern) and spaces other
# than the plain one, which can pad a name into looking like another or like nothing at all.
INVISIBLE = frozenset("\u115f\u1160\u3164\uffa0\u2800")


def _refused(char: str) -> bool:
    category = unicodedata.category(char)
    return category in REFUSED_CATEGORIES or char in INVISIBLE or (category == "Zs" and char != " ")


def validate_app_name(name: str) -> None:
    bad = sorted({char for char in name if _refused(char)})
    if bad:
        codes = ", ".join(f"U+{ord(char):04X}" for char in bad)
        raise ValidationError(
            "The name contains invisible or control characters (%(codes)s). Use only visible letters, "
            "digits, punctuation and plain spaces.",
            params={"codes": codes},
            code="invisible_characters",
        )
    if name and not name.strip():
        raise ValidationError("The name is blank. Give the app a name people can read.", code="blank")
