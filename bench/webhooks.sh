#!/usr/bin/env bash
# Webhook ingest throughput and latency: `connector-runtime serve` against a plain Node.js server
# running the same GitHub-style handle, side by side in one run.
#
#   bench/webhooks.sh
#
# Builds the release binary, installs wrk if missing (apt-get), then for each server below starts
# it pinned to CPU 0, and for each connection count runs wrk pinned to CPU 1: a warm-up, then the
# measured run, POSTing bench/fixtures/issues-opened.json (9.4 KB, a GitHub `issues` delivery) with
# a correct X-Hub-Signature-256 (bench/github.lua). The handle is
# bench/connectors/github-bench/events/issues/handle.js: HMAC-SHA256 of the raw body checked with
# timingSafeEqual, one record event out.
#
#   connector-runtime             serve, warm sandbox per subscription, one subscription; each event
#                                 stored durably (SQLite WAL, synchronous=FULL, group commit) before
#                                 the 200
#   node                          bench/node-server.mjs plain: node:http, the same handle.js, no
#                                 isolation, stores nothing
#   connector-runtime invocation  serve --isolation invocation: a fresh sandbox per webhook
#   node vm                       a fresh vm context per request (createContext + runInContext)
# Diagnostic rows (DIAG=0 skips them), not the product's durable configuration or not the default
# load shape:
#   connector-runtime, data on /dev/shm   the same as the first row with the database on tmpfs:
#                                         fsync costs nothing, NOT durable on disk
#   connector-runtime, 64 subscriptions   the load spread round-robin over 64 subscriptions (disk)
#
# Fails loudly if any response is not 2xx, on any socket error, or if fewer events are stored
# than webhooks were answered. Prints a Markdown table; the raw wrk output is kept in the work
# directory it names.
#
# Environment: DURATION (s, default 10), WARMUP (s, default 2), CONNS (default "16 64"), DIAG
# (default 1), CONNECTOR_RUNTIME_BIN (benchmark this binary instead of building one).
set -euo pipefail

DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
CONNS=${CONNS:-"16 64"}
DIAG=${DIAG:-1}
SECRET=bench-webhook-secret-6f1d0c
DIAG_SUBSCRIPTIONS=64

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH=$ROOT/bench
BODY=$BENCH/fixtures/issues-opened.json

die() { echo "webhooks.sh: $*" >&2; exit 1; }

# ---- prerequisites --------------------------------------------------------------------------
command -v node >/dev/null || die "node is required (the baseline server)"
command -v curl >/dev/null || die "curl is required"
command -v taskset >/dev/null || die "taskset (util-linux) is required for pinning"
[ "$(nproc --all)" -ge 2 ] || die "needs 2 CPUs: the server on CPU 0, wrk on CPU 1"
if ! command -v wrk >/dev/null; then
  echo "== installing wrk"
  SUDO=; [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get install -y wrk >/dev/null 2>&1 ||
    { $SUDO apt-get update >/dev/null && $SUDO apt-get install -y wrk >/dev/null; } ||
    die "cannot install wrk (apt-get install -y wrk)"
fi

if [ -n "${CONNECTOR_RUNTIME_BIN:-}" ]; then
  BIN=$CONNECTOR_RUNTIME_BIN
else
  echo "== cargo build --release"
  (cd "$ROOT" && cargo build --release --quiet)
  BIN=${CARGO_TARGET_DIR:-$ROOT/target}/release/connector-runtime
fi
[ -x "$BIN" ] || die "no binary at $BIN"

WORK=$(mktemp -d "${TMPDIR:-/tmp}/webhooks-bench.XXXXXX")
SHM=
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  [ -n "$SHM" ] && rm -rf "$SHM"
  return 0
}
trap cleanup EXIT

SIGNATURE="sha256=$(node -e '
  const { createHmac } = require("node:crypto");
  const body = require("node:fs").readFileSync(process.argv[1]);
  process.stdout.write(createHmac("sha256", process.argv[2]).update(body).digest("hex"));
' "$BODY" "$SECRET")"

# ---- servers --------------------------------------------------------------------------------
SERVER_PID=
URL=

# wait_listening LOG_OUT: sets URL from the server's `listening on http://...` line.
wait_listening() {
  for _ in $(seq 100); do
    URL=$(sed -n 's/^listening on //p' "$1" | head -n1)
    [ -n "$URL" ] && return 0
    kill -0 "$SERVER_PID" 2>/dev/null || break
    sleep 0.1
  done
  die "server did not start; see $1 and ${1%.out}.log"
}

# start_cr NAME DATA_DIR ISOLATION
start_cr() {
  taskset -c 0 "$BIN" serve --connectors "$BENCH/connectors" --data "$2" --isolation "$3" \
    --listen 127.0.0.1:0 >"$WORK/$1.out" 2>"$WORK/$1.log" &
  SERVER_PID=$!
  PIDS+=("$SERVER_PID")
  wait_listening "$WORK/$1.out"
}

# start_node NAME MODE
start_node() {
  BENCH_SECRET=$SECRET taskset -c 0 node "$BENCH/node-server.mjs" "$2" \
    >"$WORK/$1.out" 2>"$WORK/$1.log" &
  SERVER_PID=$!
  PIDS+=("$SERVER_PID")
  wait_listening "$WORK/$1.out"
}

stop_server() {
  kill -TERM "$SERVER_PID" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$SERVER_PID" 2>/dev/null || true
  wait "$SERVER_PID" 2>/dev/null || true
}

# subscribe: prints the id of a new github-bench/issues subscription carrying the secret.
subscribe() {
  local reply
  reply=$(curl -sS -w '\n%{http_code}' -X POST "$URL/api/subscriptions" \
    -H 'content-type: application/json' \
    -d "{\"connector\":\"github-bench\",\"event\":\"issues\",\"parameters\":{\"secret\":\"$SECRET\"}}")
  [ "$(tail -n1 <<<"$reply")" = 201 ] || die "POST /api/subscriptions failed: $reply"
  node -e 'const s = JSON.parse(process.argv[1]);
    if (s.status !== "active") { console.error("subscription not active:", s); process.exit(1); }
    process.stdout.write(s.id);' "$(head -n -1 <<<"$reply")"
}

# ---- load -----------------------------------------------------------------------------------
ANSWERED=0   # webhooks answered by the current server, warm-ups included
RESULTS=$WORK/results.tsv
: >"$RESULTS"

# cpu_ticks PID: user+system CPU time of the process so far, in clock ticks.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# load LABEL TARGET_URL CONNS: a warm-up, then the measured run; appends a row to $RESULTS.
load() {
  local label=$1 target=$2 conns=$3 out line t0 t1
  for phase in warmup run; do
    local seconds=$DURATION
    [ "$phase" = warmup ] && seconds=$WARMUP
    out="$WORK/wrk-${label//[^A-Za-z0-9-]/_}-c$conns-$phase.txt"
    t0=$(cpu_ticks "$SERVER_PID")
    taskset -c 1 wrk -t1 -c"$conns" -d"${seconds}s" --timeout 10s --latency \
      -s "$BENCH/github.lua" "$target" -- "$BODY" "$SIGNATURE" >"$out" 2>&1 ||
      { cat "$out"; die "wrk failed ($label, $conns connections)"; }
    t1=$(cpu_ticks "$SERVER_PID")
    line=$(grep '^RESULT ' "$out") || { cat "$out"; die "no RESULT line from wrk"; }
    local requests rps p50 p99 non2xx socket
    requests=$(sed -E 's/.* requests=([0-9]+).*/\1/' <<<"$line")
    rps=$(sed -E 's/.* rps=([0-9.]+).*/\1/' <<<"$line")
    p50=$(sed -E 's/.* p50_us=([0-9]+).*/\1/' <<<"$line")
    p99=$(sed -E 's/.* p99_us=([0-9]+).*/\1/' <<<"$line")
    non2xx=$(sed -E 's/.* non2xx=([0-9]+).*/\1/' <<<"$line")
    socket=$(awk '{ for (i = 1; i <= NF; i++) if ($i ~ /^(connect|read|write|timeout)=/) { split($i, kv, "="); s += kv[2] } } END { print s + 0 }' <<<"$line")
    if [ "$non2xx" != 0 ] || [ "$socket" != 0 ] || grep -q 'Non-2xx' "$out"; then
      cat "$out"
      die "$label, $conns connections: $non2xx responses not 2xx, $socket socket errors"
    fi
    [ "$requests" -gt 0 ] || die "$label: no request answered"
    ANSWERED=$((ANSWERED + requests))
    if [ "$phase" = run ]; then
      # CPU time the server used per answered webhook, and how busy it kept its core.
      local hz cpu_us busy
      hz=$(getconf CLK_TCK)
      cpu_us=$(awk -v t="$((t1 - t0))" -v hz="$hz" -v n="$requests" 'BEGIN { printf "%.0f", t / hz * 1e6 / n }')
      busy=$(awk -v t="$((t1 - t0))" -v hz="$hz" -v d="$DURATION" 'BEGIN { printf "%.0f", t / hz / d * 100 }')
      printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$label" "$conns" "$rps" "$p50" "$p99" "$cpu_us" "$busy" >>"$RESULTS"
      printf '   %-45s c=%-3s %9.0f req/s  p50 %6.2f ms  p99 %7.2f ms  CPU %4s µs/req, core %3s%% busy\n' \
        "$label" "$conns" "$rps" "$(awk -v u="$p50" 'BEGIN { print u / 1000 }')" \
        "$(awk -v u="$p99" 'BEGIN { print u / 1000 }')" "$cpu_us" "$busy"
    fi
  done
}

# check_stored: the events of every answered webhook are in GET /api/events (paged through).
check_stored() {
  local first stored
  first=$(curl -sS --fail "$URL/api/events?limit=1") || die "GET /api/events failed"
  node -e 'const e = JSON.parse(process.argv[1]).events[0];
    if (!e || e.type !== "created" || e.connector !== "github-bench" || !e.record.title) {
      console.error("unexpected first event:", JSON.stringify(e)); process.exit(1); }
    console.log("   first stored event: id", e.id, e.type, JSON.stringify(e.record));' "$first" ||
    die "the first stored event is not the webhook's"
  stored=$(node --input-type=module -e '
    let after = 0, count = 0;
    for (;;) {
      const page = await (await fetch(`${process.argv[1]}/api/events?after=${after}&limit=1000`)).json();
      count += page.events.length;
      if (page.events.length === 0) break;
      after = page.next;
    }
    console.log(count);' "$URL") || die "paging through GET /api/events failed"
  echo "   events stored: $stored for $ANSWERED webhooks answered (warm-ups included)"
  [ "$stored" -ge "$ANSWERED" ] || die "fewer events stored ($stored) than webhooks answered ($ANSWERED)"
}

# cr_case LABEL DATA_DIR ISOLATION [SUBSCRIPTIONS]
cr_case() {
  local label=$1 data=$2 isolation=$3 count=${4:-1} ids=() target
  echo "== $label"
  start_cr "cr-${label//[^A-Za-z0-9-]/_}" "$data" "$isolation"
  for _ in $(seq "$count"); do ids+=("$(subscribe)"); done
  ANSWERED=0
  if [ "$count" -eq 1 ]; then
    target="$URL/webhooks/${ids[0]}"
    for c in $CONNS; do load "$label" "$target" "$c"; done
  else
    local joined
    joined=$(IFS=,; echo "${ids[*]}")
    for c in $CONNS; do BENCH_SUBSCRIPTIONS=$joined load "$label" "$URL/" "$c"; done
  fi
  check_stored
  stop_server
  rm -rf "$data"
}

node_case() {
  echo "== $1"
  start_node "node-${2}" "$2"
  for c in $CONNS; do load "$1" "$URL/" "$c"; done
  stop_server
}

echo "== $(nproc --all) CPUs; servers on CPU 0, wrk on CPU 1; ${WARMUP}s warm-up + ${DURATION}s per run"
echo "   binary: $BIN"
echo "   node:   $(node --version); wrk: $(wrk -v 2>&1 | head -n1 | cut -d' ' -f1-2)"
echo "   work directory (wrk output, server logs): $WORK"

cr_case "connector-runtime" "$WORK/data-subscription" subscription
node_case "node" plain
cr_case "connector-runtime --isolation invocation" "$WORK/data-invocation" invocation
node_case "node vm (fresh context per request)" vm
if [ "$DIAG" = 1 ]; then
  if [ -d /dev/shm ]; then
    SHM=$(mktemp -d /dev/shm/webhooks-bench.XXXXXX)
    cr_case "diag: connector-runtime, data on /dev/shm" "$SHM/data" subscription
  fi
  cr_case "diag: connector-runtime, $DIAG_SUBSCRIPTIONS subscriptions" "$WORK/data-many" subscription \
    "$DIAG_SUBSCRIPTIONS"
fi

# ---- table ----------------------------------------------------------------------------------
echo
echo "| server | connections | requests/s | p50 | p99 | CPU per webhook | ratio to Node (req/s) |"
echo "|---|---|---|---|---|---|---|"
awk -F'\t' '
  function ms(us) { return sprintf("%.2f ms", us / 1000) }
  { label[NR] = $1; conns[NR] = $2; rps[NR] = $3; p50[NR] = $4; p99[NR] = $5; cpu[NR] = $6
    if ($1 == "node") node[$2] = $3
    if ($1 ~ /^node vm/) vm[$2] = $3 }
  END {
    for (i = 1; i <= NR; i++) {
      base = (label[i] ~ /isolation invocation/) ? vm[conns[i]] : node[conns[i]]
      ratio = (label[i] ~ /^node/ || base == "") ? "" : sprintf("%.2f×", rps[i] / base)
      printf "| %s | %s | %.0f | %s | %s | %s µs | %s |\n", label[i], conns[i], rps[i], ms(p50[i]), ms(p99[i]), cpu[i], ratio
    }
  }' "$RESULTS"
echo
echo "Ratios: connector-runtime and its diag rows against node; --isolation invocation against node vm."
