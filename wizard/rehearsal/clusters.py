"""Embedded PostgreSQL clusters for rehearsal and tests, on the server binaries pgserver ships.

We drive initdb/pg_ctl ourselves rather than through pgserver's PostgresServer class so that
state stays in our data dir (no runtime-dir lock files) and a cluster outlives the process that
started it: `sandbox start` in one command, `run` in the next.

A blank Supabase project (`sandbox reset NAME --empty`) runs on Debian's PostgreSQL 15 instead:
pgserver's build has no pgcrypto or uuid-ossp, which nearly every Supabase migration uses, and
Supabase itself runs 15. The build a cluster was made with is recorded in its data dir, so
start, stop and pg_dump always use the same binaries.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path


from wizard.errors import WizardError
from wizard.paths import data_dir, sql_dir
from wizard.rehearsal import reach

NAMES = ("sandbox-staging", "sandbox-production")
SERVICE_USER = "pgserver"  # the account pgserver itself uses when run as root
_LOADED_MARK = "migration_wizard_loaded"
_BUILD_FILE = "migration_wizard_build.json"  # in the data dir: {"build": ..., "contents": ...}

PGSERVER, DEBIAN_15 = "pgserver", "debian-15"
DEBIAN_15_BIN = Path("/usr/lib/postgresql/15/bin")
PRE_CLEANUP, SUPABASE_EMPTY = "pre-clean-up", "supabase-empty"
# Extensions Supabase projects use that Debian 12 does not package for 15 (scripts/install-pgvector.sh builds it).
BUILT_SEPARATELY = ("vector",)


def debian_missing_extensions() -> list[str]:
    """Of BUILT_SEPARATELY, those Debian's PostgreSQL 15 cannot CREATE EXTENSION yet."""
    share = DEBIAN_15_BIN.parent.parent.parent.parent / "share" / "postgresql" / "15" / "extension"
    return [name for name in BUILT_SEPARATELY if not (share / f"{name}.control").exists()]


def bin_dir(build: str = PGSERVER) -> Path:
    if build == DEBIAN_15:
        if not (DEBIAN_15_BIN / "postgres").exists():
            raise WizardError(f"An empty Supabase sandbox needs Debian's PostgreSQL 15 server ({DEBIAN_15_BIN} is missing).",
                              "install postgresql-15: apt-get install postgresql-15")
        return DEBIAN_15_BIN
    spec = importlib.util.find_spec("pgserver")
    if spec is None or not spec.submodule_search_locations:
        raise WizardError("The pgserver package is not installed.", "Install migration-wizard again: pip install .")
    install = Path(list(spec.submodule_search_locations)[0]) / "pginstall"
    user = _service_user()
    if user:  # a venv under root's private home is out of the server account's reach: use a copy
        install = reach.server_copy(install, reach.reachable_base(data_dir(), user), user)
    return install / "bin"


def tool(name: str, cluster: str | None = None) -> str:
    """A PostgreSQL program: of the build `cluster` was made with, else pgserver's."""
    return str(bin_dir(build_of(cluster) if cluster else PGSERVER) / name)


def clusters_dir() -> Path:
    """data_dir/clusters; as root, when the server's account cannot reach the data dir (root's
    private home), a folder of the wizard's own it can reach instead (see wizard.rehearsal.reach)."""
    base = data_dir()
    user = _service_user()
    if user and not reach.can_traverse(base, *reach.account(user)):
        base = reach.reachable_base(base, user)
    path = base / "clusters"
    if not path.exists():
        reach.make_dirs(path, 0o711)  # the wizard's own folder: the server's account passes through it
    return path


def cluster_dir(name: str) -> Path:
    if name not in NAMES:
        raise WizardError(f"{name!r} is not a sandbox cluster.", f"Use one of: {', '.join(NAMES)}.")
    return clusters_dir() / name


def _recorded(name: str) -> dict[str, str]:
    try:
        return json.loads((cluster_dir(name) / _BUILD_FILE).read_text())
    except (OSError, ValueError):
        return {}  # clusters made before builds were recorded are pgserver's, pre-clean-up


def build_of(name: str) -> str:
    return _recorded(name).get("build", PGSERVER)


def contents_of(name: str) -> str:
    return _recorded(name).get("contents", PRE_CLEANUP)


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


def socket_dir(name: str) -> Path:
    """The data dir itself, unless its path is too long for a unix socket (about 107 bytes)."""
    pgdata = cluster_dir(name)
    if len(str(pgdata / ".s.PGSQL.5432")) < 100:
        return pgdata
    # A folder only the server's account may enter: with trust authentication, whoever reaches the
    # socket is the superuser.
    short = Path(tempfile.gettempdir()) / ("mw-" + hashlib.sha256(str(pgdata).encode()).hexdigest()[:10])
    user = _service_user()
    return reach.private_dir(short, reach.account(user)[0] if user else os.getuid())


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


def _postmaster_alive(name: str) -> bool:
    """The server named in the data dir's postmaster.pid is alive (reachable or not)."""
    pidfile = cluster_dir(name) / "postmaster.pid"
    if not pidfile.exists():
        return False
    try:
        pid = int(pidfile.read_text().splitlines()[0])
        os.kill(pid, 0)
    except (ValueError, IndexError, ProcessLookupError):
        return False
    except PermissionError:
        pass  # alive, owned by the service account
    return True


def is_running(name: str) -> bool:
    """Alive and reachable: its socket is there."""
    return _postmaster_alive(name) and (socket_dir(name) / ".s.PGSQL.5432").exists()


def _initdb(name: str, build: str = PGSERVER, contents: str = PRE_CLEANUP) -> None:
    initdb = str(bin_dir(build) / "initdb")
    pgdata = cluster_dir(name)
    pgdata.mkdir(parents=True, exist_ok=True)
    user = _service_user()
    if user:
        shutil.chown(pgdata, user, user)
    pgdata.chmod(0o700)
    _run([initdb, "-D", str(pgdata), "-U", "postgres", "--auth=trust", "--encoding=UTF8",
          "--locale=C", "--no-sync"], timeout=120)
    (pgdata / _BUILD_FILE).write_text(json.dumps({"build": build, "contents": contents}) + "\n")


def start(name: str) -> None:
    if not is_initialised(name):
        _initdb(name)
    if is_running(name):
        return
    if _postmaster_alive(name):
        # Alive without its socket: a /tmp cleaner, or a server of a removed data dir at the same
        # path, took the socket file. Nobody can reach it, so it is restarted (fast: nothing is lost).
        _run([tool("pg_ctl", name), "-D", str(cluster_dir(name)), "-w", "-t", "30", "-m", "fast", "stop"])
    pgdata = cluster_dir(name)
    sockdir = socket_dir(name)
    log = pgdata / "server.log"
    options = f"-h '' -k {sockdir} -c fsync=off -c full_page_writes=off"
    if contents_of(name) == SUPABASE_EMPTY:
        options += " -c shared_preload_libraries=pg_stat_statements"  # as Supabase: its view needs it preloaded
    _run([tool("pg_ctl", name), "-D", str(pgdata), "-w", "-t", "30", "-l", str(log), "-o", options, "start"], timeout=60)
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
    if not _postmaster_alive(name):  # pg_ctl signals the pid: a server whose socket is gone still stops
        return False
    _run([tool("pg_ctl", name), "-D", str(cluster_dir(name)), "-w", "-t", "30", "-m", "fast", "stop"])
    return True


def is_loaded(name: str) -> bool:
    import psycopg  # on first use: resolving a sandbox's name (the first frame) needs no driver

    with psycopg.connect(**conninfo(name), connect_timeout=5) as conn:  # type: ignore[arg-type]
        row = conn.execute("select count(*) from pg_database where datname = %s", (_LOADED_MARK,)).fetchone()
    # The marker is a database comment-free flag: a tiny database whose existence means "seeded".
    return bool(row and row[0])


# What each kind of cluster is loaded with, in order.
_LOAD = {
    PRE_CLEANUP: ("sandbox/schema.sql", "sandbox/seed.sql"),  # the 52-table pre-clean-up database
    SUPABASE_EMPTY: ("supabase/roles.sql", "supabase/extensions.sql", "supabase/auth.sql", "supabase/storage.sql",
                     "supabase/grants.sql"),  # a blank Supabase project: no application tables
}


def load(name: str) -> None:
    """Load what the cluster is for (the pre-clean-up database, or a blank Supabase project), once."""
    import psycopg  # on first use: resolving a sandbox's name (the first frame) needs no driver

    with psycopg.connect(**conninfo(name), autocommit=True) as conn:  # type: ignore[arg-type]
        for part in _LOAD[contents_of(name)]:
            conn.execute((sql_dir() / part).read_text())  # type: ignore[arg-type]
        conn.execute(f"create database {_LOADED_MARK}")


def ensure(name: str) -> None:
    """Create, start and seed a cluster as needed: the first use of the sandbox just works."""
    start(name)
    if not is_loaded(name):
        load(name)


def reset(name: str, *, empty: bool = False) -> None:
    """Rebuild a cluster: the pre-clean-up database, or (empty) a blank Supabase project on PostgreSQL 15."""
    build, contents = (DEBIAN_15, SUPABASE_EMPTY) if empty else (PGSERVER, PRE_CLEANUP)
    bin_dir(build)  # a missing server build is refused before anything is removed
    stop(name)
    shutil.rmtree(cluster_dir(name), ignore_errors=True)
    _initdb(name, build, contents)
    ensure(name)


@dataclass
class ClusterStatus:
    name: str
    path: Path
    initialised: bool
    running: bool
    url: str
    build: str = PGSERVER
    contents: str = PRE_CLEANUP
    system_identifier: int | None = None
    tables: int | None = None


def status(name: str) -> ClusterStatus:
    import psycopg  # on first use: resolving a sandbox's name (the first frame) needs no driver

    st = ClusterStatus(name, cluster_dir(name), is_initialised(name), is_running(name), url(name),
                       build_of(name), contents_of(name))
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
