#!/usr/bin/env bash
# Lantern's foundation benchmark: 50,000 synthetic people, the caseload page of a
# specialist with 60 people and a person's page at 32 connections (wrk), a
# sign-in flood, start-up time and memory (RSS) — on SQLite and PostgreSQL.
# Usage: bash scripts/bench.sh [sqlite|postgres|both]   (default both)
#
# The encounter benchmark (issue 5): 50,000 people and 2,000,000 signed notes;
# the person page of someone with 500 notes (its timeline paged) at 32
# connections, signing notes through the API (p50/p99 at 1, 4 and 32 at once),
# and the quarter's units report (page CSV and CLI) — on SQLite and PostgreSQL.
# Usage: bash scripts/bench.sh encounters [sqlite|postgres|both]
# The growth benchmark (issue 9): bash scripts/bench.sh growth [sqlite|postgres|both] (see scripts/bench-growth.sh).
# Practice questions: bash scripts/bench.sh practice [sqlite|postgres|both]
#   BENCH_PEOPLE (50000), BENCH_ENCOUNTERS (2000000), BENCH_SECS (15), BENCH_CONNS (32), BENCH_DRAFTS (2000), BENCH_WARMUP (5), BENCH_NO_BUILD
set -euo pipefail
cd "$(dirname "$0")/.."
mode=foundation
if [ "${1:-}" = search ]; then shift; exec bash scripts/bench-search.sh "$@"; fi
if [ "${1:-}" = growth ]; then shift; exec bash scripts/bench-growth.sh "$@"; fi
# Practice questions (issue 9): next question (GET /growth/practice) at 16 connections with
# 100 learners × 2 years of FSRS review history, on SQLite and PostgreSQL.
# Usage: bash scripts/bench.sh practice [sqlite|postgres|both]   (BENCH_LEARNERS, BENCH_DAYS, BENCH_SECS)
if [ "${1:-}" = practice ]; then
  shift
  cargo build --release -q -p lantern-cli --example practice_bench
  for db in $([ "${1:-both}" = both ] && echo "sqlite postgres" || echo "$1"); do
    "${CARGO_TARGET_DIR:-target}/release/examples/practice_bench" --db "$db" --learners "${BENCH_LEARNERS:-100}" --days "${BENCH_DAYS:-730}" --secs "${BENCH_SECS:-15}" --conns 16
  done
  exit 0
fi
if [ "${1:-}" = encounters ]; then mode=encounters; shift; fi
which_db="${1:-both}"
PEOPLE="${BENCH_PEOPLE:-50000}"
SECS="${BENCH_SECS:-15}"
CONNS="${BENCH_CONNS:-32}"
PW="bench-password-123"
PG_BASE="${LANTERN_TEST_PG_URL:-postgres://postgres@127.0.0.1:5432/test}"
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
if [ -z "${BENCH_NO_BUILD:-}" ]; then # BENCH_NO_BUILD=1: use the release binaries already built
  cargo build --release -q
  if [ "$mode" = encounters ]; then cargo build --release -q -p lantern-cli --example sign_load; fi
fi
TARGET="${CARGO_TARGET_DIR:-target}"
BIN="$TARGET/release/lantern"
LOAD="$TARGET/release/examples/sign_load"
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

login() { # port email -> session cookie value
  local jar="$WORK/login.$$.cookies"
  rm -f "$jar"
  local csrf; csrf=$(curl -s -c "$jar" -b "$jar" "http://127.0.0.1:$1/login" | grep -o 'name="csrf" value="[^"]*"' | sed 's/.*value="//;s/"$//')
  curl -s -c "$jar" -b "$jar" -o /dev/null -d "email=$(echo "$2" | sed 's/@/%40/')&password=$PW&csrf=$csrf&next=" "http://127.0.0.1:$1/login"
  awk '$6=="lantern_session" {print $7}' "$jar"
  rm -f "$jar"
}

ms_since() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

wait_idle() { # pid: until the process uses (almost) no CPU for a second, at most 5 minutes
  local last=-1 now i
  for i in $(seq 1 300); do
    now=$(awk '{print $14 + $15}' /proc/$1/stat)
    if [ "$last" -ge 0 ] && [ $((now - last)) -le 2 ]; then return 0; fi
    last=$now; sleep 1
  done
}

run_encounters() { # name gen-log db-args...
  local name="$1" gen="$2"; shift 2
  local busy; busy=$(grep -o '/people/[0-9]*' "$gen" | head -1 | grep -o '[0-9]*')
  [ -n "$busy" ] || { echo "no 500-note person in $gen"; return 1; }
  local port=$((19000 + RANDOM % 1000))
  echo "== $name: $PEOPLE people, $ENCOUNTERS notes; the person with 500 notes is /people/$busy"
  "$BIN" serve --addr 127.0.0.1:$port --ip-attempts-per-minute 1000000 "$@" > "$WORK/$name.serve.log" 2>&1 &
  local pid=$!
  until curl -sf "http://127.0.0.1:$port/healthz" >/dev/null; do sleep 0.05; done
  # SQLite's background integrity check reads the whole file once after start: measure after it.
  local t0; t0=$(date +%s%N)
  wait_idle $pid
  echo "server idle (background integrity check done) $(ms_since "$t0") ms after /healthz"
  local session; session=$(login $port specialist@demo)
  [ -n "$session" ] || { echo "sign-in failed"; kill $pid; return 1; }
  local notes_shown; notes_shown=$(curl -s -H "Cookie: lantern_session=$session" "http://127.0.0.1:$port/people/$busy" | grep -o 'href="/notes/[0-9]*"' | wc -l)
  echo "person page: $notes_shown links to notes; timeline paged by 25, notes by 20"
  printf '%-28s %10s %10s %10s\n' "page (wrk, $CONNS connections)" "req/s" "p50" "p99"
  for path in "/people/$busy" "/people/$busy?page=11"; do
    # A short warm-up first: the measurement is of a server in its steady state (connections
    # open, statements prepared, pages in the OS cache), not of its first seconds.
    wrk -t2 -c"$CONNS" -d"${BENCH_WARMUP:-5}s" -H "Cookie: lantern_session=$session" "http://127.0.0.1:$port$path" > /dev/null 2>&1
    wrk -t2 -c"$CONNS" -d"${SECS}s" --latency -H "Cookie: lantern_session=$session" "http://127.0.0.1:$port$path" > "$WORK/$name.wrk" 2>&1
    read -r rps p50 p99 <<<"$(latency "$WORK/$name.wrk")"
    local errs; errs=$(grep -E "Non-2xx|Socket errors" "$WORK/$name.wrk" | tr '\n' ' ' || true)
    printf '%-28s %10s %10s %10s %s\n' "$path" "$rps" "$p50" "$p99" "$errs"
  done
  # The quarter before the current one, for the whole organization.
  local y m q from to
  y=$(date +%Y); m=$((10#$(date +%m))); q=$(( (m - 1) / 3 ))
  if [ $q -eq 0 ]; then y=$((y - 1)); q=4; fi
  from=$(printf '%d-%02d-01' "$y" $(( (q - 1) * 3 + 1 ))); to=$(date -d "$(printf '%d-%02d-01' "$y" $(( (q - 1) * 3 + 1 ))) +3 months -1 day" +%F)
  local lead; lead=$(login $port supervisor@demo)
  local rows
  for i in 1 2 3; do
    t0=$(date +%s%N)
    rows=$(curl -s -H "Cookie: lantern_session=$lead" "http://127.0.0.1:$port/reports/units?from=$from&to=$to&format=csv" | wc -l)
    echo "units report $from..$to, page CSV (run $i): $(ms_since "$t0") ms, $((rows - 1)) rows"
  done
  t0=$(date +%s%N)
  rows=$("$BIN" report units --from "$from" --to "$to" --format csv "$@" | wc -l)
  echo "units report $from..$to, lantern report units (CLI, includes start-up): $(ms_since "$t0") ms, $((rows - 1)) rows"
  # Signing: drafts created through the API, then signed; each draft once.
  local token; token=$("$BIN" token create --user specialist@demo "$@" | tail -1 | awk '{print $NF}')
  local people; people=$(curl -s -H "Cookie: lantern_session=$session" "http://127.0.0.1:$port/caseload" | grep -o 'href="/people/[0-9]*"' | grep -o '[0-9]*' | sort -un | head -60 | paste -sd, -)
  local today; today=$(TZ=America/New_York date +%F)
  for c in 1 4 "$CONNS"; do
    local n=$DRAFTS; [ "$c" -eq 1 ] && n=$((DRAFTS / 4))
    echo -n "signing (c=$c): "
    "$LOAD" --base "http://127.0.0.1:$port" --token "$token" --people "$busy,$people" --date "$today" --drafts "$n" --days 28 --concurrency "$c" | tail -1 || echo "the load client failed"
  done
  echo "RSS: $(awk '/VmRSS/ {print $2/1024 " MB"}' /proc/$pid/status), peak $(awk '/VmHWM/ {print $2/1024 " MB"}' /proc/$pid/status)"
  kill -INT $pid; wait $pid 2>/dev/null || true
  t0=$(date +%s%N)
  echo "$("$BIN" audit verify "$@" | tail -1) ($(ms_since "$t0") ms)"
}

if [ "$mode" = encounters ]; then
  ENCOUNTERS="${BENCH_ENCOUNTERS:-2000000}"
  DRAFTS="${BENCH_DRAFTS:-2000}"
  if [ "$which_db" = sqlite ] || [ "$which_db" = both ]; then
    dir="$WORK/sqlite-$PEOPLE-$ENCOUNTERS"
    if [ ! -f "$dir/generate.log" ]; then
      rm -rf "$dir"; mkdir -p "$dir"
      echo "generating $PEOPLE people and $ENCOUNTERS notes into $dir"
      /usr/bin/time -f "generated in %e s, peak RSS %M KB" "$BIN" demo generate --people "$PEOPLE" --encounters "$ENCOUNTERS" --seed 1 --data-dir "$dir" 2>&1 | tee "$dir/generate.tmp"
      mv "$dir/generate.tmp" "$dir/generate.log"
    fi
    echo "SQLite file: $(du -h "$dir/lantern.db" | cut -f1)"
    run_encounters sqlite-enc "$dir/generate.log" --data-dir "$dir"
  fi
  if [ "$which_db" = postgres ] || [ "$which_db" = both ]; then
    db="${BENCH_PG_DB:-lantern_bench_${PEOPLE}_$ENCOUNTERS}"
    url="${PG_BASE%/*}/$db"
    gen="$WORK/postgres-$PEOPLE-$ENCOUNTERS.generate.log"
    if [ ! -f "$gen" ] || ! psql "$url" -qtAc "SELECT 1 FROM orgs WHERE slug='demo'" 2>/dev/null | grep -q 1; then
      psql "$PG_BASE" -qc "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
      echo "generating $PEOPLE people and $ENCOUNTERS notes into PostgreSQL $db"
      /usr/bin/time -f "generated in %e s, peak RSS %M KB" "$BIN" demo generate --people "$PEOPLE" --encounters "$ENCOUNTERS" --seed 1 --database-url "$url" 2>&1 | tee "$gen.tmp"
      mv "$gen.tmp" "$gen"
    fi
    echo "PostgreSQL database: $(psql "$url" -qtAc "SELECT pg_size_pretty(pg_database_size(current_database()))")"
    run_encounters postgres-enc "$gen" --database-url "$url"
  fi
  exit 0
fi

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
