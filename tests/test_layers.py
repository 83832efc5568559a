"""Imports run one way: from the pages people use down to the OAuth client, its audit log and terms, never
back up. Read from the source (ast), so an upward import fails here before it becomes an import cycle that
someone dodges by importing inside a function.

    composition  settings, urls, wsgi, asgi           may import anything
    features     developer, review, consent, device,  may import the layers below and each other
                 pages, api, account_adapter
    domain       clients, audit, terms, teams, usage  may import each other and the base
    base         the other modules directly in portal/ (access, forms, envconfig, ratelimits, ...)
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PORTAL = Path(__file__).resolve().parent.parent / "portal"

COMPOSITION = {"settings", "urls", "wsgi", "asgi"}
FEATURES = {"developer", "review", "consent", "device", "pages", "api", "account_adapter"}
DOMAIN = {"clients", "audit", "terms", "teams", "usage"}
RANK = {"base": 0, "domain": 1, "features": 2, "composition": 3}


def layer_of(module: str) -> str:
    """The layer of a dotted module name under portal (``portal.clients.models`` -> domain)."""
    parts = module.split(".")
    top = parts[1] if len(parts) > 1 else ""
    if top in COMPOSITION:
        return "composition"
    if top in FEATURES:
        return "features"
    if top in DOMAIN:
        return "domain"
    return "base"


def module_name(path: Path) -> str:
    relative = path.relative_to(PORTAL.parent).with_suffix("")
    parts = list(relative.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def portal_imports(path: Path, text: str | None = None) -> list[tuple[int, str, bool]]:
    """(line, imported portal module, whether the import sits inside a function) for each import in the
    module at `path` (or in `text`, read as if it were that module)."""
    tree = ast.parse(path.read_text() if text is None else text, filename=str(path))
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]
    found = []

    def visit(node: ast.AST, in_function: bool) -> None:
        for child in ast.iter_child_nodes(node):
            nested = in_function or isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            if isinstance(child, ast.Import):
                found.extend((child.lineno, alias.name, in_function) for alias in child.names)
            elif isinstance(child, ast.ImportFrom):
                base = child.module or ""
                if child.level:
                    anchor = package.split(".")[: len(package.split(".")) - (child.level - 1)]
                    base = ".".join([*anchor, base] if base else anchor)
                # `from portal import ratelimits` imports the module portal.ratelimits.
                for alias in child.names:
                    target = f"{base}.{alias.name}" if base == "portal" else base
                    found.append((child.lineno, target, in_function))
            visit(child, nested)

    visit(tree, False)
    return [(line, name, inner) for line, name, inner in found if name.split(".")[0] == "portal"]


SOURCES = sorted(PORTAL.rglob("*.py"))


def test_the_walk_sees_the_known_imports():
    # Guards the walker itself: if it stopped finding imports, the rule below would pass vacuously.
    imports = portal_imports(PORTAL / "review" / "admin.py")
    assert (imports[0][1], imports[0][2]) == ("portal.audit.models", False)
    assert layer_of("portal.review.admin") == "features"
    assert layer_of("portal.clients.models") == "domain"
    assert layer_of("portal.ratelimits") == "base"


def test_no_module_imports_from_a_higher_layer():
    upward = []
    for path in SOURCES:
        source = module_name(path)
        for line, target, _inner in portal_imports(path):
            if RANK[layer_of(target)] > RANK[layer_of(source)]:
                upward.append(
                    f"{path.relative_to(PORTAL.parent)}:{line} ({layer_of(source)}) imports {target}"
                )
    assert upward == []


@pytest.mark.parametrize(
    ("relative", "text"),
    [
        ("portal/clients/admin.py", "from portal.review import services\n"),
        ("portal/audit/views.py", "def f():\n    from portal.review.forms import DecisionForm\n"),
        ("portal/access.py", "from portal import clients\n"),
        ("portal/terms/selectors.py", "from ..consent import selectors\n"),
    ],
)
def test_an_upward_import_would_be_caught(relative, text):
    path = PORTAL.parent / relative
    [(_line, target, _inner)] = portal_imports(path, text)
    assert RANK[layer_of(target)] > RANK[layer_of(module_name(path))]


# AppConfig.ready() is where Django says to connect signals, and models cannot be imported before it
# runs: the one place an import inside a function is the rule, not a dodge.
READY_IMPORTS = {("portal/pages/apps.py", "portal.account_adapter")}


def test_no_portal_import_hides_inside_a_function():
    # An import of the portal's own code inside a function is how an upward import (a cycle) hides.
    hidden = [
        f"{path.relative_to(PORTAL.parent)}:{line} imports {target}"
        for path in SOURCES
        for line, target, inner in portal_imports(path)
        if inner and (str(path.relative_to(PORTAL.parent)), target) not in READY_IMPORTS
    ]
    assert hidden == []


def test_tests_share_helpers_only_through_tests_helpers():
    # A test module or a conftest imported by another module runs its fixtures and tests twice over and
    # ties unrelated tests together; what they share lives in tests/helpers/.
    tests = Path(__file__).resolve().parent
    borrowed = []
    for path in sorted(tests.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("tests."):
                last = node.module.rsplit(".", 1)[-1]
                if last == "conftest" or last.startswith("test_"):
                    borrowed.append(f"{path.relative_to(tests.parent)}:{node.lineno} imports {node.module}")
    assert borrowed == []
