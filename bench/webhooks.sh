#!/usr/bin/env bash
# Webhook ingest throughput and latency: `connector-runtime serve` against a plain Node.js server
# running the same GitHub-style handle, side by side in one run.
#
#   bench/webhooks.sh
#
# Builds the release binary, installs wrk if missing (apt-get), then starts each pair of servers
# below pinned to CPU 0 (the one not measured sits idle) and runs wrk pinned to CPU 1: for each
# connection count a warm-up, then the measured run, POSTing bench/fixtures/issues-opened.json
# (9.4 KB, a GitHub `issues` delivery) with a correct X-Hub-Signature-256 (bench/github.lua). The
# two servers of a pair take turns, ROUNDS times, in the order AB BA AB...: this VM's speed drifts
# by 10-20% over minutes, so a ratio is only fair between runs made side by side. Each row of the
# table is the median of its rounds; its ratio is the median of the rounds' ratios. The handle is
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
# Environment: DURATION (s, default 10), WARMUP (s, default 2), CONNS (default "16 64"), ROUNDS
# (default 3), DIAG (default 1), CONNECTOR_RUNTIME_BIN (benchmark this binary instead of building
# one).
set -euo pipefail

DURATION=${DURATION:-10}
WARMUP=${WARMUP:-2}
CONNS=${CONNS:-"16 64"}
ROUNDS=${ROUNDS:-3}
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
# Servers by name: their pid, their base URL, the webhooks they answered (warm-ups included).
declare -A PID_OF URL_OF ANSWERED_BY
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

# started NAME: records the server just started under NAME.
started() {
  PIDS+=("$SERVER_PID")
  wait_listening "$WORK/$1.out"
  PID_OF[$1]=$SERVER_PID
  URL_OF[$1]=$URL
  ANSWERED_BY[$1]=0
}

# start_cr NAME DATA_DIR ISOLATION
start_cr() {
  taskset -c 0 "$BIN" serve --connectors "$BENCH/connectors" --data "$2" --isolation "$3" \
    --listen 127.0.0.1:0 >"$WORK/$1.out" 2>"$WORK/$1.log" &
  SERVER_PID=$!
  started "$1"
}

# start_node NAME MODE
start_node() {
  BENCH_SECRET=$SECRET taskset -c 0 node "$BENCH/node-server.mjs" "$2" \
    >"$WORK/$1.out" 2>"$WORK/$1.log" &
  SERVER_PID=$!
  started "$1"
}

# stop_server NAME
stop_server() {
  local pid=${PID_OF[$1]}
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  kill -KILL "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}

# subscribe NAME: prints the id of a new github-bench/issues subscription carrying the secret.
subscribe() {
  local reply
  reply=$(curl -sS -w '\n%{http_code}' -X POST "${URL_OF[$1]}/api/subscriptions" \
    -H 'content-type: application/json' \
    -d "{\"connector\":\"github-bench\",\"event\":\"issues\",\"parameters\":{\"secret\":\"$SECRET\"}}")
  [ "$(tail -n1 <<<"$reply")" = 201 ] || die "POST /api/subscriptions failed: $reply"
  node -e 'const s = JSON.parse(process.argv[1]);
    if (s.status !== "active") { console.error("subscription not active:", s); process.exit(1); }
    process.stdout.write(s.id);' "$(head -n -1 <<<"$reply")"
}

# ---- load -----------------------------------------------------------------------------------
RESULTS=$WORK/results.tsv
: >"$RESULTS"

# cpu_ticks PID: user+system CPU time of the process so far, in clock ticks.
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }

# load NAME LABEL TARGET_URL CONNS ROUND: a warm-up, then the measured run of server NAME;
# appends a row to $RESULTS.
load() {
  local name=$1 label=$2 target=$3 conns=$4 round=$5 out line t0 t1
  for phase in warmup run; do
    local seconds=$DURATION
    [ "$phase" = warmup ] && seconds=$WARMUP
    out="$WORK/wrk-${label//[^A-Za-z0-9-]/_}-c$conns-r$round-$phase.txt"
    t0=$(cpu_ticks "${PID_OF[$name]}")
    taskset -c 1 wrk -t1 -c"$conns" -d"${seconds}s" --timeout 10s --latency \
      -s "$BENCH/github.lua" "$target" -- "$BODY" "$SIGNATURE" >"$out" 2>&1 ||
      { cat "$out"; die "wrk failed ($label, $conns connections)"; }
    t1=$(cpu_ticks "${PID_OF[$name]}")
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
    ANSWERED_BY[$name]=$((ANSWERED_BY[$name] + requests))
    if [ "$phase" = run ]; then
      # CPU time the server used per answered webhook, and how busy it kept its core.
      local hz cpu_us busy
      hz=$(getconf CLK_TCK)
      cpu_us=$(awk -v t="$((t1 - t0))" -v hz="$hz" -v n="$requests" 'BEGIN { printf "%.0f", t / hz * 1e6 / n }')
      busy=$(awk -v t="$((t1 - t0))" -v hz="$hz" -v d="$DURATION" 'BEGIN { printf "%.0f", t / hz / d * 100 }')
      printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$label" "$conns" "$rps" "$p50" "$p99" "$cpu_us" "$busy" "$round" >>"$RESULTS"
      printf '   r%s %-45s c=%-3s %9.0f req/s  p50 %6.2f ms  p99 %7.2f ms  CPU %4s µs/req, core %3s%% busy\n' \
        "$round" "$label" "$conns" "$rps" "$(awk -v u="$p50" 'BEGIN { print u / 1000 }')" \
        "$(awk -v u="$p99" 'BEGIN { print u / 1000 }')" "$cpu_us" "$busy"
    fi
  done
}

# check_stored NAME: the events of every webhook NAME answered are in GET /api/events (paged
# through).
check_stored() {
  local first stored url=${URL_OF[$1]} answered=${ANSWERED_BY[$1]}
  first=$(curl -sS --fail "$url/api/events?limit=1") || die "GET /api/events failed"
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
    console.log(count);' "$url") || die "paging through GET /api/events failed"
  echo "   $1: events stored: $stored for $answered webhooks answered (warm-ups included)"
  [ "$stored" -ge "$answered" ] || die "$1: fewer events stored ($stored) than webhooks answered ($answered)"
}

# start_cr_case NAME DATA_DIR ISOLATION [SUBSCRIPTIONS]: starts a connector-runtime server with its
# subscriptions; sets TARGETS[NAME] and, for several subscriptions, SPREAD[NAME].
declare -A TARGETS SPREAD
start_cr_case() {
  local name=$1 count=${4:-1} ids=()
  start_cr "$name" "$2" "$3"
  for _ in $(seq "$count"); do ids+=("$(subscribe "$name")"); done
  if [ "$count" -eq 1 ]; then
    TARGETS[$name]="${URL_OF[$name]}/webhooks/${ids[0]}"
    SPREAD[$name]=
  else
    TARGETS[$name]="${URL_OF[$name]}/"
    SPREAD[$name]=$(IFS=,; echo "${ids[*]}")
  fi
}

# measure NAME LABEL CONNS ROUND
measure() {
  BENCH_SUBSCRIPTIONS=${SPREAD[$1]:-} load "$1" "$2" "${TARGETS[$1]}" "$3" "$4"
}

# pair A_NAME A_LABEL B_NAME B_LABEL: ROUNDS rounds, each connection count, A and B in turn.
pair() {
  local round c
  for round in $(seq "$ROUNDS"); do
    for c in $CONNS; do
      if [ $((round % 2)) = 1 ]; then
        measure "$1" "$2" "$c" "$round"; measure "$3" "$4" "$c" "$round"
      else
        measure "$3" "$4" "$c" "$round"; measure "$1" "$2" "$c" "$round"
      fi
    done
  done
}

echo "== $(nproc --all) CPUs; servers on CPU 0, wrk on CPU 1; ${WARMUP}s warm-up + ${DURATION}s per run, $ROUNDS rounds"
echo "   binary: $BIN"
echo "   node:   $(node --version); wrk: $(wrk -v 2>&1 | head -n1 | cut -d' ' -f1-2)"
echo "   work directory (wrk output, server logs): $WORK"

echo "== connector-runtime against node"
start_cr_case cr "$WORK/data-subscription" subscription
start_node node plain; TARGETS[node]="${URL_OF[node]}/"
pair cr "connector-runtime" node "node"
check_stored cr
stop_server cr; stop_server node

echo "== connector-runtime --isolation invocation against node vm"
start_cr_case cr-invocation "$WORK/data-invocation" invocation
start_node node-vm vm; TARGETS[node-vm]="${URL_OF[node-vm]}/"
pair cr-invocation "connector-runtime --isolation invocation" node-vm "node vm (fresh context per request)"
check_stored cr-invocation
stop_server cr-invocation; stop_server node-vm

if [ "$DIAG" = 1 ]; then
  # Diagnostics: one round each, against a node run made just before them.
  echo "== diagnostics"
  start_node node-diag plain; TARGETS[node-diag]="${URL_OF[node-diag]}/"
  if [ -d /dev/shm ]; then
    SHM=$(mktemp -d /dev/shm/webhooks-bench.XXXXXX)
    start_cr_case cr-shm "$SHM/data" subscription
  fi
  start_cr_case cr-many "$WORK/data-many" subscription "$DIAG_SUBSCRIPTIONS"
  for c in $CONNS; do
    measure node-diag "diag: node" "$c" 1
    [ -n "${PID_OF[cr-shm]:-}" ] && measure cr-shm "diag: connector-runtime, data on /dev/shm" "$c" 1
    measure cr-many "diag: connector-runtime, $DIAG_SUBSCRIPTIONS subscriptions" "$c" 1
  done
  [ -n "${PID_OF[cr-shm]:-}" ] && { check_stored cr-shm; stop_server cr-shm; }
  check_stored cr-many
  stop_server cr-many; stop_server node-diag
fi

# ---- table ----------------------------------------------------------------------------------
echo
echo "| server | connections | requests/s | p50 | p99 | CPU per webhook | ratio to its baseline (req/s) |"
echo "|---|---|---|---|---|---|---|"
awk -F'\t' '
  function ms(us) { return sprintf("%.2f ms", us / 1000) }
  # The median of the n values in a[1..n] (sorted in place).
  function median(a, n,   i, j, t) {
    for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] > t; j--) a[j + 1] = a[j]; a[j + 1] = t }
    return (n % 2) ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
  }
  function base_of(label) {
    if (label ~ /isolation invocation/) return "node vm (fresh context per request)"
    if (label ~ /^diag: connector-runtime/) return "diag: node"
    if (label ~ /^(node|diag: node)/) return ""
    return "node"
  }
  { key = $1 SUBSEP $2
    if (!(key in seen)) { seen[key] = 1; order[++rows] = key }
    n[key]++; rps[key, n[key]] = $3; p50[key, n[key]] = $4; p99[key, n[key]] = $5; cpu[key, n[key]] = $6
    by_round[$1, $2, $8] = $3; rounds_of[key, n[key]] = $8 }
  END {
    for (r = 1; r <= rows; r++) {
      key = order[r]; split(key, part, SUBSEP); label = part[1]; conns = part[2]; k = n[key]
      delete a; for (i = 1; i <= k; i++) a[i] = rps[key, i]; m_rps = median(a, k)
      delete a; for (i = 1; i <= k; i++) a[i] = p50[key, i]; m_p50 = median(a, k)
      delete a; for (i = 1; i <= k; i++) a[i] = p99[key, i]; m_p99 = median(a, k)
      delete a; for (i = 1; i <= k; i++) a[i] = cpu[key, i]; m_cpu = median(a, k)
      base = base_of(label); ratio = ""
      if (base != "") {
        delete a; m = 0
        for (i = 1; i <= k; i++) {
          round = rounds_of[key, i]
          if ((base, conns, round) in by_round) a[++m] = rps[key, i] / by_round[base, conns, round]
        }
        spread = ""
        if (m > 1) { lo = a[1]; hi = a[1]; for (i = 2; i <= m; i++) { if (a[i] < lo) lo = a[i]; if (a[i] > hi) hi = a[i] }
          spread = sprintf(" (rounds %.2f–%.2f)", lo, hi) }
        if (m > 0) ratio = sprintf("%.2f×%s", median(a, m), spread)
      }
      printf "| %s | %s | %.0f | %s | %s | %.0f µs | %s |\n", label, conns, m_rps, ms(m_p50), ms(m_p99), m_cpu, ratio
    }
  }' "$RESULTS"
echo
echo "Medians of $ROUNDS rounds (diagnostics: one). Ratios, paired by round: connector-runtime against"
echo "node, --isolation invocation against node vm, the diagnostics against the node run just before them."
