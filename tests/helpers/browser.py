"""The browser tests' shared pieces."""

from __future__ import annotations

from pathlib import Path

# axe-core, vendored (no network in CI): every page is checked with it.
AXE = Path(__file__).resolve().parent.parent / "browser" / "vendor" / "axe-core-4.14.1" / "axe.min.js"
