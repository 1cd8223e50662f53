"""The rehearsal's Redis: fakeredis's TcpFakeServer, a Redis-protocol server on 127.0.0.1 at a free
port, serving from a thread of its own for as long as the `service` step's backend runs.

The backend's /health only needs SELECT and PING, but fakeredis implements Redis's commands, so a
backend that uses more of Redis finds it there too. Nothing is persisted; stopping drops the data.
"""

from __future__ import annotations

import threading
from typing import Any

HOST = "127.0.0.1"  # loopback only: the rehearsal's Redis has no password
POLL_S = 0.05  # how often serve_forever looks for a stop request (socketserver's default is 0.5 s)


class RehearsalRedis:
    def __init__(self) -> None:
        self.port = 0
        self._server: Any = None
        self._thread: threading.Thread | None = None

    def start(self) -> "RehearsalRedis":
        # Imported here: fakeredis takes ~0.3 s to import, paid only when a rehearsal starts a service.
        from fakeredis import TcpFakeServer

        if self._server is not None:
            return self
        self._server = TcpFakeServer((HOST, 0), server_type="redis")
        self._server.daemon_threads = True  # a client still connected must not hold the wizard's exit
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": POLL_S},
                                        name="rehearsal-redis", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 5.0) -> None:
        if self._server is None:
            return
        self._server.shutdown()  # also tells each connection's handler to finish
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout)
        self._server = self._thread = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def url(self, db: int = 0) -> str:
        return f"redis://{HOST}:{self.port}/{db}"

    def __enter__(self) -> "RehearsalRedis":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()
