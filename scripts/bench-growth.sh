#!/usr/bin/env bash
# Growth benchmark (issue 9): the competency profile of a specialist with three
# years of generated evidence (BENCH_PER_WEEK signed notes a week, default 20:
# about 3,100 notes), at 16 connections, on SQLite and PostgreSQL: the page
# /growth (four quarters) and the API /api/v1/growth/profile?quarters=12.
# Target: p99 < 50 ms.
# Usage: bash scripts/bench.sh growth [sqlite|postgres|both]
#   BENCH_PEOPLE (2000), BENCH_YEARS (3), BENCH_PER_WEEK (20), BENCH_SECS (15), BENCH_CONNS (16), BENCH_NO_BUILD
set -euo pipefail
cd "$(dirname "$0")/.."
which_db="${1:-both}"
PEOPLE="${BENCH_PEOPLE:-2000}"
YEARS="${BENCH_YEARS:-3}"
PER_WEEK="${BENCH_PER_WEEK:-20}"
SECS="${BENCH_SECS:-15}"
CONNS="${BENCH_CONNS:-16}"
PW="bench-password-123"
PG_BASE="${LANTERN_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/test}"
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
if [ -z "${BENCH_NO_BUILD:-}" ]; then
  cargo build --release -q -p lantern-cli
  cargo build --release -q -p lantern-cli --example growth_evidence
fi
TARGET="${CARGO_TARGET_DIR:-target}"
BIN="$TARGET/release/lantern"
GEN="$TARGET/release/examples/growth_evidence"
WORK=target/bench
mkdir -p "$WORK"
export LANTERN_DEMO_PASSWORD="$PW" LANTERN_LOG=warn

latency() { awk '/Requests\/sec/ {rps=$2} $1=="50.000%" || $1=="50%" {p50=$2} $1=="99.000%" || $1=="99%" {p99=$2} END {printf "%s %s %s", rps, p50, p99}' "$1"; }

run() { # name db-args...
  local name="$1"; shift
  local port=$((20000 + RANDOM % 1000))
  "$BIN" serve --addr 127.0.0.1:$port --ip-attempts-per-minute 1000000 "$@" > "$WORK/$name.serve.log" 2>&1 &
  local pid=$!
  until curl -sf "http://127.0.0.1:$port/healthz" >/dev/null; do sleep 0.05; done
  sleep 2
  local jar="$WORK/$name.cookies"; rm -f "$jar"
  local csrf; csrf=$(curl -s -c "$jar" -b "$jar" "http://127.0.0.1:$port/login" | grep -o 'name="csrf" value="[^"]*"' | sed 's/.*value="//;s/"$//')
  curl -s -c "$jar" -b "$jar" -o /dev/null -d "email=specialist%40demo&password=$PW&csrf=$csrf&next=" "http://127.0.0.1:$port/login"
  local session; session=$(awk '$6=="lantern_session" {print $7}' "$jar")
  [ -n "$session" ] || { echo "sign-in failed"; kill $pid; return 1; }
  local evidence; evidence=$(curl -s -H "Cookie: lantern_session=$session" "http://127.0.0.1:$port/api/v1/growth/profile?quarters=12" | grep -o '"contacts":[0-9]*' | awk -F: '{s+=$2} END {print s}')
  echo "== $name: specialist@demo, category-contacts over 12 quarters: $evidence"
  printf '%-40s %10s %10s %10s\n' "path" "req/s" "p50" "p99"
  for path in /growth "/api/v1/growth/profile?quarters=12"; do
    wrk -t2 -c"$CONNS" -d"${SECS}s" --latency -H "Cookie: lantern_session=$session" "http://127.0.0.1:$port$path" > "$WORK/$name.wrk" 2>&1
    read -r rps p50 p99 <<<"$(latency "$WORK/$name.wrk")"
    local errs; errs=$(grep -E "Non-2xx|Socket errors" "$WORK/$name.wrk" | tr '\n' ' ' || true)
    printf '%-40s %10s %10s %10s %s\n' "$path" "$rps" "$p50" "$p99" "$errs"
  done
  kill -INT $pid; wait $pid 2>/dev/null || true
}

if [ "$which_db" = sqlite ] || [ "$which_db" = both ]; then
  dir="$WORK/growth-sqlite"
  rm -rf "$dir"; mkdir -p "$dir"
  "$BIN" demo generate --people "$PEOPLE" --seed 1 --data-dir "$dir" > "$dir/generate.log" 2>&1
  "$GEN" --data-dir "$dir" --years "$YEARS" --per-week "$PER_WEEK"
  run growth-sqlite --data-dir "$dir"
fi
if [ "$which_db" = postgres ] || [ "$which_db" = both ]; then
  db=lantern_bench_growth
  url="${PG_BASE%/*}/$db"
  psql "$PG_BASE" -qc "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
  "$BIN" demo generate --people "$PEOPLE" --seed 1 --database-url "$url" > "$WORK/growth-pg.generate.log" 2>&1
  "$GEN" --database-url "$url" --years "$YEARS" --per-week "$PER_WEEK"
  run growth-postgres --database-url "$url"
fi
