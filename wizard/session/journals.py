"""Which journal a session writes, its one-writer lock, and opening it for appending."""

from __future__ import annotations

import fcntl
import hashlib
import os
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from wizard import paths
from wizard.environments import Environment
from wizard.errors import WizardError
from wizard.journal import Journal
from wizard.session.integrity import check_journal


def journal_path(explicit: Path | None, env: Environment | None = None) -> Path:
    """An explicit path, else the rehearsal journal for sandboxes and the week's journal for real ones."""
    if explicit:
        return Path(explicit).expanduser()
    if env is None or env.kind == "sandbox":
        return paths.journals_dir() / "rehearsal.jsonl"
    return paths.default_journal()


@contextmanager
def writer_lock(path: Path) -> Iterator[None]:
    """One writer per journal: a second wizard on the same file would interleave its events.

    The lock is keyed on the journal's real path, so a symlink to the journal takes the same lock.
    """
    real = Path(os.path.realpath(path))
    lock_path = real.with_name(real.name + ".lock")
    paths.make_dir(lock_path.parent, "The journal's folder",
                   "Choose a journal in a folder you can write to (--journal PATH).")
    try:
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

    check_journal(path)  # before anything is appended, or a torn last line set aside
    try:
        journal = Journal(path)
    except OSError as exc:
        raise WizardError(f"Cannot write the journal {path}: {exc.strerror or exc}.",
                          "Choose a journal in a folder you can write to (--journal PATH).") from None
    if not journal.events:
        journal.append("run_started", runbook_path=str(Path(runbook_path).resolve()), runbook_title=title,
                       runbook_sha256=hashlib.sha256(Path(runbook_path).read_bytes()).hexdigest())
    repaired = getattr(journal, "torn_repaired", None)
    if repaired:
        journal.append("journal_repaired", note="a torn last line from an earlier crash was set aside", **repaired)
    journal.append("session_started", app_version=__version__, pid=os.getpid(), argv=sys.argv[1:])
    return journal
