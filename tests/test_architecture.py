"""The import contracts of pyproject.toml ([tool.importlinter], run by `make lint`) break
when code crosses a layer: each case adds one import to a copy of the source tree."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")

LAYERS = "Wiring above interfaces above domain above core"
INTERFACES = "Interfaces never import each other"
PERMISSIONS = "permissions reads models and rules, never services or selectors"


def lint_imports(src: Path) -> subprocess.CompletedProcess:
    # The copy comes first on the path, so grimp reads it instead of the installed package.
    env = {**os.environ, "PYTHONPATH": str(src)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--no-logo", str(ROOT / "pyproject.toml")],
        cwd=src,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def source_copy(tmp_path) -> Path:
    shutil.copytree(
        ROOT / "src" / "dangjian",
        tmp_path / "dangjian",
        ignore=lambda _dir, names: [
            n for n in names if not n.endswith(".py") and not (Path(_dir) / n).is_dir()
        ],
    )
    return tmp_path


def add_import(src: Path, module: str, line: str) -> None:
    path = src / (module.replace(".", "/") + ".py")
    if not path.exists():
        path = src / module.replace(".", "/") / "__init__.py"
        path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as f:
        f.write(f"\n{line}\n")


def test_the_source_tree_keeps_every_import_contract(source_copy):
    result = lint_imports(source_copy)
    assert result.returncode == 0, result.stdout


@pytest.mark.parametrize(
    ("edits", "broken"),
    [
        # An interface imports another interface.
        (
            [("dangjian.api.routers.registry", "from dangjian.console import decorators")],
            {LAYERS, INTERFACES},
        ),
        # A domain app imports an interface (and through it, the interfaces that call the
        # app reach that interface).
        (
            [("dangjian.registry.services", "from dangjian.mobile import views")],
            {LAYERS, INTERFACES},
        ),
        # core imports a domain app.
        ([("dangjian.core.clock", "from dangjian.registry import models")], {LAYERS}),
        # permissions asks a selector, lazily: an import inside a function counts the same.
        (
            [("dangjian.permissions", "def f():\n    from dangjian.themedays import selectors")],
            {PERMISSIONS},
        ),
        # The optional demo-data package, once it exists, is an interface like the others.
        ([("dangjian.demodata", "from dangjian.console import forms")], {LAYERS}),
        (
            [("dangjian.demodata", ""), ("dangjian.registry.seeding", "import dangjian.demodata")],
            {LAYERS},
        ),
    ],
)
def test_lint_imports_fails_when_an_import_crosses_a_layer(source_copy, edits, broken):
    for module, line in edits:
        add_import(source_copy, module, line)
    result = lint_imports(source_copy)
    assert result.returncode != 0
    reported = {c for c in (LAYERS, INTERFACES, PERMISSIONS) if f"{c} BROKEN" in result.stdout}
    assert reported == broken, result.stdout
