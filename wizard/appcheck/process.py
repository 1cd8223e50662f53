"""A long-running child process (a backend server) whose output is kept in a LogBuffer.

The process gets a session (process group) of its own, so stopping it stops everything it
started: SIGTERM to the group, then SIGKILL if it has not exited after the grace period.
Output is read by a thread, so the pipe never fills up whatever the event loop is doing.
"""

from __future__ import annotations

import asyncio
import atexit
import os
import signal
import subprocess
import threading
import time
import weakref
from dataclasses import dataclass, field
from pathlib import Path

from wizard.appcheck.logbuffer import LogBuffer
from wizard.redact import redact

STOP_GRACE_S = 5.0


@dataclass(eq=False)
class ManagedProcess:
    argv: list[str]
    cwd: Path
    env: dict[str, str]
    logs: LogBuffer = field(default_factory=LogBuffer)
    proc: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    stopped_how: str | None = None
    _reader: threading.Thread | None = None

    def start(self) -> "ManagedProcess":
        self.started_at = time.monotonic()
        self.proc = subprocess.Popen(
            self.argv, cwd=self.cwd, env=self.env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, start_new_session=True)
        self._reader = threading.Thread(target=self._read, name=f"output of pid {self.proc.pid}", daemon=True)
        self._reader.start()
        _running.add(self)
        return self

    def _read(self) -> None:
        assert self.proc is not None and self.proc.stdout is not None
        for raw in iter(self.proc.stdout.readline, b""):
            self.logs.append(redact(raw.decode(errors="replace").rstrip("\r\n")))
        self.logs.closed = True

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    @property
    def returncode(self) -> int | None:
        return self.proc.poll() if self.proc else None

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def _signal(self, sig: int) -> None:
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, sig)
        except ProcessLookupError:
            pass

    async def stop(self, grace_s: float = STOP_GRACE_S) -> str:
        """SIGTERM the process group, SIGKILL after `grace_s`; says which it took."""
        if self.proc is None:
            return "not started"
        if self.proc.poll() is not None:
            self.stopped_how = self.stopped_how or f"had exited (code {self.proc.returncode})"
        else:
            self._signal(signal.SIGTERM)
            deadline = time.monotonic() + grace_s
            while self.proc.poll() is None and time.monotonic() < deadline:
                await asyncio.sleep(0.05)
            if self.proc.poll() is None:
                self._signal(signal.SIGKILL)
                while self.proc.poll() is None:
                    await asyncio.sleep(0.02)
                self.stopped_how = "SIGKILL after SIGTERM was ignored for %.0f s" % grace_s
            else:
                self.stopped_how = "SIGTERM"
        self._signal(signal.SIGKILL)  # anything left in the group (workers the server forked)
        if self._reader is not None:
            await asyncio.get_running_loop().run_in_executor(None, self._reader.join, 2.0)
        return self.stopped_how

    def stop_now(self) -> None:
        """Synchronous last resort (interpreter exit): kill the group without waiting."""
        self._signal(signal.SIGKILL)


_running: "weakref.WeakSet[ManagedProcess]" = weakref.WeakSet()


@atexit.register
def _kill_leftovers() -> None:
    """If the wizard exits without its cleanups (a crash), no backend is left listening."""
    for process in list(_running):
        if process.running:
            process.stop_now()
