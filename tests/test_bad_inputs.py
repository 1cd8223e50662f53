"""Bad input, as data: every case in tests/bad_inputs/*.toml runs the real CLI in a subprocess and
must end with its exit code, a message holding its fragment, and no traceback.

A case: `argv` (`{tmp}` is the case's own folder), `exit`, `message`, optional `env`, optional
`skip_as_root` (why root cannot play it), and `[[files]]` made first: `path`, `kind` (file | dir |
symlink | journal), `content` or `hex`, `mode`, `target` (symlink), `read_only` (dir: a read-only
bind mount), `tamper` (journal: edited | truncated | emptied | deleted).
"""

from __future__ import annotations

import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from wizard.journal import Journal

CASES = sorted((Path(__file__).parent / "bad_inputs").glob("*.toml"))
TALLY = {"trials": 0, "survived": 0, "tracebacks": 0}


def _journal(path: Path, tamper: str | None) -> None:
    journal = Journal(path)
    for number in range(8):
        journal.append("note", text=f"note {number}")
    lines = path.read_bytes().splitlines(keepends=True)
    if tamper == "edited":
        lines[3] = lines[3].replace(b'"note 3"', b'"note 7"')
    elif tamper == "truncated":
        lines = lines[:-2]
    elif tamper == "emptied":
        lines = []
    if tamper == "deleted":
        path.unlink()
    else:
        path.write_bytes(b"".join(lines))


def _make(spec: dict, tmp: Path, mounts: list[Path]) -> None:
    path = tmp / spec["path"]
    kind = spec.get("kind", "file")
    path.parent.mkdir(parents=True, exist_ok=True)
    if kind == "dir":
        path.mkdir(exist_ok=True)
        if spec.get("read_only"):
            bound = subprocess.run(["mount", "--bind", str(path), str(path)], capture_output=True)
            if bound.returncode or subprocess.run(["mount", "-o", "remount,ro,bind", str(path)], capture_output=True).returncode:
                if not bound.returncode:
                    subprocess.run(["umount", str(path)])
                pytest.skip("a read-only bind mount is not possible here (needs root and mount)")
            mounts.append(path)
    elif kind == "symlink":
        path.symlink_to(spec["target"].replace("{tmp}", str(tmp)))
    elif kind == "journal":
        _journal(path, spec.get("tamper"))
    else:
        path.write_bytes(bytes.fromhex(spec["hex"]) if "hex" in spec else spec.get("content", "").encode())
    if "mode" in spec:
        path.chmod(spec["mode"])


@pytest.mark.parametrize("case", CASES, ids=[c.stem for c in CASES])
def test_bad_input(case: Path, tmp_path: Path):
    spec = tomllib.loads(case.read_text())
    if spec.get("skip_as_root") and os.geteuid() == 0:
        pytest.skip(f"as root: {spec['skip_as_root']}")
    tmp = tmp_path / "case"
    tmp.mkdir()
    mounts: list[Path] = []
    try:
        for item in spec.get("files", []):
            _make(item, tmp, mounts)
        env = {**os.environ, "MIGRATION_WIZARD_DATA": str(tmp_path / "data"), "MIGRATION_WIZARD_CONFIG": str(tmp_path / "config"),
               "NO_COLOR": "1", "COLUMNS": "300"}
        env.update({k: v.replace("{tmp}", str(tmp)) for k, v in spec.get("env", {}).items()})
        argv = [a.replace("{tmp}", str(tmp)) for a in spec["argv"]]
        done = subprocess.run([sys.executable, "-m", "wizard.cli", *argv], env=env, capture_output=True, text=True,
                              timeout=60, stdin=subprocess.DEVNULL)
    finally:
        for mount in mounts:
            subprocess.run(["umount", str(mount)])
    said = done.stdout + done.stderr
    TALLY["trials"] += 1
    TALLY["tracebacks"] += "Traceback" in said
    ok = done.returncode == spec["exit"] and spec["message"] in " ".join(said.split()) and "Traceback" not in said
    TALLY["survived"] += ok
    assert "Traceback" not in said, said
    assert done.returncode == spec["exit"], f"exit {done.returncode}, expected {spec['exit']}:\n{said}"
    assert spec["message"] in " ".join(said.split()), said


def test_summary(capsys):
    with capsys.disabled():
        print(f"\nbad inputs: {TALLY['trials']} trials, {TALLY['survived']} survived, {TALLY['tracebacks']} tracebacks")
