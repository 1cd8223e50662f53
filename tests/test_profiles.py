"""Environment profiles: the TOML file, its defaults and its errors, and `migration-wizard env …`."""

from __future__ import annotations

import asyncio
import stat
from pathlib import Path

import pytest

from wizard.environments import list_environments, profiles, secrets
from wizard.cli import main
from wizard.errors import WizardError
from keyring_support import MemoryKeyring


@pytest.fixture
def profile_file(tmp_path, monkeypatch) -> Path:
    path = tmp_path / "config" / "environments.toml"
    monkeypatch.setenv("MIGRATION_WIZARD_PROFILES", str(path))
    monkeypatch.delenv("PGSSLMODE", raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    return path


@pytest.fixture
def memory_keyring():
    kr = MemoryKeyring()
    secrets.use_backend(kr)
    yield kr
    secrets.use_backend(None)


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


# --- the file ----------------------------------------------------------------------------------

def test_config_dir_holds_the_file(tmp_path, monkeypatch):
    monkeypatch.delenv("MIGRATION_WIZARD_PROFILES", raising=False)
    monkeypatch.setenv("MIGRATION_WIZARD_CONFIG", str(tmp_path / "cfg"))
    assert profiles.profiles_path() == tmp_path / "cfg" / "environments.toml"
    write(profiles.profiles_path(), '[environments.staging]\nkind = "staging"\nhost = "localhost"\n')
    assert profiles.load_profile("staging").kind == "staging"


def test_supabase_staging_and_production_defaults(profile_file):
    write(profile_file, """
# our two Supabase projects
[environments.staging]
kind = "staging"
host = "db.abcdefghijklmnop.supabase.co"
port = 5432
dbname = "postgres"
user = "postgres"
workspace = "~/src/app"

[environments.production]
kind = "production"
host = "aws-0-eu-central-1.pooler.supabase.com"
port = 6543
dbname = "postgres"
user = "postgres.qrstuvwxyzabcdef"
""")
    staging = profiles.load_profile("staging")
    assert (staging.kind, staging.role, staging.display_colour) == ("staging", "staging", "yellow")
    assert staging.conninfo == {"host": "db.abcdefghijklmnop.supabase.co", "port": 5432, "dbname": "postgres",
                                "user": "postgres", "sslmode": "require"}
    assert staging.workspace == str(Path("~/src/app").expanduser())
    production = profiles.load_profile("production")
    assert (production.role, production.display_colour) == ("production", "red")
    assert production.conninfo["pooler"] is True and production.conninfo["sslmode"] == "require"
    names = [e.name for e in list_environments()]
    assert names == ["sandbox-staging", "sandbox-production", "production", "staging"]


def test_local_hosts_and_services_leave_sslmode_to_libpq(profile_file, monkeypatch):
    write(profile_file, """
[environments.local]
kind = "staging"
host = "localhost"
[environments.socket]
kind = "sandbox"
role = "production"
host = "/var/run/postgresql"
[environments.serviced]
kind = "staging"
host = "db.example.com"
service = "staging"
[environments.bare]
kind = "staging"
[environments.explicit]
kind = "production"
host = "db.example.com"
sslmode = "verify-full"
""")
    assert "sslmode" not in profiles.load_profile("local").conninfo
    assert "sslmode" not in profiles.load_profile("socket").conninfo
    assert "sslmode" not in profiles.load_profile("serviced").conninfo  # the service file may say verify-full
    assert profiles.load_profile("bare").conninfo == {}  # all of it from PG* variables / the service file
    assert profiles.load_profile("explicit").conninfo["sslmode"] == "verify-full"
    monkeypatch.setenv("PGSSLMODE", "verify-full")
    write(profile_file, '[environments.remote]\nkind = "staging"\nhost = "db.example.com"\n')
    assert "sslmode" not in profiles.load_profile("remote").conninfo  # PGSSLMODE wins


@pytest.mark.parametrize("text, line, needle, fix", [
    ('[environments.staging]\nkind = staging\n', 2, "not valid TOML", "double quotes"),
    ('[environments.staging]\nkind = "stagin"\n', 2, "kind must be one of", 'kind = "staging"'),
    ('[environments.staging]\nkind = "staging"\nhots = "x"\n', 3, "unknown setting 'hots'", "host"),
    ('[environments.staging]\nkind = "staging"\npassword = "x"\n', 3, "secrets never go in a profile", "keyring"),
    ('[environments.lab]\nkind = "sandbox"\nhost = "/tmp"\n', 1, "must say which role it plays", 'role = "staging"'),
    ('[environments.production]\nkind = "production"\nrole = "staging"\n', 3, "can only play production", "Remove the role"),
    ('[environments.staging]\nkind = "staging"\nport = "fifty"\n', 3, "port must be a whole number", "port = 5432"),
    ('[environments.staging]\nkind = "staging"\nsslmode = "required"\n', 3, "sslmode 'required'", "verify-full"),
    ('[environments.production]\nkind = "production"\ncolour = "green"\n', 3, "colour of sandbox environments", "Choose another"),
    ('[environments.production]\nkind = "production"\nlock_wait = "soon"\n', 3, "lock_wait must be a PostgreSQL duration", 'lock_wait = "2s"'),
    ('[environments.sandbox-production]\nkind = "sandbox"\nrole = "production"\n', 1, "built in and cannot be redefined", "another name"),
])
def test_malformed_profile_names_file_line_key_and_fix(profile_file, text, line, needle, fix):
    write(profile_file, text)
    with pytest.raises(WizardError) as err:
        list_environments()
    message = err.value.what
    assert str(profile_file) in message and f"line {line}" in message, message
    assert needle in message and fix in err.value.fix


def test_malformed_profile_is_one_message_on_the_cli(profile_file, capsys):
    write(profile_file, '[environments.staging]\nkind = "staging"\nhots = "db.example.com"\n')
    assert main(["run", "--headless", "--env", "staging", "--day", "monday"]) == 2
    err = capsys.readouterr().err
    assert "line 3" in err and "hots" in err and "Traceback" not in err


def test_save_and_forget_keep_the_rest_of_the_file(profile_file):
    write(profile_file, '# my environments\n[environments.staging]\nkind = "staging"  # ours\nhost = "localhost"\n')
    env = profiles.save_profile("production", "production", conninfo={"host": "db.example.com", "port": "5432",
                                                                       "dbname": "postgres", "user": "postgres"})
    assert env.conninfo["sslmode"] == "require" and env.conninfo["port"] == 5432
    text = profile_file.read_text()
    assert "# my environments" in text and "# ours" in text and "sslmode" not in text  # defaults are not written
    with pytest.raises(WizardError, match="already exists"):
        profiles.save_profile("production", "production", conninfo={"host": "other"})
    profiles.save_profile("production", "production", conninfo={"host": "other.example.com"}, replace=True)
    assert profiles.load_profile("production").conninfo["host"] == "other.example.com"
    assert profiles.forget("production") and not profiles.forget("production")
    assert profiles.profile_names() == ["staging"] and "# ours" in profile_file.read_text()
    with pytest.raises(WizardError, match="built in"):
        profiles.save_profile("sandbox-staging", "sandbox", role="staging")
    with pytest.raises(WizardError, match="never holds a password"):
        profiles.save_profile("x", "staging", conninfo={"password": "hunter22"})


USERS_FILE = """# Our Supabase projects. Ask Dana before touching production.

[environments.staging]
kind    = "staging"                      # the staging project
host    = "db.abcdefghijklmnop.supabase.co"
port    = 5432

# The pooler: prepared statements are off there.
[environments.production]
kind = 'production'
host = "aws-0-eu-central-1.pooler.supabase.com"
port = 6543   # transaction mode
"""


def test_adding_and_removing_a_profile_keeps_the_file_byte_for_byte(profile_file):
    write(profile_file, USERS_FILE)
    profiles.save_profile("qa", "staging", conninfo={"host": "db.qa.example.com", "dbname": "postgres"})
    added = profile_file.read_text()
    assert added.startswith(USERS_FILE)
    assert added[len(USERS_FILE):] == '\n[environments.qa]\nkind = "staging"\nhost = "db.qa.example.com"\ndbname = "postgres"\n'
    assert profiles.forget("qa")
    assert profile_file.read_text() == USERS_FILE


def test_removing_a_profile_takes_its_own_comments_and_leaves_the_others(profile_file):
    write(profile_file, USERS_FILE)
    assert profiles.forget("staging")
    assert profile_file.read_text() == USERS_FILE.replace(USERS_FILE[USERS_FILE.index("[environments.staging]"):
                                                                    USERS_FILE.index("# The pooler")], "")
    write(profile_file, USERS_FILE)
    assert profiles.forget("production")
    assert profile_file.read_text() == USERS_FILE[:USERS_FILE.index("# The pooler")].rstrip("\n") + "\n"


def test_replacing_a_profile_rewrites_only_its_section(profile_file):
    write(profile_file, USERS_FILE)
    profiles.save_profile("staging", "staging", conninfo={"host": "db.new.example.com"}, replace=True)
    head, tail = USERS_FILE.split("# The pooler")
    assert profile_file.read_text() == (
        head[:head.index("[environments.staging]")] + '[environments.staging]\nkind = "staging"\n'
        'host = "db.new.example.com"\n\n# The pooler' + tail)


def test_profile_file_permissions_are_never_loosened(profile_file):
    profiles.save_profile("qa", "staging", conninfo={"host": "localhost"})
    assert stat.S_IMODE(profile_file.stat().st_mode) == 0o600
    assert stat.S_IMODE(profile_file.parent.stat().st_mode) == 0o700
    profile_file.chmod(0o640)  # the operator's choice is kept, tighter or not
    profiles.save_profile("dev", "staging", conninfo={"host": "localhost"})
    assert stat.S_IMODE(profile_file.stat().st_mode) == 0o640
    profile_file.chmod(0o400)
    profiles.forget("dev")
    assert stat.S_IMODE(profile_file.stat().st_mode) == 0o400


# --- env add / list / forget ----------------------------------------------------------------------

def test_env_add_moves_the_password_to_the_keyring(profile_file, memory_keyring, capsys):
    url = "postgresql://postgres:s3cret-in-url@db.abcdefghijklmnop.supabase.co:5432/postgres"
    assert main(["env", "add", "staging", "--kind", "staging", "--url", url]) == 0
    out = capsys.readouterr().out
    assert "moved to the OS keyring" in out and "s3cret-in-url" not in out
    assert "s3cret-in-url" not in profile_file.read_text()
    assert memory_keyring.store[("migration-wizard", "staging:db_password")] == "s3cret-in-url"
    env = profiles.load_profile("staging")
    assert env.conninfo == {"host": "db.abcdefghijklmnop.supabase.co", "port": 5432, "dbname": "postgres",
                            "user": "postgres", "sslmode": "require"}
    kv = "host=aws-0-eu-west-2.pooler.supabase.com port=6543 dbname=postgres user=postgres.abcdefghijklmnop"
    assert main(["env", "add", "production", "--kind", "production", "--url", kv]) == 0
    assert profiles.load_profile("production").conninfo["pooler"] is True
    assert main(["env", "list"]) == 0
    out = capsys.readouterr().out
    assert "in keyring" in out and "asked on first use" in out and "(pooler)" in out and "sandbox-production" in out
    assert main(["env", "forget", "staging"]) == 0
    assert "Removed db_password of staging" in capsys.readouterr().out
    assert memory_keyring.store == {}
    assert main(["env", "forget", "staging", "--profile"]) == 0
    assert profiles.profile_names() == ["production"]


def test_env_add_without_a_keyring_saves_no_password(profile_file, capsys, tmp_path):
    from keyring.backends import fail

    secrets.use_backend(fail.Keyring())
    try:
        url = "postgresql://postgres:no-keyring-pw-77@db.example.com/postgres"
        assert main(["env", "add", "staging", "--kind", "staging", "--url", url]) == 0
    finally:
        secrets.use_backend(None)
    captured = capsys.readouterr()
    assert "not saved anywhere" in captured.out and secrets.NO_KEYRING in captured.err
    for path in tmp_path.rglob("*"):
        if path.is_file():
            assert b"no-keyring-pw-77" not in path.read_bytes(), path


@pytest.mark.parametrize("argv, needle", [
    (["env", "add", "sandbox-staging", "--kind", "sandbox", "--role", "staging", "--url", "host=/tmp"], "built in"),
    (["env", "add", "lab", "--kind", "sandbox", "--url", "host=/tmp"], "must say which role"),
    (["env", "add", "staging", "--kind", "staging", "--url", "postgresql://u:pw-in-bad-url@h:notaport/db"], "environments.staging.port: port must be a whole number"),
    (["env", "add", "staging", "--kind", "staging", "--url", "host=x badkey=1"], "not a libpq"),
    (["env", "test", "nowhere"], "Unknown environment 'nowhere'"),
])
def test_env_usage_errors_exit_2(profile_file, memory_keyring, capsys, argv, needle):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert needle in err and "Traceback" not in err and "pw-in-bad-url" not in err


# --- libpq conventions, pooler, env test -----------------------------------------------------------

def test_env_test_uses_pg_variables_and_reports_the_pin(clusters, profile_file, memory_keyring, capsys, monkeypatch, tmp_path):
    from wizard.rehearsal import clusters as sandbox

    info = sandbox.conninfo("sandbox-staging")
    # Only the host is in the profile: user and database come from libpq's PG* variables.
    write(profile_file, f'[environments.lab]\nkind = "sandbox"\nrole = "staging"\nhost = "{info["host"]}"\n')
    monkeypatch.setenv("PGUSER", "postgres")
    monkeypatch.setenv("PGDATABASE", "pristine")
    journal = tmp_path / "j.jsonl"
    assert main(["env", "test", "lab", "--journal", str(journal)]) == 0
    out = capsys.readouterr().out
    assert "/pristine" in out and "pg_control_system" in out and "pin: pinned now in" in out and "PostgreSQL" in out


def test_pooler_profile_turns_prepared_statements_off(clusters, profile_file):
    from wizard.environments import connect
    from wizard.rehearsal import clusters as sandbox

    info = sandbox.conninfo("sandbox-staging")
    write(profile_file, f'[environments.pooled]\nkind = "sandbox"\nrole = "staging"\nhost = "{info["host"]}"\n'
                        'user = "postgres"\ndbname = "pristine"\npooler = true\n')
    env = profiles.load_profile("pooled")

    async def check() -> object:
        conn = await connect(env)
        try:
            return conn.prepare_threshold
        finally:
            await conn.close()

    assert asyncio.run(check()) is None
