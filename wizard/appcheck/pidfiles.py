"""Pid files for the services a day starts, so a backend left by a killed wizard is found and stopped.

A wizard killed with SIGKILL runs no cleanup: its backend keeps listening, connected to the
database. Each service step writes `<data>/run/<env>/<service>.json` (process group, argv, port,
the process's kernel start time, the wizard's pid) and removes it when it stops the service. The
next run finds a pid file whose wizard is gone and stops that process group, but only when
/proc says the pid is still that very process (same argv and start time): a pid reused by
something else is never signalled.
"""

from __future__ import annotations

import json
import os
import signal
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from wizard import paths

STOP_GRACE_S = 5.0


def run_dir(env_name: str) -> Path:
    return paths.data_dir() / "run" / env_name


def pid_file(env_name: str, service: str) -> Path:
    return run_dir(env_name) / f"{service}.json"


def _proc_start_ticks(pid: int) -> int | None:
    """The process's start time since boot (field 22 of /proc/PID/stat), None when it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return int(stat[stat.rindex(")") + 2:].split()[19])  # fields after "(comm)" start at field 3


def _proc_argv(pid: int) -> list[str] | None:
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return None
    return raw.decode(errors="replace").split("\0")[:-1]


def _alive(pid: int) -> bool:
    """Running and not a zombie (a zombie holds no port or connection)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return state[state.rindex(")") + 2:][:1] != "Z"


def record(env_name: str, service: str, pid: int, argv: list[str], port: int) -> Path:
    """Written right after the service starts (atomically: a kill mid-write leaves no half file)."""
    target = pid_file(env_name, service)
    target.parent.mkdir(parents=True, exist_ok=True)
    body = {"pid": pid, "pgid": os.getpgid(pid), "argv": argv, "port": port, "started_at": time.time(),
            "start_ticks": _proc_start_ticks(pid), "wizard_pid": os.getpid(), "wizard_start_ticks": _proc_start_ticks(os.getpid())}
    tmp = target.with_name(f".{target.name}.tmp{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # argv may hold what the runbook put there
    with os.fdopen(fd, "w") as fh:
        fh.write(json.dumps(body))
    os.replace(tmp, target)
    return target


def forget(env_name: str, service: str, pid: int | None) -> None:
    """Removed when this wizard stops the service (only its own record)."""
    target = pid_file(env_name, service)
    try:
        if pid is None or json.loads(target.read_text()).get("pid") == pid:
            target.unlink()
    except (OSError, ValueError):
        pass


@dataclass
class Leftover:
    service: str
    pid: int
    port: Any
    how: str  # "SIGTERM", "SIGKILL after …", "had exited", "pid reused by another program: not signalled"

    def describe(self) -> str:
        return f"the {self.service} service (pid {self.pid}, port {self.port}) left by a killed run: {self.how}"


def _same_process(pid: int, argv: list[str], start_ticks: int | None) -> bool:
    return _alive(pid) and _proc_argv(pid) == argv and (start_ticks is None or _proc_start_ticks(pid) == start_ticks)


def stop_leftovers(env_name: str) -> list[Leftover]:
    """Stop every service of this environment whose wizard is gone; remove their pid files."""
    found: list[Leftover] = []
    folder = run_dir(env_name)
    for target in sorted(folder.glob("*.json")) if folder.is_dir() else []:
        try:
            body = json.loads(target.read_text())
            pid, pgid, argv = int(body["pid"]), int(body["pgid"]), list(body["argv"])
        except (OSError, ValueError, KeyError, TypeError):
            target.unlink(missing_ok=True)  # unreadable: nothing in it can be trusted to signal
            continue
        owner = body.get("wizard_pid")
        if isinstance(owner, int) and _alive(owner) and _proc_start_ticks(owner) == body.get("wizard_start_ticks"):
            continue  # its wizard still runs (another session on this environment): its service
        if not _same_process(pid, argv, body.get("start_ticks")):
            how = "had exited" if not _alive(pid) else "pid reused by another program: not signalled"
        else:
            how = _stop_group(pid, pgid)
        target.unlink(missing_ok=True)
        found.append(Leftover(target.stem, pid, body.get("port"), how))
    return found


def _stop_group(pid: int, pgid: int) -> str:
    """SIGTERM to the group, SIGKILL after the grace period; then SIGKILL to anything left in it."""
    def signal_group(sig: int) -> None:
        try:
            os.killpg(pgid, sig)
        except ProcessLookupError:
            pass

    signal_group(signal.SIGTERM)
    deadline = time.monotonic() + STOP_GRACE_S
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    how = "stopped (SIGTERM)"
    if _alive(pid):
        how = f"stopped (SIGKILL after SIGTERM was ignored for {STOP_GRACE_S:.0f} s)"
    signal_group(signal.SIGKILL)
    while _alive(pid) and time.monotonic() < deadline + 2:
        time.sleep(0.02)
    return how
