"""A minimal Redis-protocol server on 127.0.0.1 for the rehearsal backend's /health.

It runs an asyncio server in a background thread of its own and understands what a health
check and a small cache need: PING, ECHO, SELECT, HELLO (RESP2 or RESP3), AUTH (refused: no
password is set), GET, SET (EX/PX/NX/XX), DEL, EXISTS, INCR, INCRBY, EXPIRE, TTL, DBSIZE,
FLUSHDB, INFO, CLIENT, COMMAND, QUIT. Inline commands ("PING\\r\\n", as typed into telnet)
work too. Data lives in memory and goes with the server. No redis-server or fakeredis needed.

    server = RespServer().start()
    server.url(1)        # "redis://127.0.0.1:PORT/1"
    server.stop()
"""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

DATABASES = 16
MAX_BULK = 512 * 1024 * 1024


class ProtocolError(Exception):
    pass


def _bulk(value: bytes | None) -> bytes:
    if value is None:
        return b"$-1\r\n"
    return b"$%d\r\n%s\r\n" % (len(value), value)


def _int(value: int) -> bytes:
    return b":%d\r\n" % value


def _err(text: str) -> bytes:
    return b"-" + text.encode() + b"\r\n"


async def read_command(reader: asyncio.StreamReader) -> list[bytes] | None:
    """One command as a list of arguments; None at end of stream."""
    line = await reader.readline()
    if not line:
        return None
    if not line.endswith(b"\r\n") and not line.endswith(b"\n"):
        return None  # the client went away mid-line
    if line[:1] != b"*":
        return line.strip().split()  # inline command
    try:
        count = int(line[1:].strip())
    except ValueError:
        raise ProtocolError("invalid multibulk length") from None
    args = []
    for _ in range(max(count, 0)):
        header = await reader.readline()
        if header[:1] != b"$":
            raise ProtocolError(f"expected '$', got {header[:1]!r}")
        try:
            size = int(header[1:].strip())
        except ValueError:
            raise ProtocolError("invalid bulk length") from None
        if size < 0 or size > MAX_BULK:
            raise ProtocolError("invalid bulk length")
        data = await reader.readexactly(size + 2)
        args.append(data[:-2])
    return args


class RespServer:
    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        if host not in ("127.0.0.1", "localhost", "::1"):
            raise ValueError("the rehearsal RESP server listens on loopback only")
        self.host = host
        self.port = port
        self._data: list[dict[bytes, bytes]] = [{} for _ in range(DATABASES)]
        self._expiry: list[dict[bytes, float]] = [{} for _ in range(DATABASES)]
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: asyncio.base_events.Server | None = None
        self._thread: threading.Thread | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self.started_at = 0.0
        self.commands = 0
        self.connections = 0

    # --- lifecycle ----------------------------------------------------------------------
    def start(self, timeout: float = 5.0) -> "RespServer":
        if self._thread is not None:
            return self
        self._thread = threading.Thread(target=self._main, name="rehearsal-resp-server", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            raise RuntimeError("the rehearsal RESP server did not start")
        if self._error is not None:
            raise RuntimeError(f"the rehearsal RESP server did not start: {self._error}")
        return self

    def _main(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            self._server = loop.run_until_complete(asyncio.start_server(self._client, self.host, self.port))
            self.port = self._server.sockets[0].getsockname()[1]
            self.started_at = time.time()
        except BaseException as exc:  # noqa: BLE001 - reported to the starting thread
            self._error = exc
            self._ready.set()
            loop.close()
            return
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    async def _shutdown(self) -> None:
        if self._server is not None:
            self._server.close()
        for writer in list(self._writers):
            writer.close()
        if self._tasks:
            await asyncio.wait(list(self._tasks), timeout=2)
        if self._server is not None:
            await self._server.wait_closed()
        asyncio.get_running_loop().stop()

    def stop(self, timeout: float = 5.0) -> None:
        if self._thread is None or self._loop is None:
            return
        if self._loop.is_running():
            self._loop.call_soon_threadsafe(lambda: asyncio.ensure_future(self._shutdown()))
        self._thread.join(timeout)
        self._thread = None

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def url(self, db: int = 0) -> str:
        return f"redis://{self.host}:{self.port}/{db}"

    def __enter__(self) -> "RespServer":
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # --- protocol -----------------------------------------------------------------------
    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        task = asyncio.current_task()
        if task is not None:
            self._tasks.add(task)
        self.connections += 1
        db = 0
        proto = 2
        try:
            while True:
                try:
                    args = await read_command(reader)
                except ProtocolError as exc:
                    writer.write(_err(f"ERR Protocol error: {exc}"))
                    break
                except (asyncio.IncompleteReadError, ConnectionError):
                    break
                if args is None:
                    break
                if not args:
                    continue
                self.commands += 1
                name = args[0].upper()
                if name == b"QUIT":
                    writer.write(b"+OK\r\n")
                    break
                if name == b"SELECT":
                    reply, db = self._select(args, db)
                elif name == b"HELLO":
                    reply, proto = self._hello(args[1:], proto)
                else:
                    reply = self._execute(name, args[1:], db)
                    if proto == 3 and reply == b"$-1\r\n":
                        reply = b"_\r\n"  # RESP3's null
                writer.write(reply)
                await writer.drain()
            await writer.drain()
        except ConnectionError:
            pass
        finally:
            self._writers.discard(writer)
            if task is not None:
                self._tasks.discard(task)
            writer.close()

    def _hello(self, args: list[bytes], proto: int) -> tuple[bytes, int]:
        wanted = proto
        if args:
            try:
                wanted = int(args[0])
            except ValueError:
                return _err("ERR Protocol version is not an integer or out of range"), proto
            if wanted not in (2, 3):
                return _err("NOPROTO unsupported protocol version"), proto
        fields: list[tuple[bytes, bytes | int]] = [
            (b"server", b"redis"), (b"version", b"7.0.0-rehearsal"), (b"proto", wanted), (b"id", self.connections),
            (b"mode", b"standalone"), (b"role", b"master")]
        head = b"%%%d\r\n" % len(fields) if wanted == 3 else b"*%d\r\n" % (2 * len(fields))
        body = b"".join(_bulk(k) + (_int(v) if isinstance(v, int) else _bulk(v)) for k, v in fields)
        return head + body, wanted

    def _select(self, args: list[bytes], db: int) -> tuple[bytes, int]:
        if len(args) != 2:
            return _err("ERR wrong number of arguments for 'select' command"), db
        try:
            index = int(args[1])
        except ValueError:
            return _err("ERR value is not an integer or out of range"), db
        if not 0 <= index < DATABASES:
            return _err("ERR DB index is out of range"), db
        return b"+OK\r\n", index

    def _live(self, db: int, key: bytes) -> bytes | None:
        deadline = self._expiry[db].get(key)
        if deadline is not None and deadline <= time.monotonic():
            self._data[db].pop(key, None)
            self._expiry[db].pop(key, None)
        return self._data[db].get(key)

    def _execute(self, name: bytes, args: list[bytes], db: int) -> bytes:  # noqa: C901 - one branch per command
        data, expiry = self._data[db], self._expiry[db]

        def arity(low: int, high: int | None = None) -> bool:
            return low <= len(args) <= (high if high is not None else low)

        cmd = name.decode(errors="replace").lower()
        wrong = _err(f"ERR wrong number of arguments for '{cmd}' command")
        if name == b"PING":
            if not arity(0, 1):
                return wrong
            return b"+PONG\r\n" if not args else _bulk(args[0])
        if name == b"ECHO":
            return _bulk(args[0]) if arity(1) else wrong
        if name == b"AUTH":
            return _err("ERR AUTH <password> called without any password configured for the default user")
        if name == b"GET":
            return _bulk(self._live(db, args[0])) if arity(1) else wrong
        if name == b"SET":
            if len(args) < 2:
                return wrong
            key, value, options = args[0], args[1], [a.upper() for a in args[2:]]
            ttl: float | None = None
            i = 0
            while i < len(options):
                if options[i] in (b"EX", b"PX") and i + 1 < len(options):
                    try:
                        amount = int(args[2 + i + 1])
                    except ValueError:
                        return _err("ERR value is not an integer or out of range")
                    ttl = amount if options[i] == b"EX" else amount / 1000
                    i += 2
                elif options[i] in (b"NX", b"XX"):
                    exists = self._live(db, key) is not None
                    if (options[i] == b"NX") == exists:
                        return _bulk(None)
                    i += 1
                else:
                    return _err("ERR syntax error")
            data[key] = value
            expiry.pop(key, None)
            if ttl is not None:
                expiry[key] = time.monotonic() + ttl
            return b"+OK\r\n"
        if name == b"DEL":
            if not args:
                return wrong
            removed = 0
            for key in args:
                if self._live(db, key) is not None:
                    data.pop(key, None)
                    expiry.pop(key, None)
                    removed += 1
            return _int(removed)
        if name == b"EXISTS":
            return _int(sum(self._live(db, k) is not None for k in args)) if args else wrong
        if name in (b"INCR", b"INCRBY"):
            if not arity(1 if name == b"INCR" else 2):
                return wrong
            try:
                number = int(self._live(db, args[0]) or b"0") + (int(args[1]) if name == b"INCRBY" else 1)
            except ValueError:
                return _err("ERR value is not an integer or out of range")
            data[args[0]] = str(number).encode()
            return _int(number)
        if name == b"EXPIRE":
            if not arity(2):
                return wrong
            if self._live(db, args[0]) is None:
                return _int(0)
            try:
                expiry[args[0]] = time.monotonic() + int(args[1])
            except ValueError:
                return _err("ERR value is not an integer or out of range")
            return _int(1)
        if name == b"TTL":
            if not arity(1):
                return wrong
            if self._live(db, args[0]) is None:
                return _int(-2)
            deadline = expiry.get(args[0])
            return _int(-1 if deadline is None else max(0, round(deadline - time.monotonic())))
        if name == b"DBSIZE":
            return _int(sum(self._live(db, k) is not None for k in list(data)))
        if name == b"FLUSHDB":
            data.clear()
            expiry.clear()
            return b"+OK\r\n"
        if name == b"INFO":
            uptime = int(time.time() - self.started_at)
            text = (f"# Server\r\nredis_version:7.0.0-rehearsal\r\nredis_mode:standalone\r\ntcp_port:{self.port}\r\n"
                    f"uptime_in_seconds:{uptime}\r\n# Clients\r\nconnected_clients:{len(self._writers)}\r\n"
                    f"# Stats\r\ntotal_connections_received:{self.connections}\r\n"
                    f"total_commands_processed:{self.commands}\r\n# Keyspace\r\n")
            for index, keys in enumerate(self._data):
                if keys:
                    text += f"db{index}:keys={len(keys)},expires={len(self._expiry[index])},avg_ttl=0\r\n"
            return _bulk(text.encode())
        if name == b"CLIENT":
            return b"+OK\r\n"
        if name == b"COMMAND":
            return b"*0\r\n"
        return _err(f"ERR unknown command '{cmd}'")
