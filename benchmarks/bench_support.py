"""What the benchmarks share."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def precompile() -> None:
    """Byte-compile the project's sources, as installing the package does (pip compiles a wheel's
    modules; a run writes them otherwise): with PYTHONDONTWRITEBYTECODE set, every fresh process
    would compile wizard/ and screens/ from source, a cost the installed wizard does not pay and
    the bare app (Textual's installed modules) does not either."""
    import compileall

    for folder in ("wizard", "screens"):
        compileall.compile_dir(str(ROOT / folder), quiet=1)
    print("wizard/ and screens/ byte-compiled (as installed) before measuring", flush=True)
