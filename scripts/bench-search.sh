#!/usr/bin/env bash
# Resource search benchmark (issue 7): GET /hsds/services?search=… through HTTP at 16
# connections (wrk, the 49 judged queries of crates/lantern-search/tests/queries.jsonl in
# turn), on the Miami 211 directory (when ../shared/data is here) and on 100,000 generated
# services; the Miami import time; and, in the same run, the engine against SQLite FTS5 and PostgreSQL full-text search on
# the plain-text part of the same queries (crates/lantern-search/examples/bench.rs).
# Usage: bash scripts/bench.sh search      BENCH_SECS (15), BENCH_CONNS (16), BENCH_SERVICES (100000)
set -euo pipefail
cd "$(dirname "$0")/.."
SECS="${BENCH_SECS:-15}"
CONNS="${BENCH_CONNS:-16}"
SERVICES="${BENCH_SERVICES:-100000}"
MIAMI=../shared/data/hsds/open211-miami-hsds-1.1
command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
[ -n "${BENCH_NO_BUILD:-}" ] || cargo build --release -q
TARGET="${CARGO_TARGET_DIR:-target}"
BIN="$TARGET/release/lantern"
WORK=target/bench-search
rm -rf "$WORK" && mkdir -p "$WORK"
export LANTERN_LOG=warn

# The query paths, one per line, for the wrk script.
python3 - "$WORK/paths.txt" <<'PY'
import json, sys, urllib.parse
with open("crates/lantern-search/tests/queries.jsonl") as f, open(sys.argv[1], "w") as out:
    for line in f:
        if line.strip():
            q = json.loads(line)["query"]
            out.write("/hsds/services?search=" + urllib.parse.quote_plus(q) + "&page=1&per_page=10\n")
PY
cat > "$WORK/queries.lua" <<'LUA'
local paths = {}
for line in io.lines(os.getenv("PATHS")) do paths[#paths + 1] = line end
local i = 0
request = function()
  i = i % #paths + 1
  return wrk.format("GET", paths[i])
end
done = function(summary, latency, requests)
  io.write(string.format("RESULT rps=%.0f p50=%.2f p95=%.2f p99=%.2f errors=%d\n",
    summary.requests / (summary.duration / 1e6), latency:percentile(50) / 1000, latency:percentile(95) / 1000,
    latency:percentile(99) / 1000, summary.errors.status + summary.errors.connect + summary.errors.read + summary.errors.timeout))
end
LUA

run() { # name data-dir
  local name="$1" dir="$2" port=$((19000 + RANDOM % 1000))
  "$BIN" directory settings --public on --data-dir "$dir" >/dev/null
  "$BIN" serve --addr 127.0.0.1:$port --data-dir "$dir" > "$WORK/$name.log" 2>&1 &
  local pid=$!
  until curl -sf "http://127.0.0.1:$port/healthz" >/dev/null; do sleep 0.05; done
  local t0; t0=$(date +%s%N)
  curl -sf "http://127.0.0.1:$port/hsds/services?search=food&per_page=1" >/dev/null
  echo "$name: first search (builds the index): $(( ($(date +%s%N) - t0) / 1000000 )) ms"
  PATHS="$WORK/paths.txt" wrk -t2 -c"$CONNS" -d"${SECS}s" -s "$WORK/queries.lua" "http://127.0.0.1:$port" > "$WORK/$name.wrk" 2>&1
  echo "$name: $(grep RESULT "$WORK/$name.wrk" | sed 's/RESULT //') (ms, $CONNS connections, ${SECS} s); RSS $(awk '/VmRSS/ {printf "%d MB", $2/1024}' /proc/$pid/status)"
  kill $pid; wait $pid 2>/dev/null || true
}

if [ -d "$MIAMI" ]; then
  t0=$(date +%s%N)
  "$BIN" directory import "$MIAMI" --data-dir "$WORK/miami" | tail -3
  echo "miami: import $(( ($(date +%s%N) - t0) / 1000000 )) ms (target < 5 s)"
  run miami "$WORK/miami"
else
  echo "skipped: the Miami data is not at $MIAMI"
fi
"$BIN" directory generate --services "$SERVICES" --seed 1 --data-dir "$WORK/synthetic"
run "synthetic-$SERVICES" "$WORK/synthetic"

echo "== in-process engine vs SQLite FTS5 and PostgreSQL full-text search (plain-text part of the same queries)"
cargo run --release -q -p lantern-search --example bench
