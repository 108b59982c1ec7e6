"""The package's layout holds: capabilities named alike in every layer, imports only downwards,
no cycles, small modules, and commands and the app factory that start without the heavy
libraries.

The layering contracts themselves are in pyproject.toml ([tool.importlinter]); `lint-imports`
prints the same verdicts.
"""

from __future__ import annotations

import json
import subprocess
import sys

import grimp
import pytest

from tests.conftest import PROJECT_ROOT

PACKAGE = PROJECT_ROOT / "qa_app"
# Loaded only by the commands and pages that need them (issue 22 names these).
HEAVY = (
    "scipy",
    "pandas",
    "statsmodels",
    "openpyxl",
    "matplotlib",
    "lifelines",
    "linearmodels",
    "svy",
    "differences",
    "pysyncon",
)
# Each capability's domain package; its name is also its module or package in the other layers.
CAPABILITIES = (
    "agreement",
    "calibration",
    "demo",
    "experiments",
    "flags",
    "imports",
    "outreach",
    "panels",
    "recognition",
    "rollouts",
    "rubrics",
    "sampling",
    "surveys",
    "survival",
)
MAX_MODULE_LINES = 420


def test_the_import_contracts_hold():
    # In a process of its own: import-linter configures logging (dictConfig), which would
    # silence the loggers of the app under test in this one.
    code = (
        "import sys; from importlinter.cli import lint_imports; "
        "sys.exit(lint_imports(config_filename='pyproject.toml', no_cache=True, no_logo=True))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], cwd=PROJECT_ROOT, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stdout + done.stderr


def _cycles(graph) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan), imports inside functions
    included: a cycle through a lazy import is still two modules that need each other."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in graph.find_modules_directly_imported_by(module):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for module in sorted(graph.modules):
        if module not in index:
            visit(module)
    return found


def test_no_module_imports_another_that_imports_it_back():
    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10_000))
    assert _cycles(grimp.build_graph("qa_app")) == []


def test_a_cycle_is_found_when_there_is_one():
    graph = grimp.ImportGraph()
    for module in ("a", "a.b", "a.c", "a.d"):
        graph.add_module(module)
    graph.add_import(importer="a.b", imported="a.c")
    graph.add_import(importer="a.c", imported="a.b")
    graph.add_import(importer="a.c", imported="a.d")
    assert _cycles(graph) == [["a.b", "a.c"]]


def test_modules_are_named_by_capability_not_by_prefix():
    prefixed = [
        path.relative_to(PROJECT_ROOT).as_posix()
        for path in PACKAGE.rglob("*.py")
        if path.stem.startswith(("cli_", "charts_"))
        or path.stem.endswith(("_store", "_queries"))
        or (path.parent.name == "domain" and path.stem.split("_")[0] in CAPABILITIES)
    ]
    assert prefixed == []


@pytest.mark.parametrize("capability", CAPABILITIES)
def test_a_capability_is_found_by_its_name_in_every_layer_it_has(capability):
    assert (PACKAGE / "domain" / capability).is_dir()
    elsewhere = [
        layer
        for layer in ("store", "views", "cli", "charts")
        if (PACKAGE / layer / capability).is_dir()
        or (PACKAGE / layer / f"{capability}.py").is_file()
    ]
    assert elsewhere, f"{capability} is only in domain/: nothing reads or runs it"


def test_no_module_is_over_about_400_lines():
    long = {
        path.relative_to(PROJECT_ROOT).as_posix(): lines
        for path in PACKAGE.rglob("*.py")
        if "migrations" not in path.parts
        and (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES
    }
    assert long == {}


HEAVY_LOADED = """
import json, sys
{setup}
print(json.dumps(sorted(name for name in {heavy!r} if name in sys.modules)))
"""


def _heavy_after(setup: str, env: dict | None = None) -> list[str]:
    code = HEAVY_LOADED.format(setup=setup, heavy=HEAVY)
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True
    )
    return json.loads(result.stdout)


def test_the_cli_imports_no_heavy_library():
    assert _heavy_after("import qa_app.cli.main") == []


def test_the_app_factory_imports_no_heavy_library(tmp_path):
    env = {"QA_APP_INSTANCE_PATH": str(tmp_path), "PATH": "", "HOME": str(tmp_path)}
    setup = (
        "from qa_app import create_app\n"
        "app = create_app({'CHECK_SCHEMA': False})\n"
        "assert len(app.blueprints) > 20, app.blueprints"
    )
    assert _heavy_after(setup, env) == []


def test_the_check_sees_a_heavy_library_that_is_loaded():
    # The two checks above would also pass if the list were never read right.
    assert _heavy_after("import pandas") == ["pandas"]
