#!/usr/bin/env bash
# A private 3-node RabbitMQ cluster on this machine, for mqtop's tests, benchmarks and demo.
#
#   scripts/cluster.sh start DIR [--demo]   start DIR/n1, DIR/n2, DIR/n3 (scripts/broker.sh each:
#                                           own node name, data, ports; one shared Erlang cookie),
#                                           join n2 and n3 to n1, write DIR/env; reuses a cluster
#                                           already running there
#   scripts/cluster.sh stop DIR             stop the three nodes (and nothing else)
#   scripts/cluster.sh stop-node DIR I      stop node I (1-3) but keep its ports and data
#   scripts/cluster.sh start-node DIR I     start node I again; it rejoins the cluster
#   scripts/cluster.sh status DIR           say which nodes answer (exit 0 if all do)
#
# --demo gives n1 the default ports where free (5672 / 15672 / 15692); n2 and n3 take free ones.
# MQTOP_CLUSTER_NODES (default 3) sets the number of nodes; every MQTOP_BROKER_* variable of
# broker.sh applies to each node.
#
# DIR/env (sourceable; no credentials, guest/guest) holds n1's MQTOP_TEST_URL,
# MQTOP_TEST_AMQP_URL and MQTOP_TEST_PROM_URL (so a cluster can stand in for the single test
# broker), the comma-separated MQTOP_TEST_URLS / MQTOP_TEST_AMQP_URLS / MQTOP_TEST_PROM_URLS and
# MQTOP_CLUSTER_NODE_NAMES, and per node MQTOP_NODE<I>_{NAME,URL,AMQP_URL,PROM_URL,DIR}.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
BROKER=$here/broker.sh
N=${MQTOP_CLUSTER_NODES:-3}

die() { echo "cluster.sh: $*" >&2; exit 1; }
say() { echo "cluster.sh: $*" >&2; }

abs_dir() { mkdir -p "$1" && (cd "$1" && pwd); }

node_var() { # node_var DIR I VAR: VAR of node I's broker.vars
  (set +u; . "$1/n$2/broker.vars" && eval "printf '%s' \"\${$3}\"")
}

elapsed() { awk -v t0="$1" -v t1="$(date +%s.%N)" 'BEGIN {printf "%.1f", t1 - t0}'; }

rss_kib() { # rss_kib DIR I: the RSS of node I's beam in KiB (0 if not running)
  local pid
  pid=$(cat "$1/n$2/pid" 2>/dev/null || true)
  awk '/^VmRSS/ {print $2; found=1} END {if (!found) print 0}' "/proc/${pid:-0}/status" 2>/dev/null || echo 0
}

write_env() {
  local dir=$1 i urls="" amqps="" proms="" names="" f
  f=$dir/env.tmp
  : > "$f"
  for i in $(seq "$N"); do
    local name url amqp prom
    name=$(node_var "$dir" "$i" MQTOP_BROKER_NODE); url=$(node_var "$dir" "$i" MQTOP_TEST_URL)
    amqp=$(node_var "$dir" "$i" MQTOP_TEST_AMQP_URL); prom=$(node_var "$dir" "$i" MQTOP_TEST_PROM_URL)
    urls+=${urls:+,}$url; amqps+=${amqps:+,}$amqp; proms+=${proms:+,}$prom; names+=${names:+,}$name
    {
      echo "MQTOP_NODE${i}_NAME=$name"; echo "MQTOP_NODE${i}_URL=$url"
      echo "MQTOP_NODE${i}_AMQP_URL=$amqp"; echo "MQTOP_NODE${i}_PROM_URL=$prom"
      echo "MQTOP_NODE${i}_DIR=$dir/n$i"
      echo "export MQTOP_NODE${i}_NAME MQTOP_NODE${i}_URL MQTOP_NODE${i}_AMQP_URL MQTOP_NODE${i}_PROM_URL MQTOP_NODE${i}_DIR"
    } >> "$f"
  done
  {
    echo "MQTOP_TEST_URL=$(node_var "$dir" 1 MQTOP_TEST_URL)"
    echo "MQTOP_TEST_AMQP_URL=$(node_var "$dir" 1 MQTOP_TEST_AMQP_URL)"
    echo "MQTOP_TEST_PROM_URL=$(node_var "$dir" 1 MQTOP_TEST_PROM_URL)"
    echo "MQTOP_TEST_URLS=$urls"; echo "MQTOP_TEST_AMQP_URLS=$amqps"; echo "MQTOP_TEST_PROM_URLS=$proms"
    echo "MQTOP_CLUSTER_NODE_NAMES=$names"; echo "MQTOP_CLUSTER_DIR=$dir"; echo "MQTOP_CLUSTER_SIZE=$N"
    echo "export MQTOP_TEST_URL MQTOP_TEST_AMQP_URL MQTOP_TEST_PROM_URL MQTOP_TEST_URLS MQTOP_TEST_AMQP_URLS"
    echo "export MQTOP_TEST_PROM_URLS MQTOP_CLUSTER_NODE_NAMES MQTOP_CLUSTER_DIR MQTOP_CLUSTER_SIZE"
  } >> "$f"
  mv "$f" "$dir/env"
}

# members DIR I: the running nodes node I's cluster_status lists, one a line.
members() {
  "$BROKER" ctl "$1/n$2" cluster_status --formatter json 2>/dev/null |
    tr ',' '\n' | sed -n 's/.*"running_nodes":\[//p; /^"[^"]*"\]*$/p' | tr -d '"[]}' | sed '/^$/d' | sort -u
}

all_up() {
  local dir=$1 i
  [ -f "$dir/env" ] || return 1
  for i in $(seq "$N"); do "$BROKER" status "$dir/n$i" >/dev/null 2>&1 || return 1; done
}

start() {
  local dir=${1:-} demo=${2:-} i t0 first pids=() rc=0
  [ -n "$dir" ] || die "usage: start DIR [--demo]"
  [ -z "$demo" ] || [ "$demo" = --demo ] || die "usage: start DIR [--demo]"
  [ "$N" -ge 1 ] 2>/dev/null || die "MQTOP_CLUSTER_NODES must be a number >= 1"
  dir=$(abs_dir "$dir")
  if all_up "$dir"; then
    say "reusing the cluster already running in $dir"
    return 0
  fi
  stop "$dir" quiet
  "$BROKER" ensure-installed
  t0=$(date +%s.%N)
  rm -f "$dir/env" "$dir/cookie"
  (umask 077 && od -An -N16 -tx1 /dev/urandom | tr -d ' \n' | tr a-f A-F > "$dir/cookie")
  # The nodes start in parallel (their ports are picked at random, n1's --demo ones near the
  # defaults; broker.sh retries with others if one is taken meanwhile).
  for i in $(seq "$N"); do
    local nd=()
    [ "$i" = 1 ] && [ -n "$demo" ] && nd=(--demo)
    MQTOP_BROKER_COOKIE_FILE=$dir/cookie "$BROKER" start "$dir/n$i" "${nd[@]}" 2> "$dir/n$i.start.log" &
    pids+=($!)
  done
  for i in $(seq "$N"); do
    if ! wait "${pids[$((i - 1))]}"; then rc=1; say "node n$i did not start:"; cat "$dir/n$i.start.log" >&2; fi
  done
  [ $rc = 0 ] || { stop "$dir" quiet; exit 1; }
  say "$(elapsed "$t0")s to start $N nodes"
  first=$(node_var "$dir" 1 MQTOP_BROKER_NODE)
  for i in $(seq 2 "$N"); do
    # rabbitmqctl logs the node's restart to stderr; shown only if the join fails.
    if ! { "$BROKER" ctl "$dir/n$i" stop_app &&
      "$BROKER" ctl "$dir/n$i" join_cluster "$first" &&
      "$BROKER" ctl "$dir/n$i" start_app &&
      "$BROKER" ctl "$dir/n$i" await_startup; } > "$dir/n$i.join.log" 2>&1; then
      say "node n$i could not join $first:"; tail -n 50 "$dir/n$i.join.log" >&2; stop "$dir" quiet; exit 1
    fi
  done
  # Every node's management API answers again (start_app restarted n2's and n3's) and n1 sees
  # every node running.
  local deadline=$((SECONDS + 60)) want have
  want=$(for i in $(seq "$N"); do node_var "$dir" "$i" MQTOP_BROKER_NODE; echo; done | sort -u)
  while :; do
    have=$(members "$dir" 1 || true)
    if [ "$have" = "$want" ] && all_nodes_answer "$dir"; then break; fi
    [ $SECONDS -lt $deadline ] || { say "the cluster did not form: n1 sees [$(echo $have)], want [$(echo $want)]"; stop "$dir" quiet; exit 1; }
    sleep 0.25
  done
  write_env "$dir"
  local total=0 line=""
  for i in $(seq "$N"); do
    local k; k=$(rss_kib "$dir" "$i"); total=$((total + k)); line+=" n$i $((k / 1024)) MiB"
  done
  say "$(elapsed "$t0")s to start and join $N nodes (cluster $first);" \
    "rss$line, total $((total / 1024)) MiB; env in $dir/env"
}

all_nodes_answer() {
  local dir=$1 i
  for i in $(seq "$N"); do "$BROKER" status "$dir/n$i" >/dev/null 2>&1 || return 1; done
}

stop() {
  local dir=${1:-} quiet=${2:-} i pids=()
  [ -n "$dir" ] || die "usage: stop DIR"
  [ -d "$dir" ] || return 0
  dir=$(cd "$dir" && pwd)
  # Halt the nodes in parallel; then stop each (epmd goes with the node that started it, once no
  # node is registered with it any more).
  # Every node directory there, whatever MQTOP_CLUSTER_NODES says now.
  local nodes=() nd
  for nd in "$dir"/n[0-9]*; do [ -d "$nd" ] && nodes+=("$nd"); done
  for nd in "${nodes[@]}"; do
    "$BROKER" halt "$nd" >/dev/null 2>&1 &
    pids+=($!)
  done
  for p in "${pids[@]}"; do wait "$p" || true; done
  for nd in "${nodes[@]}"; do "$BROKER" stop "$nd" >/dev/null; done
  rm -f "$dir/env" "$dir/cookie"
  [ -n "$quiet" ] || say "stopped the cluster in $dir"
}

node_dir() { # node_dir DIR I
  local dir=${1:-} i=${2:-}
  [ -n "$dir" ] && [[ "$i" =~ ^[0-9]+$ ]] && [ "$i" -ge 1 ] && [ "$i" -le "$N" ] || die "usage: stop-node|start-node DIR I (1-$N)"
  [ -f "$dir/n$i/broker.vars" ] || die "no cluster node n$i in $dir"
  echo "$(cd "$dir" && pwd)/n$i"
}

status() {
  local dir=${1:-} i rc=0
  [ -n "$dir" ] || die "usage: status DIR"
  for i in $(seq "$N"); do
    printf 'n%s: ' "$i"
    if [ -d "$dir/n$i" ]; then "$BROKER" status "$dir/n$i" || rc=1; else echo "not configured"; rc=1; fi
  done
  return $rc
}

case "${1:-}" in
  start) start "${2:-}" "${3:-}" ;;
  stop) stop "${2:-}" ;;
  stop-node) d=$(node_dir "${2:-}" "${3:-}"); "$BROKER" halt "$d"; say "stopped node n$3 ($d)" ;;
  start-node) d=$(node_dir "${2:-}" "${3:-}"); "$BROKER" restart "$d" ;;
  status) status "${2:-}" ;;
  *) die "usage: $0 start DIR [--demo] | stop DIR | stop-node DIR I | start-node DIR I | status DIR" ;;
esac
