#!/usr/bin/env bash
# make bench: mqtop against a private broker holding 1,000, 10,000 and 50,000
# queues (one fresh broker per size), measured by bench/cmd/mqtop-bench.
# Tables go to stdout and bench/results.md; raw data to bench/out/<run>/.
#
#   MQTOP_BENCH_SIZES=1000,10000,50000  queue counts (a quick run: 1000)
#   MQTOP_BENCH_REPS=5                  repetitions of each floor query / fresh start
#   MQTOP_BENCH_REFRESHES=30            mqtop refreshes timed per source and order
#   MQTOP_BENCH_INTERVAL=2s             mqtop's refresh interval, and the full-list poll interval
#   MQTOP_BENCH_CPU_WINDOW=60s          each broker-CPU window (idle, mqtop x2, full list)
#   MQTOP_BENCH_TTY_REFRESHES=20        refreshes counted through the pty
#   MQTOP_BENCH_TTY_SKIP=5s             start-up skipped before counting terminal bytes
#   MQTOP_BENCH_SIZE_TIMEOUT=SECONDS    per size (default 900 + 0.06 s per queue)
#   MQTOP_BENCH_PROFILE=1               CPU/heap profiles of mqtop's model (0 to skip)
#   MQTOP_BENCH_FULL_LIST_CAP=60s       the full /api/queues is given up after this ("> 60 s")
#   MQTOP_BENCH_CYCLE_BUDGET=150s       a refresh run stops after this (once 5 refreshes are timed)
#   MQTOP_BENCH_PUBLISH=100000          messages of the publish step on the first size's broker (0 skips)
#   MQTOP_BENCH_MOVE=50000              messages of the move step (Session.Move vs a plain amqp091-go mover)
#                                       on the first size's broker (0 skips)
#
# After the queue sizes, on one more fresh broker, the list views (mqtop-bench views): every view's
# first screen and steady refresh against its floor and against the full unpaged list.
#   MQTOP_BENCH_VIEWS=1                 0 skips the list views
#   MQTOP_BENCH_VIEW_CONNS=5000         AMQP connections (held by a child process), named bench-N
#   MQTOP_BENCH_VIEW_CHANNELS=2         channels per connection (the last one consumes; MQTOP_BENCH_VIEW_CONSUME=0: none)
#   MQTOP_BENCH_VIEW_EXCHANGES=10000    exchanges, by definitions import
#   MQTOP_BENCH_VIEW_BINDINGS=20000     exchange-to-queue bindings over MQTOP_BENCH_VIEW_QUEUES=200 queues
#   MQTOP_BENCH_VIEW_USERS=100 MQTOP_BENCH_VIEW_POLICIES=50   users and (matching nothing) policies
#   MQTOP_BENCH_VIEW_REPS=9             rounds per view, one every MQTOP_BENCH_INTERVAL
#   MQTOP_BENCH_VIEWS_TIMEOUT=2400      seconds for the whole views step
# MQTOP_BENCH_SIZES=none runs the list views alone (their section is appended to bench/results.md).
#
# Then, with MQTOP_BENCH_CLUSTER=1, on a fresh private 3-node cluster (scripts/cluster.sh): queues
# spread over the nodes (classic ones imported through each node, so each lives there; a share
# quorum, declared through every node), the deep queues filled as on one node; mqtop's index
# scraped from every node (checked complete against object_totals.queues) against each node alone
# and the management API's depth sort; then the same floors, refreshes, peers, broker CPU (every
# node's beam summed) and terminal bytes as a single node's size, with the same settings.
#   MQTOP_BENCH_CLUSTER_SIZE=30000      queues in all
#   MQTOP_BENCH_CLUSTER_QUORUM=1000     of which quorum queues
#   MQTOP_BENCH_CLUSTER_TIMEOUT=2400    seconds for the cluster step
# Cluster alone: MQTOP_BENCH_SIZES=none MQTOP_BENCH_VIEWS=0 MQTOP_BENCH_CLUSTER=1 bench/run.sh
#
# Quick run: MQTOP_BENCH_SIZES=1000 MQTOP_BENCH_REFRESHES=10 MQTOP_BENCH_CPU_WINDOW=15 MQTOP_BENCH_PUBLISH=20000 MQTOP_BENCH_MOVE=20000 \
#   MQTOP_BENCH_VIEW_CONNS=200 MQTOP_BENCH_VIEW_EXCHANGES=500 MQTOP_BENCH_VIEW_BINDINGS=1000 MQTOP_BENCH_VIEW_REPS=3 bench/run.sh
set -euo pipefail
cd "$(dirname "$0")/.."
GO=${GO:-go}
BROKER=scripts/broker.sh
SIZES=${MQTOP_BENCH_SIZES:-1000,10000,50000}
# 50,000 queues take about 5 GB; the default watermark (0.4 of RAM) may be lower.
EXTRA_CONF=${MQTOP_BENCH_BROKER_CONF:-vm_memory_high_watermark.absolute = 12GB}

VIEWS=${MQTOP_BENCH_VIEWS:-1}
CLUSTER_RUN=${MQTOP_BENCH_CLUSTER:-0}
[ "$SIZES" = none ] && SIZES=""
for n in ${SIZES//,/ }; do
  [[ $n =~ ^[0-9]+$ && $n -ge 100 ]] || { echo "bench: bad size '$n' in MQTOP_BENCH_SIZES" >&2; exit 2; }
done
[ -n "$SIZES" ] || [ "$VIEWS" = 1 ] || [ "$CLUSTER_RUN" = 1 ] || { echo "bench: nothing to run (MQTOP_BENCH_SIZES=none and MQTOP_BENCH_VIEWS=0)" >&2; exit 2; }
# Every connection the views step holds is a file descriptor of the broker (which inherits this
# shell's limit: Erlang's port limit and RabbitMQ's socket limit follow it) and of the child.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
[ -x "$BROKER" ] || { echo "bench: $BROKER is missing" >&2; exit 1; }
"$BROKER" ensure-installed
command -v curl >/dev/null || { echo "bench: curl is needed" >&2; exit 1; }

out=bench/out/$(date +%Y%m%d-%H%M%S)
mkdir -p "$out"
out=$(cd "$out" && pwd)
echo "bench: building mqtop and mqtop-bench into $out" >&2
# Our own copies: others may rebuild bin/ while a long run is under way.
$GO build -o "$out/mqtop" ./cmd/mqtop
$GO build -o "$out/mqtop-bench" ./bench/cmd/mqtop-bench
if [ "${MQTOP_BENCH_PROFILE:-1}" = 1 ]; then
  export MQTOP_BENCH_PROFILE_DIR="$out/profiles"
  mkdir -p "$MQTOP_BENCH_PROFILE_DIR"
fi

dir=""
cdir=""
cleanup() {
  if [ -n "$dir" ]; then
    "$BROKER" stop "$dir" || true
    rm -rf "$dir"
    dir=""
  fi
  if [ -n "$cdir" ]; then
    scripts/cluster.sh stop "$cdir" || true
    rm -rf "$cdir"
    cdir=""
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

failed=0
for n in ${SIZES//,/ }; do
  dir=$(mktemp -d "${TMPDIR:-/tmp}/mqtop-bench-broker.XXXXXX")
  t0=$(date +%s.%N)
  MQTOP_BROKER_STATS_INTERVAL=5000 MQTOP_BROKER_EXTRA_CONF="$EXTRA_CONF" "$BROKER" start "$dir"
  startup=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
  limit=${MQTOP_BENCH_SIZE_TIMEOUT:-$((900 + n * 6 / 100))}
  echo "bench: $n queues (broker up in ${startup}s; at most ${limit}s)" >&2
  if ! (set -a; . "$dir/env"; set +a
        timeout --kill-after=30 "$limit" "$out/mqtop-bench" size -size "$n" -mqtop "$out/mqtop" \
          -out "$out" -startup "$startup" 2> >(tee -a "$out/size-$n.log" >&2)); then
    echo "bench: $n queues failed or timed out; see $out/size-$n.log" >&2
    failed=1
  fi
  # Repeat mode vs a plain amqp091-go publisher, once, on the first (smallest) broker.
  pub=${MQTOP_BENCH_PUBLISH:-100000}
  if [ "$pub" != 0 ] && [ ! -f "$out/publish.json" ]; then
    echo "bench: publish $pub messages, mqtop repeat mode vs plain amqp091-go" >&2
    if ! (set -a; . "$dir/env"; set +a
          timeout --kill-after=30 900 "$out/mqtop-bench" publish -n "$pub" -reps 3 -out "$out" \
            2> >(tee -a "$out/publish.log" >&2)); then
      echo "bench: publish step failed; see $out/publish.log" >&2
      failed=1
    fi
  fi
  # Session.Move vs a plain amqp091-go mover, once, on the first broker too.
  mv=${MQTOP_BENCH_MOVE:-50000}
  if [ "$mv" != 0 ] && [ ! -f "$out/move.json" ]; then
    echo "bench: move $mv messages, mqtop Session.Move vs plain amqp091-go" >&2
    if ! (set -a; . "$dir/env"; set +a
          timeout --kill-after=30 900 "$out/mqtop-bench" move -n "$mv" -reps 3 -out "$out" \
            2> >(tee -a "$out/move.log" >&2)); then
      echo "bench: move step failed; see $out/move.log" >&2
      failed=1
    fi
  fi
  cleanup
done

MQTOP_BENCH_BROKER_VERSION=$(dpkg-query -W -f '${Version}' rabbitmq-server 2>/dev/null || echo unknown)
export MQTOP_BENCH_BROKER_VERSION

# The list views, on a broker of their own.
if [ "$VIEWS" = 1 ]; then
  dir=$(mktemp -d "${TMPDIR:-/tmp}/mqtop-bench-broker.XXXXXX")
  MQTOP_BROKER_STATS_INTERVAL=5000 MQTOP_BROKER_EXTRA_CONF="$EXTRA_CONF" "$BROKER" start "$dir"
  echo "bench: list views, ${MQTOP_BENCH_VIEW_CONNS:-5000} connections (open files: $(ulimit -n))" >&2
  if ! (set -a; . "$dir/env"; set +a
        timeout --kill-after=30 "${MQTOP_BENCH_VIEWS_TIMEOUT:-2400}" "$out/mqtop-bench" views -out "$out" \
          2> >(tee -a "$out/views.log" >&2)); then
    echo "bench: list views failed or timed out; see $out/views.log" >&2
    failed=1
  fi
  cleanup
fi

# The 3-node row, on a cluster of its own.
if [ "$CLUSTER_RUN" = 1 ]; then
  cdir=$(mktemp -d "${TMPDIR:-/tmp}/mqtop-bench-cluster.XXXXXX")
  t0=$(date +%s.%N)
  MQTOP_BROKER_STATS_INTERVAL=5000 MQTOP_BROKER_EXTRA_CONF="$EXTRA_CONF" scripts/cluster.sh start "$cdir"
  startup=$(awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }')
  echo "bench: 3-node cluster up in ${startup}s" >&2
  if ! (set -a; . "$cdir/env"; set +a
        timeout --kill-after=30 "${MQTOP_BENCH_CLUSTER_TIMEOUT:-2400}" "$out/mqtop-bench" cluster \
          -size "${MQTOP_BENCH_CLUSTER_SIZE:-30000}" -quorum "${MQTOP_BENCH_CLUSTER_QUORUM:-1000}" \
          -mqtop "$out/mqtop" -startup "$startup" -out "$out" 2> >(tee -a "$out/cluster.log" >&2)); then
    echo "bench: the cluster step failed or timed out; see $out/cluster.log" >&2
    failed=1
  fi
  cleanup
fi

shopt -s nullglob
results=("$out"/size-*.json)
[ ${#results[@]} -gt 0 ] || [ -f "$out/views.md" ] || [ -f "$out/cluster.md" ] || { echo "bench: no results" >&2; exit 1; }
[ -f "$out/publish.json" ] && results+=("$out/publish.json")
if [ ${#results[@]} -gt 0 ]; then
  # The cluster's row joins the sizes' summary.
  "$out/mqtop-bench" report "${results[@]}" "$out"/cluster-*.json > "$out/results.md"
  [ -f "$out/move.md" ] && cat "$out/move.md" >> "$out/results.md"
  [ -f "$out/views.md" ] && cat "$out/views.md" >> "$out/results.md"
  cp "$out/results.md" bench/results.md
  cat bench/results.md
else # the list views or the cluster alone: appended to the queue tables already there
  for f in "$out/views.md" "$out/cluster.md"; do
    [ -f "$f" ] || continue
    cat "$f" >> bench/results.md
    cat "$f"
  done
fi

# Where mqtop's model spends its CPU and heap, for the largest size.
if [ -n "${MQTOP_BENCH_PROFILE_DIR:-}" ]; then
  for p in "$MQTOP_BENCH_PROFILE_DIR"/*.pprof; do
    $GO tool pprof -top -nodecount=25 "$out/mqtop-bench" "$p" > "${p%.pprof}.top.txt" 2>/dev/null || true
  done
  echo "bench: profiles and their top functions in $MQTOP_BENCH_PROFILE_DIR" >&2
fi
echo "bench: raw data in $out; tables in bench/results.md" >&2
exit $failed
