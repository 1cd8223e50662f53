#!/usr/bin/env bash
# pgvector for Debian's PostgreSQL 15 (the blank-Supabase sandbox, `sandbox reset NAME --empty`).
#
# Debian 12 packages no pgvector for PostgreSQL 15 (Debian 13 does, for 17), so this builds the
# source Debian itself ships (its archive's pgvector 0.8.0 .orig tarball, checked against the
# SHA-256 Debian's Sources index gives) against postgresql-server-dev-15, and installs it into
# Debian's PostgreSQL 15. Root only; does nothing when vector is already there.
set -euo pipefail
PG_CONFIG=/usr/lib/postgresql/15/bin/pg_config
VERSION=0.8.0
SHA256=867a2c328d4928a5a9d6f052cd3bc78c7d60228a9b914ad32aa3db88e9de27b0
URL="http://deb.debian.org/debian/pool/main/p/pgvector/pgvector_${VERSION}.orig.tar.gz"

[ -x "$PG_CONFIG" ] || { echo "install-pgvector: Debian's PostgreSQL 15 is not installed (apt-get install postgresql-15)" >&2; exit 1; }
if [ -f "$("$PG_CONFIG" --sharedir)/extension/vector.control" ]; then
  exit 0
fi
[ "$(id -u)" = 0 ] || { echo "install-pgvector: run it as root (it installs into $("$PG_CONFIG" --pkglibdir))" >&2; exit 1; }
if [ ! -f "$("$PG_CONFIG" --pgxs)" ]; then
  get() { DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql-server-dev-15 >/dev/null; }
  get || { apt-get update -qq && get; }  # package lists may be older than the archive
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
curl -fsSL --retry 3 -o "$work/pgvector.tar.gz" "$URL"
echo "$SHA256  $work/pgvector.tar.gz" | sha256sum -c --quiet -
tar -xzf "$work/pgvector.tar.gz" -C "$work"
# OPTFLAGS="": no -march=native, so the library runs on any x86-64 machine the data dir moves to.
make -s -C "$work/pgvector-${VERSION}" PG_CONFIG="$PG_CONFIG" OPTFLAGS="" >/dev/null
make -s -C "$work/pgvector-${VERSION}" PG_CONFIG="$PG_CONFIG" install >/dev/null
echo "install-pgvector: vector ${VERSION} installed for PostgreSQL 15"
