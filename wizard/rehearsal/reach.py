"""What PostgreSQL's own account can reach when the wizard runs as root.

PostgreSQL refuses to run as root, so as root the sandbox clusters run as an unprivileged account.
That account must reach the server's binaries, the cluster folders and the socket folder. The
wizard never loosens the mode of a directory it did not create: what the account cannot reach (a
venv under root's 0700 home, a data dir there) is copied or placed where it can, in folders the
wizard creates itself.
"""

from __future__ import annotations

import hashlib
import os
import pwd
import shutil
import stat
from pathlib import Path

from wizard.errors import WizardError

# Where the wizard keeps, as root, what the server's account must reach when the data dir is out
# of its reach: created by the wizard, so its modes are the wizard's to choose.
SYSTEM_BASE = Path("/var/lib/migration-wizard")


def account(user: str) -> tuple[int, int]:
    entry = pwd.getpwnam(user)
    return entry.pw_uid, entry.pw_gid


def can_traverse(path: Path, uid: int, gid: int) -> bool:
    """Whether a process of uid/gid (no other groups: the clusters run without them) can reach path."""
    for folder in [path, *path.parents]:
        try:
            st = folder.stat()
        except OSError:
            return False
        if st.st_uid == uid:
            bit = stat.S_IXUSR
        elif st.st_gid == gid:
            bit = stat.S_IXGRP
        else:
            bit = stat.S_IXOTH
        if not st.st_mode & bit:
            return False
    return True


def make_dirs(path: Path, mode: int) -> Path:
    """Create path and its missing parents with `mode`; folders that exist keep theirs."""
    missing = [p for p in [path, *path.parents] if not p.exists()]
    for folder in reversed(missing):
        folder.mkdir(mode=mode)
        folder.chmod(mode)  # the umask would take bits away
    return path


def reachable_base(data_dir: Path, user: str) -> Path:
    """A folder of the wizard's own that `user` can reach: under the data dir when it can reach
    that, else under SYSTEM_BASE (one per data dir)."""
    uid, gid = account(user)
    if can_traverse(data_dir, uid, gid):
        return make_dirs(data_dir / "server", 0o711)
    digest = hashlib.sha256(str(data_dir.resolve()).encode()).hexdigest()[:12]
    try:
        return make_dirs(SYSTEM_BASE / digest, 0o711)
    except OSError as exc:
        raise WizardError(f"The {user} account cannot reach the data dir {data_dir}, and {SYSTEM_BASE} cannot be "
                          f"created ({exc.strerror or exc}).",
                          "Set MIGRATION_WIZARD_DATA to a folder outside a private home directory.") from None


def server_copy(install: Path, base: Path, user: str) -> Path:
    """The server's install folder, copied once under `base` when `user` cannot reach it where it is.
    The copy is keyed on the install's path, so a new pgserver release gets a copy of its own. The
    wheel's shared libraries (`pgserver.libs`, found through the binaries' relative rpath) come
    along, in the same place relative to the install."""
    uid, gid = account(user)
    if can_traverse(install / "bin", uid, gid):
        return install
    digest = hashlib.sha256(str(install.resolve()).encode()).hexdigest()[:12]
    target = base / f"server-{digest}"
    copied = target / install.parent.name / install.name
    if not (copied / "bin" / "postgres").exists():
        partial = target.with_name(target.name + f".tmp{os.getpid()}")
        shutil.rmtree(partial, ignore_errors=True)
        shutil.copytree(install, partial / install.parent.name / install.name, symlinks=True)
        libs = install.parent.parent / f"{install.parent.name}.libs"
        if libs.is_dir():
            shutil.copytree(libs, partial / libs.name, symlinks=True)
        for folder, dirs, _files in os.walk(partial):
            for name in dirs:
                (Path(folder) / name).chmod(0o755)
        partial.chmod(0o755)
        shutil.rmtree(target, ignore_errors=True)
        os.replace(partial, target)
    return copied


def private_dir(path: Path, owner: int) -> Path:
    """A folder only `owner` (and root) may enter: created 0700 for it, or refused when someone
    else already has it (a folder in /tmp another user made first)."""
    try:
        path.mkdir(mode=0o700)
        os.chown(path, owner, -1)
    except FileExistsError:
        pass
    st = path.lstat()
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != owner:
        raise WizardError(f"{path} exists but does not belong to the cluster's account: it is not used as its socket folder.",
                          f"Remove {path}, or set MIGRATION_WIZARD_DATA to a shorter path.")
    if stat.S_IMODE(st.st_mode) != 0o700:
        path.chmod(0o700)  # ours: only its owner may connect through it
    return path
