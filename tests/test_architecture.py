"""The layering holds: the faces (wizard/cli, screens/) reach the engine only through
wizard/session; nothing under wizard/ but the CLI's launcher imports the UI; no import circle.

Checked with import-linter's contracts (pyproject.toml, no exceptions), with grimp's import graph
(no circle between files), and in a fresh interpreter (importing every wizard module but the CLI
loads no Textual).
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Modules that are not the product's code: the rehearsal's sample application.
NOT_OURS = ".rehearsal.workspace"


def contracts() -> list[dict]:
    return tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]


def test_import_linter_contracts_hold_without_exceptions():
    assert not [c["name"] for c in contracts() if c.get("ignore_imports")], "no contract may carry ignore_imports"
    exe = shutil.which("lint-imports") or str(Path(sys.executable).with_name("lint-imports"))
    done = subprocess.run([exe, "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]


def test_the_engine_contract_covers_every_package_but_the_cli():
    """The forbidden contract lists wizard's packages by name: a new one must be added to it."""
    engine = next(c for c in contracts() if c["name"].startswith("The engine and the session layer"))
    children = {f"wizard.{p.stem}" for p in (ROOT / "wizard").iterdir()
                if (p.suffix == ".py" and p.stem != "__init__") or (p / "__init__.py").exists()}
    assert set(engine["source_modules"]) == children - {"wizard.cli"}


def test_no_import_circle_between_files():
    import grimp

    graph = grimp.build_graph("wizard", "screens", exclude_type_checking_imports=True)
    modules = sorted(m for m in graph.modules if NOT_OURS not in m)
    edges = {m: [x for x in graph.find_modules_directly_imported_by(m) if x in graph.modules and NOT_OURS not in x]
             for m in modules}
    circles = strongly_connected(modules, edges)
    assert not circles, "import circles: " + "; ".join(" <-> ".join(c) for c in circles)


def strongly_connected(nodes: list[str], edges: dict[str, list[str]]) -> list[list[str]]:
    """Tarjan's algorithm, iterative: the groups of two or more modules that import each other."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = 0
    for root in nodes:
        if root in index:
            continue
        work = [(root, iter(edges[root]))]
        index[root] = low[root] = counter
        counter += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(edges[child])))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                group = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    group.append(member)
                    if member == node:
                        break
                if len(group) > 1:
                    found.append(sorted(group))
    return found


def test_importing_every_wizard_module_but_the_cli_loads_no_textual():
    code = (
        "import importlib, pkgutil, sys, wizard\n"
        "for m in pkgutil.walk_packages(wizard.__path__, 'wizard.'):\n"
        f"    if {NOT_OURS!r} not in m.name and not m.name.startswith('wizard.cli') and not m.name.endswith('__main__'):\n"
        "        importlib.import_module(m.name)\n"
        "bad = sorted(n for n in sys.modules if n.split('.')[0] in ('textual', 'screens'))\n"
        "print(bad[:5]); sys.exit(1 if bad else 0)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_headless_commands_never_load_the_tui():
    """`status` (like every headless command) runs without importing Textual."""
    code = ("import sys, wizard.cli\n"
            "wizard.cli.main(['status', '--json', '--journal', '/nonexistent/journal.jsonl'])\n"
            "print(sorted(n for n in sys.modules if n.split('.')[0] in ('textual', 'screens'))[:5])\n")
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.stdout.strip().endswith("[]"), done.stdout[-2000:] + done.stderr[-2000:]
