"""As root, the clusters run as another account: it must reach the binaries, the cluster folders
and the socket folder without the wizard loosening any folder it did not create."""

from __future__ import annotations

import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(os.geteuid() != 0, reason="the server runs as another account only when the wizard is root")


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_server_install_under_a_private_home_is_copied_not_opened(tmp_path):
    from wizard.rehearsal import clusters, reach

    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    home.chmod(0o700)
    # A venv's site-packages under a private home: the install and the wheel's libraries beside it.
    real = Path(clusters.bin_dir()).parent
    install = home / "site-packages" / "pgserver" / "pginstall"
    shutil.copytree(real, install, symlinks=True)
    shutil.copytree(real.parent.parent / "pgserver.libs", home / "site-packages" / "pgserver.libs", symlinks=True)
    user = clusters.SERVICE_USER
    clusters._service_user()  # creates the account on a fresh machine
    # The test's data dir is under pytest's 0700 temp folder: out of the account's reach too.
    base = reach.reachable_base(tmp_path / "data", user)
    try:
        used = reach.server_copy(install, base, user)

        assert used != install and used.is_relative_to(base) and base.is_relative_to(reach.SYSTEM_BASE)
        assert mode(home) == 0o700, "the private home was left as it was"
        for program in ("postgres", "initdb", "pg_ctl"):  # initdb needs the wheel's libpq, found by rpath
            done = subprocess.run([str(used / "bin" / program), "--version"], capture_output=True, text=True,
                                  user=user, group=reach.account(user)[1], extra_groups=[], cwd="/")
            assert done.returncode == 0 and "PostgreSQL" in done.stdout, (program, done.stderr)
        assert reach.server_copy(install, base, user) == used  # copied once
    finally:
        shutil.rmtree(base, ignore_errors=True)


def test_a_data_dir_under_a_private_home_keeps_its_mode(tmp_path):
    """The data dir in a 0700 folder: the clusters go to a folder of the wizard's own instead of
    the wizard adding search permission to the user's folders; the socket folder is private."""
    private = tmp_path / "private"
    private.mkdir(mode=0o700)
    private.chmod(0o700)
    data = private / "a-rather-long-folder-name-so-the-socket-path-is-too-long-for-unix-sockets" / "data"
    env = {**os.environ, "MIGRATION_WIZARD_DATA": str(data), "MIGRATION_WIZARD_CONFIG": str(tmp_path / "config")}
    code = ("from wizard.rehearsal import clusters as c; c.ensure('sandbox-staging'); s = c.status('sandbox-staging');"
            "print(s.path); print(c.socket_dir('sandbox-staging')); print(s.tables)")
    cluster = ""
    try:
        done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=300)
        assert done.returncode == 0, done.stderr[-2000:]
        cluster, sockets, tables = done.stdout.split()
        assert mode(private) == 0o700, "the user's folder kept its mode"
        assert not Path(cluster).is_relative_to(private), "the cluster lives where the server's account can reach it"
        assert int(tables) == 52
        assert mode(Path(sockets)) == 0o700, "only the cluster's account (and root) may reach the socket"
    finally:
        subprocess.run([sys.executable, "-m", "wizard.cli", "sandbox", "stop", "sandbox-staging"], env=env,
                       capture_output=True, timeout=120)
        from wizard.rehearsal import reach

        if cluster and Path(cluster).is_relative_to(reach.SYSTEM_BASE):
            shutil.rmtree(Path(cluster).parent.parent, ignore_errors=True)
