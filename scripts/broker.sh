#!/usr/bin/env bash
# A private RabbitMQ node for mqtop's tests, demo and benchmarks.
#
#   scripts/broker.sh ensure-installed     install Debian's rabbitmq-server (and curl for bench/,
#                                          tmux for the end-to-end tests) if missing
#   scripts/broker.sh start DIR [--demo]   start a node living entirely under DIR, wait until its
#                                          management API answers, write DIR/env; reuses a node
#                                          already running there
#   scripts/broker.sh stop DIR             stop exactly that node (by node name, then by its own
#                                          pid / process group); fine if nothing runs
#   scripts/broker.sh halt DIR             stop the node but keep its ports and data (for restart)
#   scripts/broker.sh restart DIR          start it again with the same name, ports and data
#   scripts/broker.sh status DIR           say whether it answers (exit 0 if up)
#   scripts/broker.sh ctl DIR ARGS...      rabbitmqctl ARGS against that node (its cookie, its name)
#
# The node never collides with a broker the machine already runs: its own data, log and config
# files, its own Erlang cookie (HOME=DIR/home), a unique node name, free ports, listeners on
# 127.0.0.1 only. --demo prefers 5672 / 15672 / 15692 and takes the next free ones if taken.
#
# DIR/env (written once the node answers) is sourceable:
#   MQTOP_TEST_URL MQTOP_TEST_AMQP_URL MQTOP_TEST_PROM_URL   (no credentials: guest/guest)
#   MQTOP_BROKER_NODE MQTOP_BROKER_DIR MQTOP_BROKER_{AMQP,MGMT,PROM,DIST}_PORT
#
# Environment:
#   MQTOP_BROKER_STATS_INTERVAL    collect_statistics_interval in ms (default 1000, so counts move
#                                  quickly in tests; benchmarks use the broker default 5000)
#   MQTOP_BROKER_EXTRA_CONF        lines appended to rabbitmq.conf
#   MQTOP_BROKER_START_TIMEOUT     seconds to wait for the management API (default 90)
#   MQTOP_BROKER_COOKIE_FILE       copy the Erlang cookie from this file instead of a random one
#   MQTOP_RABBITMQ_BIN             directory holding rabbitmq-server / rabbitmqctl
set -euo pipefail

BASIC_GUEST=Z3Vlc3Q6Z3Vlc3Q= # base64 of guest:guest, for the readiness check

die() { echo "broker.sh: $*" >&2; exit 1; }
say() { echo "broker.sh: $*" >&2; }

# Variables from the caller's environment must not redirect the node (a developer's shell may
# export RABBITMQ_NODENAME, RABBITMQ_MNESIA_BASE, ...).
while read -r v; do unset "$v"; done < <(compgen -e | grep '^RABBITMQ_' || true)

# rmq_bin: the directory of the real rabbitmq-server script. Not Debian's /usr/sbin wrapper, which
# su's to the rabbitmq user when run as root.
rmq_bin() {
  if [ -n "${MQTOP_RABBITMQ_BIN:-}" ]; then echo "$MQTOP_RABBITMQ_BIN"; return 0; fi
  if [ -x /usr/lib/rabbitmq/bin/rabbitmq-server ]; then echo /usr/lib/rabbitmq/bin; return 0; fi
  local p
  p=$(command -v rabbitmq-server 2>/dev/null) || return 1
  p=$(readlink -f "$p")
  [ "$(basename "$p")" = rabbitmq-server ] || return 1
  dirname "$p"
}

# ---------------------------------------------------------------------------------------- install

install_cmd() { # the command a human would type
  echo "apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $*"
}

ensure_installed() {
  local missing=()
  rmq_bin >/dev/null || missing+=(rabbitmq-server)
  command -v curl >/dev/null || missing+=(curl)
  command -v tmux >/dev/null || missing+=(tmux)
  [ ${#missing[@]} -eq 0 ] && return 0
  local runner=()
  if [ "$(id -u)" = 0 ]; then runner=()
  elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then runner=(sudo -n)
  else
    say "missing ${missing[*]}; install them as root, then try again:"
    echo "  sudo sh -c '$(install_cmd "${missing[*]}")'" >&2
    exit 1
  fi
  command -v apt-get >/dev/null || die "missing ${missing[*]} and no apt-get; install RabbitMQ yourself (or set MQTOP_RABBITMQ_BIN)"
  say "installing ${missing[*]} with apt-get"
  # A policy-rc.d that says 101 keeps the package from starting a system broker where an init
  # system would (the machine's own policy-rc.d, if any, is left as it is).
  # shellcheck disable=SC2016
  "${runner[@]}" env DEBIAN_FRONTEND=noninteractive sh -ec '
    made=
    if [ ! -e /usr/sbin/policy-rc.d ]; then
      printf "#!/bin/sh\nexit 101\n" > /usr/sbin/policy-rc.d; chmod +x /usr/sbin/policy-rc.d; made=1
    fi
    trap "[ -z \"\$made\" ] || rm -f /usr/sbin/policy-rc.d" EXIT
    for try in 1 2 3; do
      if apt-get update -qq && apt-get install -y -qq --no-install-recommends "$@"; then exit 0; fi
      echo "apt-get failed (attempt $try); retrying" >&2; sleep 5
    done
    exit 1' sh "${missing[@]}" >&2 || die "could not install ${missing[*]}; run as root: $(install_cmd "${missing[*]}")"
  rmq_bin >/dev/null || die "rabbitmq-server is still missing after installation"
}

# ------------------------------------------------------------------------------------------ ports

# used_ports: every local TCP port in use on any address, in any state.
used_ports() {
  local f _ local_addr _rest
  for f in /proc/net/tcp /proc/net/tcp6; do
    [ -r "$f" ] || continue
    while read -r _ local_addr _rest; do
      [ "$local_addr" = local_address ] && continue
      echo $((16#${local_addr##*:}))
    done < "$f"
  done
}

TAKEN=" " # ports already handed out by this run
port_free() {
  local p=$1
  [[ "$TAKEN" != *" $p "* ]] || return 1
  [[ " $USED " != *" $p "* ]] || return 1
  ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null
}

# free_port [PREFERRED]: PREFERRED or the next free port above it; without one, a random free port
# below the kernel's ephemeral range (so that outgoing connections cannot hold it), avoiding the
# well-known RabbitMQ ports a system broker would take.
free_port() {
  local p=${1:-} lo hi
  USED=$(used_ports | sort -un | tr '\n' ' ')
  if [ -n "$p" ]; then
    for ((; p < ${1} + 100; p++)); do
      if port_free "$p"; then TAKEN+="$p "; echo "$p"; return 0; fi
    done
  fi
  lo=20000; hi=$(awk '{print $1}' /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
  [ "$hi" -gt $((lo + 2000)) ] || { lo=40000; hi=65000; }
  for _ in $(seq 300); do
    p=$((lo + (RANDOM * 32768 + RANDOM) % (hi - lo)))
    case $p in 25672|35672|35673|35674|35675|35676|35677|35678|35679|35680|35681|35682) continue ;; esac
    if port_free "$p"; then TAKEN+="$p "; echo "$p"; return 0; fi
  done
  die "no free port found"
}

# ---------------------------------------------------------------------------------------- helpers

# http_ok URL-PORT PATH: GET http://127.0.0.1:PORT/PATH as guest answers 200 (bash only, no curl).
http_ok() {
  local port=$1 path=$2
  # shellcheck disable=SC2016
  timeout 5 bash -c '
    exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
    printf "GET %s HTTP/1.0\r\nHost: 127.0.0.1\r\nAuthorization: Basic %s\r\nConnection: close\r\n\r\n" "$2" "$3" >&3
    IFS=" " read -r _ code _ <&3 && [ "$code" = 200 ]' sh "$port" "$path" "$BASIC_GUEST" 2>/dev/null
}

abs_dir() { mkdir -p "$1" && (cd "$1" && pwd); }

# load DIR: the node's settings (DIR/broker.vars, or DIR/env of an older broker.sh).
load() {
  local dir=$1
  # shellcheck disable=SC1091
  if [ -f "$dir/broker.vars" ]; then . "$dir/broker.vars"
  elif [ -f "$dir/env" ]; then . "$dir/env"
  else return 1
  fi
}

# node_env DIR: NODE_ENV=(the environment every rabbitmq-server / rabbitmqctl call for DIR runs with).
node_env() {
  local dir=$1
  NODE_ENV=(HOME="$dir/home"
    RABBITMQ_NODENAME="$MQTOP_BROKER_NODE" RABBITMQ_USE_LONGNAME=false
    RABBITMQ_NODE_PORT="$MQTOP_BROKER_AMQP_PORT" RABBITMQ_DIST_PORT="$MQTOP_BROKER_DIST_PORT"
    RABBITMQ_CONFIG_FILE="$dir/rabbitmq.conf" RABBITMQ_ADVANCED_CONFIG_FILE="$dir/advanced.config"
    RABBITMQ_CONF_ENV_FILE="$dir/rabbitmq-env.conf" RABBITMQ_ENABLED_PLUGINS_FILE="$dir/enabled_plugins"
    RABBITMQ_MNESIA_BASE="$dir/mnesia" RABBITMQ_LOG_BASE="$dir/log" RABBITMQ_PID_FILE="$dir/pid"
    ERL_CRASH_DUMP="$dir/log/erl_crash.dump")
}

ctl() { # ctl DIR args...: rabbitmqctl against the node of DIR
  local dir=$1 rmq; shift
  rmq=$(rmq_bin) || return 1
  node_env "$dir"
  env "${NODE_ENV[@]}" timeout 30 "$rmq/rabbitmqctl" -n "$MQTOP_BROKER_NODE" "$@"
}

# ours DIR PID: PID is a live process of the node of DIR (guards against a recycled pid).
ours() {
  local dir=$1 pid=$2 c
  [ -n "$pid" ] && [ -r "/proc/$pid/cmdline" ] || return 1
  c=$(tr '\0' '\n' 2>/dev/null < "/proc/$pid/cmdline") || return 1
  grep -qxF "$dir/home" <<<"$c" && return 0
  c=$(tr '\0' '\n' 2>/dev/null < "/proc/$pid/environ") || return 1
  grep -qxF "RABBITMQ_MNESIA_BASE=$dir/mnesia" <<<"$c"
}

# group_members PGID: live pids of process group PGID (from /proc; procps may not be installed).
group_members() {
  local pg=$1 st rest f
  for f in /proc/[0-9]*/stat; do
    { read -r st < "$f"; } 2>/dev/null || continue
    rest=${st##*) }            # after "pid (comm) ": state ppid pgrp ...
    read -r _ _ pgrp _ <<<"$rest"
    if [ "$pgrp" = "$pg" ]; then f=${f#/proc/}; echo "${f%/stat}"; fi
  done
}

beam_pid() { local p; p=$(cat "$1/pid" 2>/dev/null || true); ours "$1" "$p" && echo "$p"; }

rss_of() { awk '/^VmRSS/ {printf "%.0f MiB", $2 / 1024}' "/proc/$1/status" 2>/dev/null || true; }

epmd_bin() {
  local e
  command -v epmd 2>/dev/null && return 0
  for e in /usr/lib/erlang/erts-*/bin/epmd; do [ -x "$e" ] && echo "$e" && return 0; done
  return 1
}

# ------------------------------------------------------------------------------------------ start

configure() { # configure DIR DEMO: pick ports and a node name, write the config files
  local dir=$1 demo=$2 amqp mgmt prom dist node base
  TAKEN=" "
  if [ "$demo" = --demo ]; then
    amqp=$(free_port 5672); TAKEN+="$amqp "; mgmt=$(free_port 15672); TAKEN+="$mgmt "
    prom=$(free_port 15692); TAKEN+="$prom "
  else
    amqp=$(free_port); TAKEN+="$amqp "; mgmt=$(free_port); TAKEN+="$mgmt "; prom=$(free_port); TAKEN+="$prom "
  fi
  dist=$(free_port); TAKEN+="$dist "
  base=$(basename "$dir" | sed 's/^mqtop-//' | tr -cd 'a-zA-Z0-9_-' | cut -c1-24)
  node="mqtop-${base:-node}-$$-$RANDOM@localhost"
  cat > "$dir/rabbitmq.conf" <<CONF
listeners.tcp.default = 127.0.0.1:$amqp
management.tcp.port = $mgmt
management.tcp.ip = 127.0.0.1
prometheus.tcp.port = $prom
prometheus.tcp.ip = 127.0.0.1
loopback_users = none
collect_statistics_interval = ${MQTOP_BROKER_STATS_INTERVAL:-1000}
log.file.level = info
log.console = false
CONF
  if [ -n "${MQTOP_BROKER_EXTRA_CONF:-}" ]; then printf '%s\n' "$MQTOP_BROKER_EXTRA_CONF" >> "$dir/rabbitmq.conf"; fi
  echo '[rabbitmq_management,rabbitmq_prometheus].' > "$dir/enabled_plugins"
  : > "$dir/rabbitmq-env.conf" # instead of /etc/rabbitmq/rabbitmq-env.conf
  cat > "$dir/broker.vars" <<VARS
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
export MQTOP_BROKER_AMQP_PORT MQTOP_BROKER_MGMT_PORT MQTOP_BROKER_PROM_PORT MQTOP_BROKER_DIST_PORT
VARS
}

start() {
  local dir=${1:-} demo=${2:-}
  [ -n "$dir" ] || die "usage: start DIR [--demo]"
  [ -z "$demo" ] || [ "$demo" = --demo ] || die "usage: start DIR [--demo]"
  dir=$(abs_dir "$dir")
  if [ -f "$dir/env" ] && status "$dir" >/dev/null 2>&1; then
    load "$dir"
    say "reusing $MQTOP_BROKER_NODE, already running in $dir ($MQTOP_TEST_URL)"
    return 0
  fi
  stop "$dir" quiet # leftovers of a crashed run
  ensure_installed
  rm -rf "${dir:?}/mnesia" "${dir:?}/log" "${dir:?}/home" "$dir/pid" "$dir/launcher.pid" "$dir/env"
  mkdir -p "$dir/home" "$dir/mnesia" "$dir/log"
  # Our own cookie, so neither the node nor rabbitmqctl ever reads or writes ~/.erlang.cookie.
  # A cluster's nodes share one (MQTOP_BROKER_COOKIE_FILE, written by scripts/cluster.sh).
  if [ -n "${MQTOP_BROKER_COOKIE_FILE:-}" ]; then cp "$MQTOP_BROKER_COOKIE_FILE" "$dir/home/.erlang.cookie"
  else od -An -N16 -tx1 /dev/urandom | tr -d ' \n' | tr a-f A-F > "$dir/home/.erlang.cookie"
  fi
  chmod 400 "$dir/home/.erlang.cookie"
  if "$(epmd_bin)" -names >/dev/null 2>&1; then echo no > "$dir/started_epmd"; else echo yes > "$dir/started_epmd"; fi
  local attempt
  for attempt in 1 2 3; do
    configure "$dir" "$demo"
    if launch "$dir"; then return 0; fi
    # Another process may have taken a port between our check and the node's bind.
    if grep -rqi 'eaddrinuse' "$dir/log" 2>/dev/null && [ "$attempt" -lt 3 ]; then
      say "a port was taken meanwhile; retrying with other ports"
      halt "$dir"; rm -rf "${dir:?}/mnesia" "${dir:?}/log"; mkdir -p "$dir/mnesia" "$dir/log"
      continue
    fi
    break
  done
  fail "$dir"
}

# fail DIR: print the node's logs, stop everything it started, exit non-zero.
fail() {
  local dir=$1 f
  say "the node $MQTOP_BROKER_NODE did not come up; its logs follow"
  for f in "$dir"/log/*; do
    [ -f "$f" ] || continue
    case $f in *.dump) echo "==> $f: Erlang crash dump, not shown <==" >&2; continue ;; esac
    echo "==> $f <==" >&2; tail -n 100 "$f" >&2
  done
  stop "$dir" quiet || true
  exit 1
}

# tcp_ok PORT: something accepts connections on 127.0.0.1:PORT.
tcp_ok() { timeout 2 bash -c 'exec 3<>"/dev/tcp/127.0.0.1/$1"' sh "$1" 2>/dev/null; }

# launch DIR: run the node configured in DIR; wait until its management API and its AMQP listener
# answer.
launch() {
  local dir=$1 rmq t0 deadline lp pid
  load "$dir"
  rmq=$(rmq_bin) || die "rabbitmq-server is not installed (scripts/broker.sh ensure-installed)"
  t0=$(date +%s.%N)
  deadline=$((SECONDS + ${MQTOP_BROKER_START_TIMEOUT:-90}))
  # setsid: its own session and process group, so that stop can end exactly this node and a
  # Ctrl-C in the caller's terminal does not reach it. Only 127.0.0.1 for Erlang distribution.
  node_env "$dir"
  (cd "$dir" && exec env "${NODE_ENV[@]}" \
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS="-kernel inet_dist_use_interface {127,0,0,1}" \
    setsid nohup "$rmq/rabbitmq-server" > "$dir/log/stdout.log" 2>&1 < /dev/null) &
  lp=$!
  echo "$lp" > "$dir/launcher.pid"
  while [ $SECONDS -lt $deadline ]; do
    # The AMQP listener starts after the plugins: under load the management API answers a
    # moment before clients can connect. Ready means both.
    if http_ok "$MQTOP_BROKER_MGMT_PORT" /api/overview && tcp_ok "$MQTOP_BROKER_AMQP_PORT"; then
      pid=$(beam_pid "$dir" || true)
      echo "$MQTOP_BROKER_NODE" > "$dir/node"
      cp "$dir/broker.vars" "$dir/env"
      say "$(awk -v t0="$t0" -v t1="$(date +%s.%N)" 'BEGIN {printf "%.1f", t1 - t0}')s to start $MQTOP_BROKER_NODE:" \
        "amqp $MQTOP_BROKER_AMQP_PORT, management $MQTOP_BROKER_MGMT_PORT," \
        "prometheus $MQTOP_BROKER_PROM_PORT, dist $MQTOP_BROKER_DIST_PORT;" \
        "pid ${pid:-?}, rss $(rss_of "${pid:-0}"); env in $dir/env"
      return 0
    fi
    kill -0 "$lp" 2>/dev/null || return 1
    sleep 0.25
  done
  say "no answer from the management API after ${MQTOP_BROKER_START_TIMEOUT:-90}s"
  return 1
}

# ------------------------------------------------------------------------------------------- stop

# halt DIR: stop the node of DIR (by node name, then by its pid and process group only).
halt() {
  local dir=$1 pid lp members m
  load "$dir" || return 0
  pid=$(beam_pid "$dir" || true)
  lp=$(cat "$dir/launcher.pid" 2>/dev/null || true)
  members=""
  [ -z "$lp" ] || members=$(group_members "$lp")
  if [ -z "$pid" ] && [ -z "$members" ]; then return 0; fi
  if ctl "$dir" stop >/dev/null 2>&1 && [ -n "$pid" ]; then
    for _ in $(seq 120); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
  fi
  # Whatever is left: the beam and the launcher's process group (setsid made it ours alone),
  # checked member by member against this DIR so that a recycled pid is never signalled.
  # TERM first (the node shuts down cleanly on it), KILL after 15 s.
  local sig=TERM
  for i in $(seq 60); do
    members=""
    if [ -n "$pid" ] && ours "$dir" "$pid"; then members=$pid; fi
    if [ -n "$lp" ]; then
      for m in $(group_members "$lp"); do ours "$dir" "$m" && members="$members $m"; done
    fi
    [ -n "${members// /}" ] || break
    if [ "$i" = 1 ] || [ "$i" = 60 ]; then
      [ "$i" = 1 ] || sig=KILL
      # shellcheck disable=SC2086
      kill -"$sig" $members 2>/dev/null || true
    fi
    sleep 0.25
  done
  rm -f "$dir/pid"
}

# stop DIR [quiet]: halt, then stop epmd if this node started it and no node uses it any more.
stop() {
  local dir=${1:-} quiet=${2:-} e names
  [ -n "$dir" ] || die "usage: stop DIR"
  [ -d "$dir" ] || return 0
  dir=$(cd "$dir" && pwd)
  if ! load "$dir"; then [ -n "$quiet" ] || say "nothing to stop in $dir"; return 0; fi
  halt "$dir"
  if [ "$(cat "$dir/started_epmd" 2>/dev/null)" = yes ] && e=$(epmd_bin) && [ -n "$e" ]; then
    # Only when it answers and lists no node at all (other nodes may have come to use it).
    if names=$("$e" -names 2>/dev/null) && ! grep -q '^name ' <<<"$names"; then
      "$e" -kill >/dev/null 2>&1 || true
    fi
  fi
  rm -f "$dir/env" "$dir/broker.vars" "$dir/launcher.pid" "$dir/started_epmd"
  [ -n "$quiet" ] || say "stopped $MQTOP_BROKER_NODE ($dir)"
}

restart() {
  local dir=${1:-}
  if [ -z "$dir" ] || ! load "$dir"; then die "no broker configured in ${dir:-DIR}"; fi
  dir=$(cd "$dir" && pwd)
  halt "$dir"
  launch "$dir" || fail "$dir"
}

status() {
  local dir=${1:-} pid
  [ -n "$dir" ] || die "usage: status DIR"
  if [ ! -f "$dir/env" ] || ! load "$dir"; then echo "not running (no broker started in $dir)"; return 1; fi
  dir=$(cd "$dir" && pwd)
  pid=$(beam_pid "$dir" || true)
  if http_ok "$MQTOP_BROKER_MGMT_PORT" /api/overview; then
    echo "up: $MQTOP_BROKER_NODE at $MQTOP_TEST_URL (amqp $MQTOP_BROKER_AMQP_PORT, prometheus $MQTOP_BROKER_PROM_PORT; pid ${pid:-?}, rss $(rss_of "${pid:-0}"))"
  else
    echo "down: $MQTOP_BROKER_NODE (${pid:+pid $pid alive but }management API not answering)"; return 1
  fi
}

case "${1:-}" in
  ensure-installed) ensure_installed ;;
  start) start "${2:-}" "${3:-}" ;;
  stop) stop "${2:-}" ;;
  halt) [ -n "${2:-}" ] || die "usage: halt DIR"; halt "$(cd "$2" && pwd)" ;;
  restart) restart "${2:-}" ;;
  status) status "${2:-}" ;;
  ctl) [ -n "${2:-}" ] && load "$2" || die "usage: ctl DIR ARGS... (no broker configured in ${2:-DIR})"
       d=$(cd "$2" && pwd); shift 2; ctl "$d" "$@" ;;
  *) die "usage: $0 ensure-installed | start DIR [--demo] | stop DIR | halt DIR | restart DIR | status DIR | ctl DIR ARGS..." ;;
esac
