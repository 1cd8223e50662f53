"""Embedded PostgreSQL clusters for rehearsal and tests, on the server binaries pgserver ships.

We drive initdb/pg_ctl ourselves rather than through pgserver's PostgresServer class so that
state stays in our data dir (no runtime-dir lock files) and a cluster outlives the process that
started it: `sandbox start` in one command, `run` in the next.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import pwd
import shutil
import socket
import stat
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path


from wizard.errors import WizardError
from wizard.paths import data_dir, sql_dir

NAMES = ("sandbox-staging", "sandbox-production")
SERVICE_USER = "pgserver"  # the account pgserver itself uses when run as root
_LOADED_MARK = "migration_wizard_loaded"


def bin_dir() -> Path:
    spec = importlib.util.find_spec("pgserver")
    if spec is None or not spec.submodule_search_locations:
        raise WizardError("The pgserver package is not installed.", "Install migration-wizard again: pip install .")
    return Path(list(spec.submodule_search_locations)[0]) / "pginstall" / "bin"


def tool(name: str) -> str:
    return str(bin_dir() / name)


def clusters_dir() -> Path:
    path = data_dir() / "clusters"
    path.mkdir(parents=True, exist_ok=True)
    return path


def cluster_dir(name: str) -> Path:
    if name not in NAMES:
        raise WizardError(f"{name!r} is not a sandbox cluster.", f"Use one of: {', '.join(NAMES)}.")
    return clusters_dir() / name


def _as_root() -> bool:
    return os.geteuid() == 0


def _service_user() -> str | None:
    """PostgreSQL refuses to run as root; as root we run it as an unprivileged account."""
    if not _as_root():
        return None
    try:
        pwd.getpwnam(SERVICE_USER)
    except KeyError:
        subprocess.run(["useradd", "--system", "--no-create-home", "-s", "/usr/sbin/nologin", SERVICE_USER],
                       check=True, capture_output=True)
    return SERVICE_USER


def _allow_traverse(path: Path) -> None:
    # The service account must reach the cluster folder: add search (x) permission, never read.
    for parent in [path, *path.parents]:
        mode = parent.stat().st_mode
        if not mode & stat.S_IXOTH:
            parent.chmod(mode | stat.S_IXOTH)


def socket_dir(name: str) -> Path:
    """The data dir itself, unless its path is too long for a unix socket (about 107 bytes)."""
    pgdata = cluster_dir(name)
    if len(str(pgdata / ".s.PGSQL.5432")) < 100:
        return pgdata
    short = Path(tempfile.gettempdir()) / ("mw-" + hashlib.sha256(str(pgdata).encode()).hexdigest()[:10])
    short.mkdir(mode=0o777, exist_ok=True)
    short.chmod(0o777)
    return short


def conninfo(name: str) -> dict[str, str | int]:
    return {"host": str(socket_dir(name)), "port": 5432, "dbname": "postgres", "user": "postgres"}


def url(name: str) -> str:
    info = conninfo(name)
    return f"postgresql://{info['user']}@/{info['dbname']}?host={info['host']}"


def _run(argv: list[str], *, timeout: float = 60) -> subprocess.CompletedProcess[str]:
    user = _service_user()
    # Drop root's group too: a folder readable by "others" but not by group root would
    # otherwise refuse the service account.
    identity = {"user": user, "group": pwd.getpwnam(user).pw_gid, "extra_groups": []} if user else {}
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=True,
                              cwd=tempfile.gettempdir(), **identity)
    except subprocess.CalledProcessError as exc:
        detail = (exc.stderr or exc.stdout or "").strip().splitlines()[-3:]
        raise WizardError(f"{Path(argv[0]).name} failed: {' '.join(detail)}",
                          "See the cluster log with `migration-wizard sandbox status`, or rebuild it with `migration-wizard sandbox reset`.") from None


def is_initialised(name: str) -> bool:
    return (cluster_dir(name) / "PG_VERSION").exists()


def is_running(name: str) -> bool:
    pgdata = cluster_dir(name)
    pidfile = pgdata / "postmaster.pid"
    if not pidfile.exists():
        return False
    try:
        pid = int(pidfile.read_text().splitlines()[0])
        os.kill(pid, 0)
    except (ValueError, IndexError, ProcessLookupError):
        return False
    except PermissionError:
        pass  # alive, owned by the service account
    sock = socket_dir(name) / ".s.PGSQL.5432"
    return sock.exists()


def _initdb(name: str) -> None:
    pgdata = cluster_dir(name)
    pgdata.mkdir(parents=True, exist_ok=True)
    user = _service_user()
    if user:
        _allow_traverse(pgdata.parent)
        shutil.chown(pgdata, user, user)
    pgdata.chmod(0o700)
    _run([tool("initdb"), "-D", str(pgdata), "-U", "postgres", "--auth=trust", "--encoding=UTF8",
          "--locale=C", "--no-sync"], timeout=120)


def start(name: str) -> None:
    if not is_initialised(name):
        _initdb(name)
    if is_running(name):
        return
    pgdata = cluster_dir(name)
    sockdir = socket_dir(name)
    log = pgdata / "server.log"
    _run([tool("pg_ctl"), "-D", str(pgdata), "-w", "-t", "30", "-l", str(log),
          "-o", f"-h '' -k {sockdir} -c fsync=off -c full_page_writes=off", "start"], timeout=60)
    _wait_ready(name)


def _wait_ready(name: str, timeout: float = 15) -> None:
    import psycopg  # on first use: resolving a sandbox's name (the first frame) needs no driver

    deadline = time.monotonic() + timeout
    while True:
        try:
            with psycopg.connect(**conninfo(name), connect_timeout=3) as conn:  # type: ignore[arg-type]
                conn.execute("select 1")
                return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise WizardError(f"The {name} cluster did not accept connections after starting.",
                                  f"Read {cluster_dir(name) / 'server.log'}, then try `migration-wizard sandbox reset {name}`.") from None
            time.sleep(0.1)


def stop(name: str) -> bool:
    if not is_running(name):
        return False
    _run([tool("pg_ctl"), "-D", str(cluster_dir(name)), "-w", "-t", "30", "-m", "fast", "stop"])
    return True


def is_loaded(name: str) -> bool:
    import psycopg  # on first use: resolving a sandbox's name (the first frame) needs no driver

    with psycopg.connect(**conninfo(name), connect_timeout=5) as conn:  # type: ignore[arg-type]
        row = conn.execute("select count(*) from pg_database where datname = %s", (_LOADED_MARK,)).fetchone()
    # The marker is a database comment-free flag: a tiny database whose existence means "seeded".
    return bool(row and row[0])


def load(name: str) -> None:
    """Load the pre-clean-up schema and seed data (52 tables), once."""
    import psycopg  # on first use: resolving a sandbox's name (the first frame) needs no driver

    sql = sql_dir() / "sandbox"
    with psycopg.connect(**conninfo(name), autocommit=True) as conn:  # type: ignore[arg-type]
        for part in ("schema.sql", "seed.sql"):
            conn.execute((sql / part).read_text())  # type: ignore[arg-type]
        conn.execute(f"create database {_LOADED_MARK}")


def ensure(name: str) -> None:
    """Create, start and seed a cluster as needed: the first use of the sandbox just works."""
    start(name)
    if not is_loaded(name):
        load(name)


def reset(name: str) -> None:
    stop(name)
    shutil.rmtree(cluster_dir(name), ignore_errors=True)
    ensure(name)


@dataclass
class ClusterStatus:
    name: str
    path: Path
    initialised: bool
    running: bool
    url: str
    system_identifier: int | None = None
    tables: int | None = None


def status(name: str) -> ClusterStatus:
    import psycopg  # on first use: resolving a sandbox's name (the first frame) needs no driver

    st = ClusterStatus(name, cluster_dir(name), is_initialised(name), is_running(name), url(name))
    if st.running:
        with psycopg.connect(**conninfo(name), connect_timeout=5) as conn:  # type: ignore[arg-type]
            st.system_identifier = conn.execute("select system_identifier from pg_control_system()").fetchone()[0]  # type: ignore[index]
            st.tables = conn.execute(
                "select count(*) from information_schema.tables where table_schema='public' and table_type='BASE TABLE'"
            ).fetchone()[0]  # type: ignore[index]
    return st


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def workspace_dir() -> Path:
    """The rehearsal workspace: a small application repo (backend/, database/) for the week's checks."""
    return data_dir() / "rehearsal" / "workspace"


def ensure_workspace(refresh: bool = False) -> Path:
    target = workspace_dir()
    template = Path(__file__).resolve().parent / "workspace"
    if refresh and target.exists():
        shutil.rmtree(target)
    if not target.exists():
        target.parent.mkdir(parents=True, exist_ok=True)
        if template.is_dir():
            shutil.copytree(template, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".pytest_cache"))
        else:
            target.mkdir(parents=True)
        database = target / "database"
        (database / "migrations").mkdir(parents=True, exist_ok=True)
        for sql_file in (sql_dir() / "migrations").glob("*.sql"):
            shutil.copy2(sql_file, database / "migrations" / sql_file.name)
        for name in ("VERIFICATION_QUERIES.sql", "FINAL_VERIFICATION.sql"):
            if (sql_dir() / name).exists():
                shutil.copy2(sql_dir() / name, database / name)
    return target
