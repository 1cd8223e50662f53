"""wizard.secrets: the keyring (set explicitly here), the no-keyring fallback, asking and re-asking."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

import keyring
import keyring.backend
import keyring.errors
import psycopg
import pytest
from keyring.backends import chainer, fail
from psycopg import sql

from wizard.environments import secrets
from wizard.environments import Environment
from wizard.errors import ConnectionFailed
from wizard.redact import MASK, redact
from keyring_support import MemoryKeyring

RIGHT = "right-pw-5d1a7c"
WRONG = "wrong-pw-0b3e88"


class LockedKeyring(MemoryKeyring):
    def get_password(self, service: str, username: str) -> str | None:
        raise keyring.errors.KeyringLocked("the collection is locked")


@pytest.fixture
def notes():
    said: list[str] = []
    previous = secrets.set_notifier(said.append)
    yield said
    secrets.set_notifier(previous)
    secrets.use_backend(None)


@pytest.fixture
def memory(notes):
    kr = MemoryKeyring()
    secrets.use_backend(kr)
    return kr


def test_get_set_delete_under_our_service_name(memory, notes):
    assert secrets.available()
    assert secrets.set_secret("staging", "db_password", "pw-aaa-111")
    assert memory.store == {("migration-wizard", "staging:db_password"): "pw-aaa-111"}
    assert secrets.get_secret("staging", "db_password") == "pw-aaa-111"
    secrets.set_secret("staging", "api_token", "eyJ.token-bbb-222")
    assert secrets.forget("staging") == ["db_password", "api_token"] and memory.store == {}
    assert secrets.forget("staging") == []
    assert notes == []
    with pytest.raises(Exception, match="Unknown secret"):
        secrets.get_secret("staging", "root_password")


def test_every_value_read_is_registered_for_redaction(memory):
    memory.store[("migration-wizard", "prod:api_token")] = "tok-registered-9c4d"
    assert redact("token tok-registered-9c4d") == "token tok-registered-9c4d"
    assert secrets.provider("prod")("api_token") == "tok-registered-9c4d"
    assert redact("token tok-registered-9c4d") == f"token {MASK}"


def test_the_keyrings_alt_file_backend_when_chosen_explicitly(tmp_path, notes):
    from keyrings.alt.file import PlaintextKeyring

    kr = PlaintextKeyring()
    kr.file_path = str(tmp_path / "keyring_pass.cfg")
    secrets.use_backend(kr)
    assert secrets.set_secret("staging", "db_password", "pw-file-backend-1")
    assert secrets.get_secret("staging", "db_password") == "pw-file-backend-1"
    assert secrets.delete_secret("staging", "db_password")
    assert secrets.get_secret("staging", "db_password") is None


def test_no_backend_says_so_once_and_falls_back(notes, monkeypatch, tmp_path):
    secrets.use_backend(fail.Keyring())
    monkeypatch.setenv(secrets.TOKEN_ENV, "tok-from-env-4e2f")
    monkeypatch.setenv("PGPASSWORD", "pgpw-from-env-8a1b")
    assert not secrets.available()
    assert secrets.get_secret("production", "db_password") is None  # libpq reads PGPASSWORD itself
    assert secrets.get_secret("production", "api_token") == "tok-from-env-4e2f"
    assert not secrets.set_secret("production", "db_password", "never-stored-77")
    assert not secrets.delete_secret("production", "db_password")
    assert notes == [secrets.NO_KEYRING]  # once
    assert redact("PGPASSWORD=pgpw-from-env-8a1b tok-from-env-4e2f") == f"PGPASSWORD={MASK} {MASK}"
    assert secrets.NO_KEYRING == ("no OS keyring: using PGPASSWORD / ~/.pgpass for the database and "
                                  "MIGRATION_WIZARD_API_TOKEN for the token")


def test_a_chainer_with_no_backends_is_no_keyring(notes, monkeypatch):
    monkeypatch.setattr(keyring.backend, "_limit", lambda kr: False)
    empty = chainer.ChainerBackend()
    assert empty.backends == []
    secrets.use_backend(empty)
    assert not secrets.available() and secrets.get_secret("x", "db_password") is None
    assert notes == [secrets.NO_KEYRING]


def test_a_plaintext_file_is_never_picked_on_our_own(notes, monkeypatch, tmp_path):
    from keyrings.alt.file import PlaintextKeyring

    kr = PlaintextKeyring()
    kr.file_path = str(tmp_path / "auto.cfg")
    monkeypatch.setattr(keyring.core, "_keyring_backend", kr)  # what keyring auto-detects with keyrings.alt installed
    monkeypatch.delenv("PYTHON_KEYRING_BACKEND", raising=False)
    monkeypatch.setattr(keyring.core, "load_config", lambda: None)
    secrets.use_backend(None)
    assert not secrets.available()
    assert not secrets.set_secret("staging", "db_password", "not-in-a-plaintext-file")
    assert not Path(kr.file_path).exists()
    monkeypatch.setenv("PYTHON_KEYRING_BACKEND", "keyrings.alt.file.PlaintextKeyring")  # the operator's own choice
    assert secrets.available()


def test_a_keyring_failing_at_run_time_falls_back(notes):
    secrets.use_backend(LockedKeyring())
    assert secrets.get_secret("staging", "db_password") is None
    assert not secrets.available()
    assert notes and "KeyringLocked" in notes[0] and secrets.NO_KEYRING in notes[0]


async def test_ask_takes_a_plain_or_an_async_asker():
    assert await secrets.ask("pw: ", lambda prompt: "typed-1234") == "typed-1234"

    async def tui(prompt: str) -> str:
        return "from-a-modal-5678"

    assert await secrets.ask("pw: ", tui) == "from-a-modal-5678"
    assert await secrets.ask("pw: ", lambda prompt: "") is None
    assert redact("from-a-modal-5678") == MASK


# --- a real scram-sha-256 check on the sandbox ------------------------------------------------------

@contextlib.contextmanager
def scram_role(role: str, password: str):
    """A login role with a password on sandbox-staging; the sandbox trusts local sockets except for it.
    The verifier is computed client-side, so the password itself never reaches the server (or its log)."""
    from wizard.rehearsal import clusters as sandbox

    hba = sandbox.cluster_dir("sandbox-staging") / "pg_hba.conf"
    original = hba.read_text()
    hba.write_text(f"local all {role} scram-sha-256\n" + original)
    info = sandbox.conninfo("sandbox-staging")
    with psycopg.connect(**info, autocommit=True) as conn:
        verifier = conn.pgconn.encrypt_password(password.encode(), role.encode(), b"scram-sha-256").decode()
        conn.execute(sql.SQL("drop role if exists {}").format(sql.Identifier(role)))
        conn.execute(sql.SQL("create role {} login superuser password {}").format(sql.Identifier(role), sql.Literal(verifier)))
        conn.execute("select pg_reload_conf()")
    try:
        yield Environment("lab", "sandbox", "staging", {**info, "user": role, "dbname": "pristine"})
    finally:
        hba.write_text(original)
        with psycopg.connect(**info, autocommit=True) as conn:
            conn.execute("select pg_reload_conf()")
            conn.execute(sql.SQL("drop role if exists {}").format(sql.Identifier(role)))


def scripted(*answers: str | None):
    asked: list[str] = []
    queue = list(answers)

    def asker(prompt: str) -> str | None:
        asked.append(prompt)
        return queue.pop(0)

    return asker, asked


async def test_stored_password_connects_without_asking(clusters, memory, notes):
    with scram_role("pw_user", RIGHT) as env:
        memory.store[("migration-wizard", "lab:db_password")] = RIGHT
        asker, asked = scripted()
        assert await secrets.verified_password(env, asker=asker) == RIGHT
        assert asked == []


async def test_asked_on_first_use_then_kept(clusters, memory, notes):
    with scram_role("pw_user", RIGHT) as env:
        asker, asked = scripted(RIGHT)
        assert await secrets.verified_password(env, asker=asker) == RIGHT
        assert len(asked) == 1 and "Database password for lab" in asked[0] and "kept in the OS keyring" in asked[0]
        assert memory.store[("migration-wizard", "lab:db_password")] == RIGHT
        assert any("saved in the OS keyring" in n for n in notes)


async def test_re_asked_once_on_authentication_failure(clusters, memory, notes):
    with scram_role("pw_user", RIGHT) as env:
        memory.store[("migration-wizard", "lab:db_password")] = WRONG
        asker, asked = scripted(WRONG, RIGHT)
        assert await secrets.verified_password(env, asker=asker) == RIGHT
        assert len(asked) == 2 and asked[0].startswith("The password was refused.")
        assert memory.store[("migration-wizard", "lab:db_password")] == RIGHT


async def test_gives_up_after_the_second_refusal(clusters, memory, notes):
    with scram_role("pw_user", RIGHT) as env:
        asker, asked = scripted(WRONG, WRONG + "x")
        with pytest.raises(ConnectionFailed) as err:
            await secrets.verified_password(env, asker=asker)
        assert len(asked) == 2
        assert err.value.what == "lab refused the password again: giving up. Nothing was run or stored."
        assert WRONG not in repr(err.value) and WRONG not in str(err.value)
        assert memory.store == {}


async def test_headless_without_an_answer_is_one_clear_message(clusters, memory, notes):
    with scram_role("pw_user", RIGHT) as env:
        asker, asked = scripted(None)
        with pytest.raises(ConnectionFailed) as err:
            await secrets.verified_password(env, asker=asker)
        assert "password" in err.value.what and "PGPASSWORD" in err.value.fix and "~/.pgpass" in err.value.fix


async def test_without_a_keyring_libpq_uses_pgpassword_and_pgpass(clusters, notes, monkeypatch, tmp_path):
    secrets.use_backend(fail.Keyring())
    with scram_role("pw_user", RIGHT) as env:
        asker, asked = scripted()
        monkeypatch.setenv("PGPASSWORD", RIGHT)
        assert await secrets.verified_password(env, asker=asker) is None  # libpq found it; we hold nothing
        monkeypatch.delenv("PGPASSWORD")
        pgpass = tmp_path / "pgpass"
        pgpass.write_text(f"{env.conninfo['host']}:5432:*:pw_user:{RIGHT}\n")
        os.chmod(pgpass, 0o600)
        monkeypatch.setenv("PGPASSFILE", str(pgpass))
        assert await secrets.verified_password(env, asker=asker) is None
        assert asked == [] and notes == [secrets.NO_KEYRING]
