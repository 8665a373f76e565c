#!/usr/bin/env bash
# A private RabbitMQ node for mqtop's tests, demo and benchmarks.
#
#   scripts/broker.sh ensure-installed     install Debian's rabbitmq-server (and tmux, curl) if missing
#   scripts/broker.sh start DIR [--demo]   start a node living entirely under DIR; writes DIR/env
#   scripts/broker.sh stop DIR             stop exactly that node (by node name, then by pid)
#   scripts/broker.sh halt DIR             stop the node but keep its ports and data (for restart)
#   scripts/broker.sh restart DIR          start it again with the same ports and data
#   scripts/broker.sh status DIR           say whether it answers
#
# The node never collides with a broker the machine already runs: its own data and log
# directories, its own Erlang cookie (HOME=DIR/home), a unique node name, free ports.
# --demo prefers 5672 / 15672 / 15692 when they are free.
# MQTOP_BROKER_STATS_INTERVAL sets collect_statistics_interval (default 1000 ms so that
# counts move quickly in tests; benchmarks use the broker default 5000).
# MQTOP_BROKER_EXTRA_CONF is appended to rabbitmq.conf (benchmarks raise the memory limit).
set -euo pipefail

RMQ_BIN=/usr/lib/rabbitmq/bin
die() { echo "broker.sh: $*" >&2; exit 1; }

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then sudo "$@"
  else die "need root to run: $*  (run it yourself, then try again)"
  fi
}

ensure_installed() {
  local missing=()
  [ -x "$RMQ_BIN/rabbitmq-server" ] || missing+=(rabbitmq-server)
  command -v curl >/dev/null || missing+=(curl)
  command -v tmux >/dev/null || missing+=(tmux)
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "broker.sh: installing ${missing[*]} with apt-get" >&2
  as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  # policy-rc.d keeps the package from starting a system broker where an init system exists.
  as_root sh -c 'printf "#!/bin/sh\nexit 101\n" > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d'
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
  as_root rm -f /usr/sbin/policy-rc.d
  [ -x "$RMQ_BIN/rabbitmq-server" ] || die "rabbitmq-server did not install"
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# free_port PREFERRED: PREFERRED if free, else the next free one above a random base.
free_port() {
  local p=$1
  if [ -n "$p" ] && port_free "$p"; then echo "$p"; return; fi
  for _ in $(seq 200); do
    p=$(( 20000 + RANDOM % 30000 ))
    if port_free "$p" && ! grep -qw "$p" <<<"${TAKEN:-}"; then echo "$p"; return; fi
  done
  die "no free port found"
}

ctl() { # ctl DIR args...: rabbitmqctl against the node of DIR
  local dir=$1; shift
  # shellcheck disable=SC1091
  . "$dir/env"
  HOME="$dir/home" RABBITMQ_NODENAME="$MQTOP_BROKER_NODE" "$RMQ_BIN/rabbitmqctl" -n "$MQTOP_BROKER_NODE" "$@"
}

start() {
  local dir=$1 demo=${2:-}
  [ -n "$dir" ] || die "usage: start DIR [--demo]"
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  if [ -f "$dir/env" ] && status "$dir" >/dev/null 2>&1; then
    echo "broker.sh: already running in $dir" >&2
    return 0
  fi
  ensure_installed
  rm -rf "$dir/mnesia" "$dir/log" "$dir/home"
  mkdir -p "$dir/home" "$dir/mnesia" "$dir/log"
  local amqp mgmt prom dist
  TAKEN=""
  if [ "$demo" = --demo ]; then amqp=$(free_port 5672); else amqp=$(free_port ""); fi; TAKEN="$amqp"
  if [ "$demo" = --demo ]; then mgmt=$(free_port 15672); else mgmt=$(free_port ""); fi; TAKEN="$TAKEN $mgmt"
  if [ "$demo" = --demo ]; then prom=$(free_port 15692); else prom=$(free_port ""); fi; TAKEN="$TAKEN $prom"
  dist=$(free_port ""); TAKEN="$TAKEN $dist"
  local node="mqtop-$(basename "$dir" | tr -cd 'a-zA-Z0-9_-' | cut -c1-20)-$$-$RANDOM@localhost"
  cat > "$dir/rabbitmq.conf" <<CONF
listeners.tcp.default = $amqp
management.tcp.port = $mgmt
management.tcp.ip = 127.0.0.1
prometheus.tcp.port = $prom
prometheus.tcp.ip = 127.0.0.1
loopback_users = none
collect_statistics_interval = ${MQTOP_BROKER_STATS_INTERVAL:-1000}
log.file.level = info
log.console = false
CONF
  [ -n "${MQTOP_BROKER_EXTRA_CONF:-}" ] && printf '%s\n' "$MQTOP_BROKER_EXTRA_CONF" >> "$dir/rabbitmq.conf"
  echo '[rabbitmq_management,rabbitmq_prometheus].' > "$dir/enabled_plugins"
  if pgrep -x epmd >/dev/null; then echo no > "$dir/started_epmd"; else echo yes > "$dir/started_epmd"; fi
  cat > "$dir/env" <<ENV
MQTOP_TEST_URL=http://127.0.0.1:$mgmt
MQTOP_TEST_AMQP_URL=amqp://127.0.0.1:$amqp
MQTOP_TEST_PROM_URL=http://127.0.0.1:$prom
MQTOP_BROKER_NODE=$node
MQTOP_BROKER_DIR=$dir
MQTOP_BROKER_AMQP_PORT=$amqp
MQTOP_BROKER_MGMT_PORT=$mgmt
MQTOP_BROKER_PROM_PORT=$prom
MQTOP_BROKER_DIST_PORT=$dist
export MQTOP_TEST_URL MQTOP_TEST_AMQP_URL MQTOP_TEST_PROM_URL MQTOP_BROKER_NODE MQTOP_BROKER_DIR
ENV
  launch "$dir"
}

# launch DIR: run the node configured in DIR and wait until it answers.
launch() {
  local dir=$1
  # shellcheck disable=SC1091
  . "$dir/env"
  local node=$MQTOP_BROKER_NODE amqp=$MQTOP_BROKER_AMQP_PORT dist=$MQTOP_BROKER_DIST_PORT mgmt=$MQTOP_BROKER_MGMT_PORT prom=$MQTOP_BROKER_PROM_PORT
  local t0=$SECONDS
  HOME="$dir/home" RABBITMQ_NODENAME="$node" RABBITMQ_USE_LONGNAME=false \
    RABBITMQ_NODE_PORT="$amqp" RABBITMQ_DIST_PORT="$dist" \
    RABBITMQ_CONFIG_FILE="$dir/rabbitmq.conf" RABBITMQ_ENABLED_PLUGINS_FILE="$dir/enabled_plugins" \
    RABBITMQ_MNESIA_BASE="$dir/mnesia" RABBITMQ_LOG_BASE="$dir/log" RABBITMQ_PID_FILE="$dir/pid" \
    setsid nohup "$RMQ_BIN/rabbitmq-server" > "$dir/log/stdout.log" 2>&1 < /dev/null &
  echo $! > "$dir/launcher.pid"
  for _ in $(seq 180); do
    if curl -fsS -o /dev/null -u guest:guest "http://127.0.0.1:$mgmt/api/overview" 2>/dev/null; then
      local rss=""
      [ -f "$dir/pid" ] && rss=$(awk '/VmRSS/ {print $2" "$3}' "/proc/$(cat "$dir/pid")/status" 2>/dev/null || true)
      echo "broker.sh: $node up in $((SECONDS - t0))s (amqp $amqp, management $mgmt, prometheus $prom, dist $dist; rss $rss)" >&2
      return 0
    fi
    if ! kill -0 "$(cat "$dir/launcher.pid")" 2>/dev/null; then break; fi
    sleep 0.5
  done
  echo "broker.sh: the node did not come up; its logs follow" >&2
  for f in "$dir"/log/*; do echo "==> $f" >&2; tail -n 60 "$f" >&2; done
  stop "$dir" || true
  exit 1
}

# restart DIR: stop the node and start it again with the same name, ports and
# data, as an operator's broker restart would.
restart() {
  local dir=$1
  [ -f "$dir/env" ] || die "no broker configured in $dir"
  dir=$(cd "$dir" && pwd)
  halt "$dir"
  launch "$dir"
}

# halt DIR: stop the node, keep its configuration.
halt() {
  local dir=$1
  # shellcheck disable=SC1091
  . "$dir/env"
  local pid=""
  [ -f "$dir/pid" ] && pid=$(cat "$dir/pid")
  ctl "$dir" stop >/dev/null 2>&1 || true
  if [ -n "$pid" ]; then
    for _ in $(seq 60); do kill -0 "$pid" 2>/dev/null || break; sleep 0.5; done
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true; sleep 2; kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  # The launcher's process group (setsid) holds only this node's processes.
  if [ -f "$dir/launcher.pid" ]; then
    local lp; lp=$(cat "$dir/launcher.pid")
    kill -TERM -- "-$lp" 2>/dev/null || true
  fi
}

stop() {
  local dir=$1
  [ -n "$dir" ] && [ -f "$dir/env" ] || return 0
  dir=$(cd "$dir" && pwd)
  halt "$dir"
  if [ "$(cat "$dir/started_epmd" 2>/dev/null)" = yes ] && command -v epmd >/dev/null; then
    if ! epmd -names 2>/dev/null | grep -q '^name '; then epmd -kill >/dev/null 2>&1 || true; fi
  fi
  rm -f "$dir/env"
  echo "broker.sh: stopped $MQTOP_BROKER_NODE" >&2
}

status() {
  local dir=$1
  [ -f "$dir/env" ] || { echo "not started"; return 1; }
  # shellcheck disable=SC1091
  . "$dir/env"
  if curl -fsS -o /dev/null -u guest:guest "$MQTOP_TEST_URL/api/overview" 2>/dev/null; then
    echo "up: $MQTOP_BROKER_NODE at $MQTOP_TEST_URL"
  else
    echo "down: $MQTOP_BROKER_NODE"; return 1
  fi
}

case "${1:-}" in
  ensure-installed) ensure_installed ;;
  start) start "${2:-}" "${3:-}" ;;
  restart) restart "${2:-}" ;;
  halt) halt "$(cd "${2:?usage: halt DIR}" && pwd)" ;;
  stop) stop "${2:-}" ;;
  status) status "${2:-}" ;;
  *) die "usage: $0 ensure-installed | start DIR [--demo] | stop DIR | status DIR" ;;
esac
