"""The layering holds: `wizard/` (the engine) never imports Textual; `screens/` imports wizard.

Checked three ways: import-linter's contract from pyproject.toml (`lint-imports`), a scan of
every import statement under wizard/ with ast, and a fresh interpreter importing every wizard
module and finding no Textual in sys.modules.
"""

from __future__ import annotations

import ast
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAUNCHER = "wizard/commands.py"  # the CLI opening the TUI (screens.app, screens.review): lazily, inside a function


def imports_of(path: Path) -> list[tuple[str, bool]]:
    """(module, at_module_level) for every import in a file."""
    tree = ast.parse(path.read_text(), str(path))
    top = {id(node) for node in tree.body}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [(alias.name, id(node) in top) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.module, id(node) in top))
    return found


def test_wizard_never_imports_textual_ast_scan():
    offenders = []
    for path in sorted((ROOT / "wizard").rglob("*.py")):
        rel = path.relative_to(ROOT).as_posix()
        if "/rehearsal/workspace/" in rel:
            continue  # the rehearsal's sample application, not the engine
        for module, top_level in imports_of(path):
            root = module.split(".")[0]
            if root == "textual":
                offenders.append(f"{rel}: imports {module}")
            elif root == "screens" and (top_level or rel != LAUNCHER):
                offenders.append(f"{rel}: imports {module}" + (" at module level" if top_level else ""))
    assert not offenders, "wizard/ must not import Textual or the UI:\n" + "\n".join(offenders)


def test_importing_every_wizard_module_loads_no_textual():
    code = (
        "import importlib, pkgutil, sys, wizard\n"
        "for m in pkgutil.walk_packages(wizard.__path__, 'wizard.'):\n"
        "    importlib.import_module(m.name)\n"
        "bad = sorted(n for n in sys.modules if n.split('.')[0] in ('textual', 'screens'))\n"
        "print(bad[:5]); sys.exit(1 if bad else 0)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr


def test_import_linter_contract():
    exe = shutil.which("lint-imports") or str(Path(sys.executable).with_name("lint-imports"))
    done = subprocess.run([exe, "--no-cache"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, (
        "import-linter contract broken (pyproject.toml [tool.importlinter]). If the only paths are the CLI's lazy "
        "launchers in wizard.commands, the contract needs "
        "ignore_imports = [\"wizard.commands -> screens.app\", \"wizard.commands -> screens.review\"].\n" + done.stdout[-3000:] + done.stderr[-2000:])
