#!/usr/bin/env bash
# Lantern's foundation benchmark: 50,000 synthetic people, the caseload page of a
# specialist with 60 people and a person's page at 32 connections (wrk), a
# sign-in flood, start-up time and memory (RSS) — on SQLite and PostgreSQL.
# Usage: bash scripts/bench.sh [sqlite|postgres|both]   (default both)
set -euo pipefail
cd "$(dirname "$0")/.."
which_db="${1:-both}"
PEOPLE="${BENCH_PEOPLE:-50000}"
SECS="${BENCH_SECS:-15}"
CONNS="${BENCH_CONNS:-32}"
PW="bench-password-123"
PG_BASE="${LANTERN_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/test}"
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
cargo build --release -q
BIN=target/release/lantern
WORK=target/bench
mkdir -p "$WORK"
export LANTERN_DEMO_PASSWORD="$PW" LANTERN_LOG=warn

latency() { # file -> "rps p50 p99"
  awk '/Requests\/sec/ {rps=$2} $1=="50.000%" || $1=="50%" {p50=$2} $1=="99.000%" || $1=="99%" {p99=$2} END {printf "%s %s %s", rps, p50, p99}' "$1"
}

run_one() { # name db-args...
  local name="$1"; shift
  local port=$((18000 + RANDOM % 1000))
  echo "== $name: $PEOPLE people"
  local started; started=$(date +%s%N)
  "$BIN" serve --addr 127.0.0.1:$port --ip-attempts-per-minute 1000000 "$@" > "$WORK/$name.serve.log" 2>&1 &
  local pid=$!
  until curl -sf "http://127.0.0.1:$port/healthz" >/dev/null; do sleep 0.02; done
  local ready=$(( ($(date +%s%N) - started) / 1000000 ))
  echo "start-up until /healthz answers: ${ready} ms ($(grep -o 'started in [0-9]* ms' "$WORK/$name.serve.log"))"
  local jar="$WORK/$name.cookies"
  rm -f "$jar"
  local csrf; csrf=$(curl -s -c "$jar" -b "$jar" "http://127.0.0.1:$port/login" | grep -o 'name="csrf" value="[^"]*"' | sed 's/.*value="//;s/"$//')
  curl -s -c "$jar" -b "$jar" -o /dev/null -d "email=specialist%40demo&password=$PW&csrf=$csrf&next=" "http://127.0.0.1:$port/login"
  local session; session=$(awk '$6=="lantern_session" {print $7}' "$jar")
  [ -n "$session" ] || { echo "sign-in failed"; kill $pid; return 1; }
  local rows; rows=$(curl -s -H "Cookie: lantern_session=$session" "http://127.0.0.1:$port/caseload" | grep -c 'href="/people/[0-9]*"' || true)
  local person; person=$(curl -s -H "Cookie: lantern_session=$session" "http://127.0.0.1:$port/caseload" | grep -o 'href="/people/[0-9]*"' | head -1 | grep -o '[0-9]*')
  echo "caseload rows for specialist@demo: $rows; person page: /people/$person"
  printf '%-22s %10s %10s %10s\n' "page" "req/s" "p50" "p99"
  for path in /caseload "/people/$person"; do
    wrk -t2 -c"$CONNS" -d"${SECS}s" --latency -H "Cookie: lantern_session=$session" "http://127.0.0.1:$port$path" > "$WORK/$name.wrk" 2>&1
    read -r rps p50 p99 <<<"$(latency "$WORK/$name.wrk")"
    local errs; errs=$(grep -E "Non-2xx|Socket errors" "$WORK/$name.wrk" | tr '\n' ' ' || true)
    printf '%-22s %10s %10s %10s %s\n' "$path" "$rps" "$p50" "$p99" "$errs"
  done
  echo "RSS after page load: $(awk '/VmRSS/ {print $2/1024 " MB"}' /proc/$pid/status), peak $(awk '/VmHWM/ {print $2/1024 " MB"}' /proc/$pid/status)"
  # Sign-in flood: wrong passwords as fast as 32 connections can send them.
  local lcsrf; lcsrf=$(curl -s -c "$jar.l" "http://127.0.0.1:$port/login" | grep -o 'name="csrf" value="[^"]*"' | sed 's/.*value="//;s/"$//')
  # A different address each time, so every attempt reaches the password hash
  # (repeated failures for one address are made to wait before hashing).
  cat > "$WORK/flood.lua" <<LUA
local n = 0
request = function()
  n = n + 1
  local body = "email=nobody" .. n .. "-" .. math.random(1, 1000000000) .. "%40demo&password=not-the-password&csrf=$lcsrf&next="
  return wrk.format("POST", nil, {["Content-Type"] = "application/x-www-form-urlencoded", ["Cookie"] = "lantern_login=$lcsrf"}, body)
end
LUA
  wrk -t2 -c"$CONNS" -d10s --latency -s "$WORK/flood.lua" "http://127.0.0.1:$port/login" > "$WORK/$name.flood" 2>&1
  read -r rps p50 p99 <<<"$(latency "$WORK/$name.flood")"
  echo "sign-in flood (argon2id m=19MiB t=2, 2 at a time): $rps attempts/s, p50 $p50, p99 $p99; peak RSS $(awk '/VmHWM/ {print $2/1024 " MB"}' /proc/$pid/status)"
  kill -INT $pid; wait $pid 2>/dev/null || true
  "$BIN" audit verify "$@" | tail -1
}

if [ "$which_db" = sqlite ] || [ "$which_db" = both ]; then
  dir="$WORK/sqlite-$PEOPLE"
  if [ ! -f "$dir/lantern.db" ]; then
    echo "generating $PEOPLE people into $dir"
    /usr/bin/time -f "generated in %e s, peak RSS %M KB" "$BIN" demo generate --people "$PEOPLE" --seed 1 --data-dir "$dir"
  fi
  run_one sqlite --data-dir "$dir"
fi
if [ "$which_db" = postgres ] || [ "$which_db" = both ]; then
  db="${BENCH_PG_DB:-lantern_bench_$PEOPLE}"
  url="${PG_BASE%/*}/$db"
  if ! psql "$url" -qtAc "SELECT 1 FROM orgs WHERE slug='demo'" 2>/dev/null | grep -q 1; then
    psql "$PG_BASE" -qc "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
    echo "generating $PEOPLE people into PostgreSQL $db"
    /usr/bin/time -f "generated in %e s, peak RSS %M KB" "$BIN" demo generate --people "$PEOPLE" --seed 1 --database-url "$url"
  fi
  run_one postgres --database-url "$url"
fi
