"""The README is how a newcomer configures the portal: every variable settings.py reads is listed there."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_every_environment_variable_is_documented():
    settings_source = (ROOT / "portal" / "settings.py").read_text()
    names = set(
        re.findall(
            r'(?:env_str|env_bool|env_int|env_list|_required_in_production)\(\s*"([A-Z0-9_]+)"',
            settings_source,
        )
    )
    assert {"SECRET_KEY", "DATABASE_URL", "ACCESS_TOKEN_EXPIRE_SECONDS", "AWS_S3_REGION_NAME"} <= names
    readme = (ROOT / "README.md").read_text()
    undocumented = sorted(name for name in names if f"`{name}`" not in readme)
    assert undocumented == []


def test_the_readme_names_the_two_commands_ci_runs():
    readme = (ROOT / "README.md").read_text()
    assert "make run" in readme and "make test" in readme
    assert "make test" in (ROOT / ".ci" / "run").read_text()
