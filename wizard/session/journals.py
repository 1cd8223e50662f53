"""Which journal a session writes, its one-writer lock, and opening it for appending."""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from wizard import paths
from wizard.environments import Environment
from wizard.errors import WizardError
from wizard.journal import Journal
from wizard.runbook import default_runbook_path, load_runbook
from wizard.runbook.model import Runbook


def journal_path(explicit: Path | None, env: Environment | None = None, runbook: str | Path | None = None) -> Path:
    """An explicit path, else one journal per runbook: `<stem>-rehearsal.jsonl` for sandboxes and
    `<stem>.jsonl` for real environments. The shipped Week 1 keeps its original names
    (`rehearsal.jsonl`, `week1.jsonl`) so existing journals stay where their users left them."""
    if explicit:
        return Path(explicit).expanduser()
    return default_journal_for(runbook, sandbox=env is None or env.kind == "sandbox")


def default_journal_for(runbook: str | Path | None, *, sandbox: bool) -> Path:
    if runbook is None or Path(runbook).resolve() == default_runbook_path():
        return paths.journals_dir() / "rehearsal.jsonl" if sandbox else paths.default_journal()
    stem = Path(runbook).stem
    return paths.journals_dir() / (f"{stem}-rehearsal.jsonl" if sandbox else f"{stem}.jsonl")


def recorded_runbook_of(path: Path) -> dict[str, Any]:
    """The runbook a journal's first event names ({} for a new or headless journal). Reads one line."""
    try:
        with Path(path).open("rb") as fh:
            first = json.loads(fh.readline() or b"{}")
    except (OSError, ValueError):
        return {}
    if not isinstance(first, dict) or first.get("type") != "run_started":
        return {}
    return {k: first.get(k) for k in ("runbook_path", "runbook_sha256", "runbook_title")}


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def bind_runbook(journal: Path, requested: str | Path | None) -> tuple[Runbook, str]:
    """The runbook a session on this journal runs, and a note when its file moved or changed.

    A journal belongs to the runbook its first event names: without --runbook that one is loaded
    (not the shipped Week 1); a different runbook is refused, since its steps would be judged
    against another runbook's results."""
    recorded = recorded_runbook_of(journal)
    if not recorded.get("runbook_path"):
        return load_runbook(requested), ""
    was = Path(recorded["runbook_path"])
    sha = recorded.get("runbook_sha256") or ""
    if requested is None and not was.is_file() and was.name == default_runbook_path().name:
        # The shipped runbook of an earlier install (another venv): this version's copy stands in.
        chosen = default_runbook_path()
    elif requested is None:
        if not was.is_file():
            raise WizardError(f"The journal {journal} belongs to the runbook {was} ({recorded.get('runbook_title')}), "
                              "which is no longer there.",
                              "If the file moved, name it with --runbook PATH; the journal accepts it when its "
                              "content (SHA-256) is the same.")
        chosen = was
    else:
        chosen = Path(requested).expanduser().resolve()
        if not chosen.is_file():
            return load_runbook(chosen), ""  # the loader's "not found" message
        moved = not was.is_file() and chosen.name == was.name  # moved, maybe edited too: the note says so
        if chosen != was and _sha256(chosen) != sha and not moved:
            raise WizardError(f"The journal {journal} belongs to the runbook {was} ({recorded.get('runbook_title')}), "
                              f"not {chosen}. Nothing was run.",
                              f"Run {chosen.name} with a journal of its own (omit --journal, or --journal NEW.jsonl), "
                              f"or run it with --runbook {was}.")
    book = load_runbook(chosen)
    now = _sha256(chosen)
    notes = []
    if chosen != was:
        notes.append(f"the runbook moved: the journal names {was}, this is {chosen} (same content)"
                     if now == sha else f"the runbook moved to {chosen}")
    if now != sha:
        notes.append(f"the runbook {chosen.name} changed since this journal began (sha256 {now[:12]} now, "
                     f"{sha[:12]} then)")
    return book, "; ".join(notes)


@contextmanager
def writer_lock(path: Path) -> Iterator[None]:
    """One writer per journal: a second wizard on the same file would interleave its events.

    The lock is keyed on the journal's real path, so a symlink to the journal takes the same lock.
    """
    real = Path(os.path.realpath(path))
    lock_path = real.with_name(real.name + ".lock")
    try:
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        fh = lock_path.open("a+")
    except OSError as exc:
        raise WizardError(f"Cannot write beside the journal {path}: {exc.strerror or exc}.",
                          "Choose a journal in a folder you can write to (--journal PATH), or fix the folder's permissions.") from None
    with fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise WizardError(f"Another migration-wizard is writing {path}.",
                              "Finish or quit that session first; two writers would interleave the journal.") from None
        yield


def open_journal(path: Path, runbook_path: str, title: str) -> Journal:
    """Open a journal for appending: its first event names the runbook; every session is recorded."""
    from wizard import __version__

    try:
        journal = Journal(path)
    except PermissionError:
        raise WizardError(f"Cannot write the journal {path} (permission denied).",
                          "Choose a journal in a folder you can write to (--journal PATH).") from None
    if not journal.events:  # the absolute, resolved path: any working directory finds it again
        journal.append("run_started", runbook_path=str(Path(runbook_path).expanduser().resolve()), runbook_title=title,
                       runbook_sha256=hashlib.sha256(Path(runbook_path).read_bytes()).hexdigest())
    repaired = getattr(journal, "torn_repaired", None)
    if repaired:
        journal.append("journal_repaired", note="a torn last line from an earlier crash was set aside", **repaired)
    if journal.head_problem is not None:  # cut short or rewritten since the last session: keep the evidence
        journal.append("journal_problem_found", kind=journal.head_problem.kind, note=journal.head_problem.what)
    journal.append("session_started", app_version=__version__, pid=os.getpid(), argv=sys.argv[1:])
    return journal
