#!/usr/bin/env bash
# haetae's development stack without Docker: Kafka (KRaft), Elasticsearch and Redis as plain
# local processes. What it downloads, where it keeps things and how it reuses services that are
# already running: docs/stack.md.
set -euo pipefail
# Elasticsearch runs as its own user and must read what root unpacks and generates.
umask 022

STACK_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
PROJECT_ROOT=$(cd "$STACK_SRC/.." && pwd)

# shellcheck source=stack/lib/common.sh
source "$STACK_SRC/lib/common.sh"
# shellcheck source=stack/lib/kafka.sh
source "$STACK_SRC/lib/kafka.sh"
# shellcheck source=stack/lib/elasticsearch.sh
source "$STACK_SRC/lib/elasticsearch.sh"
# shellcheck source=stack/lib/redis.sh
source "$STACK_SRC/lib/redis.sh"

usage() {
  cat <<EOF
Usage: npm run stack -- <command> [service...]      (or: bash stack/stack.sh <command>)

Runs Kafka $KAFKA_VERSION (KRaft), Elasticsearch $ES_VERSION and Redis for haetae as local processes,
no Docker needed. A service that already answers at its configured address (docker compose, a
system Redis, a shared cluster) is reused as it is; only missing local ones are started.

Commands:
  up [service...]        start what is not running and wait until healthy (idempotent)
  down [service...]      stop what this script started (SIGTERM, then SIGKILL after a timeout)
  reset [service...]     stop what this script started and delete its data (does not restart)
  status                 one line per service; exit 0 when all are up, 1 otherwise
  logs [service] [-f]    last 100 lines of a service's log (all services without a name);
                         -f follows, -n N shows N lines
  help                   this text

Services: kafka, elasticsearch, redis.

Environment:
  HAETAE_KAFKA_BROKERS          brokers, host:port[,host:port]  (default 127.0.0.1:9092)
  HAETAE_ELASTICSEARCH_URL      Elasticsearch URL              (default http://127.0.0.1:9200)
  HAETAE_REDIS_URL              Redis URL                      (default redis://127.0.0.1:6379)
  HAETAE_STACK_DIR              data, pid files and logs       (default <project>/.stack)
  HAETAE_CACHE_DIR              downloaded Kafka jars and Elasticsearch
                                (default \${XDG_CACHE_HOME:-\$HOME/.cache}/haetae)
  HAETAE_JAVA_HOME              Java for Kafka and Elasticsearch (default: Java 17 in /usr/lib/jvm)
  HAETAE_KAFKA_HEAP             Kafka heap                     (default 512m)
  HAETAE_ELASTICSEARCH_HEAP     Elasticsearch heap             (default 1g)
  HAETAE_KAFKA_CONTROLLER_PORT  KRaft controller port          (default broker port + 1)
  HAETAE_ELASTICSEARCH_TRANSPORT_PORT  transport port          (default HTTP port + 100)

Details and troubleshooting: docs/stack.md
EOF
}

service_env_var() {
  case $1 in
    kafka) printf 'HAETAE_KAFKA_BROKERS\n' ;;
    elasticsearch) printf 'HAETAE_ELASTICSEARCH_URL\n' ;;
    redis) printf 'HAETAE_REDIS_URL\n' ;;
  esac
}

service_host() {
  case $1 in
    kafka) kafka_host ;;
    elasticsearch) es_url_part host ;;
    redis) redis_url_part host ;;
  esac
}

service_port() {
  case $1 in
    kafka) kafka_port ;;
    elasticsearch) es_url_part port ;;
    redis) redis_url_part port ;;
  esac
}

# The outcome line printed in the summary at the end of `up`.
record() {
  printf '%-14s %-6s %-28s %s\n' "$1" "$2" "$(service_address "$1")" "$3" >"$STACK_TMP/$1.summary"
}

# Brings one service up; runs as a background job of `up`, one per service.
service_up() {
  local svc=$1 start addr pid reason port owner limit=${START_TIMEOUT[$1]}
  start=$(now_ms)
  addr=$(service_address "$svc")
  clear_stale_pid "$svc"
  pid=$(our_pid "$svc") || pid=

  # The data dir belongs to the instance we started; a second one on another port would share it.
  if [[ -n $pid ]] && started_elsewhere "$svc"; then
    say "$svc" "this stack dir ($STACK_DIR) already runs $svc for $(our_address "$svc") (pid $pid). Run 'npm run stack -- down $svc' before changing $(service_env_var "$svc"), or use another HAETAE_STACK_DIR." >&2
    record "$svc" FAILED "ours runs at $(our_address "$svc")"
    return 1
  fi

  if service_healthy "$svc"; then
    if [[ -n $pid ]]; then
      say "$svc" "already running at $addr (pid $pid)"
      record "$svc" up "already running (pid $pid)"
    else
      say "$svc" "already reachable at $addr, reusing"
      [[ $svc == redis ]] && redis_check_reused
      record "$svc" up "external, reused"
    fi
    return 0
  fi

  if [[ -n $pid ]]; then
    say "$svc" "started earlier (pid $pid) but not answering yet; waiting up to $limit s"
  else
    reason=$("${svc}_cannot_start")
    if [[ -n $reason ]]; then
      say "$svc" "not reachable at $addr, and $reason. Start it there, or set $(service_env_var "$svc") to a local address." >&2
      record "$svc" FAILED "not reachable"
      return 1
    fi
    port=$(service_port "$svc")
    if tcp_open "$(service_host "$svc")" "$port"; then
      owner=$(port_owner "$port")
      say "$svc" "port $port is taken by ${owner:-another process} that does not answer as $svc; waiting up to $limit s in case it is still starting"
      if wait_healthy "$svc" "" "$limit"; then
        say "$svc" "now reachable at $addr, reusing"
        record "$svc" up "external, reused"
        return 0
      fi
      say "$svc" "port $port is held by ${owner:-another process} that is not a working $svc. Stop it, or set $(service_env_var "$svc") to another address." >&2
      record "$svc" FAILED "port $port taken"
      return 1
    fi
    # In its own job so that `set -e` stays in force inside it (bash ignores it in functions
    # called from an `if`); launch recomputes the paths prepare settled on.
    "${svc}_prepare" &
    if ! wait "$!"; then
      record "$svc" FAILED "preparation failed"
      return 1
    fi
    "${svc}_launch"
    pid=$LAUNCHED_PID
    say "$svc" "started (pid $pid, log $(log_file "$svc")); waiting up to $limit s"
  fi

  if wait_healthy "$svc" "$pid" "$limit"; then
    say "$svc" "up at $addr after $(elapsed_since "$start")"
    record "$svc" up "started (pid $pid) in $(elapsed_since "$start")"
    return 0
  fi
  show_log_tail "$svc"
  if group_alive "$pid"; then
    say "$svc" "still running as pid $pid; the next 'up' waits for it again, 'npm run stack -- down' stops it" >&2
  fi
  record "$svc" FAILED "not healthy (log: $(log_file "$svc"))"
  return 1
}

# Serialises up/down: two concurrent `up`s must not both start a Kafka on the same port.
take_lock() {
  mkdir -p "$STACK_DIR" "$RUN_DIR" "$LOG_DIR"
  exec 9>"$STACK_DIR/.lock"
  if ! flock -n 9; then
    printf 'stack: another stack up/down is running; waiting for it (up to 10 min)\n'
    flock -w 600 9 || die "another stack up/down still holds $STACK_DIR/.lock after 10 min"
  fi
}

# Tools the health checks themselves need, whatever gets started.
preflight() {
  command -v node >/dev/null 2>&1 || die "node is not on PATH (needed for the Kafka health check); install Node.js 22+"
  need_command curl curl
  need_command redis-cli redis-tools
  need_command flock util-linux
}

parse_services() {
  local svc
  TARGETS=()
  for svc in "$@"; do
    case $svc in
      kafka | elasticsearch | redis) TARGETS+=("$svc") ;;
      es) TARGETS+=(elasticsearch) ;;
      *) die "unknown service '$svc' (expected kafka, elasticsearch or redis)" ;;
    esac
  done
  ((${#TARGETS[@]})) || TARGETS=("${SERVICES[@]}")
}

cmd_up() {
  local start svc failed=() order=()
  local -A jobs=()
  parse_services "$@"
  take_lock
  preflight
  start=$(now_ms)
  printf 'stack: kafka %s, elasticsearch %s, redis %s (data in %s)\n' "$KAFKA_BROKERS" "$ES_URL" "$REDIS_URL" "$STACK_DIR"
  # Elasticsearch first: it is the slowest to start, the others come up while it boots.
  for svc in elasticsearch kafka redis; do
    [[ " ${TARGETS[*]} " == *" $svc "* ]] || continue
    order+=("$svc")
    service_up "$svc" &
    jobs[$svc]=$!
  done
  for svc in "${order[@]}"; do
    wait "${jobs[$svc]}" || failed+=("$svc")
  done
  printf '\n'
  for svc in "${SERVICES[@]}"; do
    [[ -f $STACK_TMP/$svc.summary ]] && cat "$STACK_TMP/$svc.summary"
  done
  if ((${#failed[@]})); then
    printf 'stack: FAILED to bring up %s after %s (details above)\n' "${failed[*]}" "$(elapsed_since "$start")" >&2
    exit 1
  fi
  printf 'stack: up in %s\n' "$(elapsed_since "$start")"
}

cmd_down() {
  local svc pid rc=0
  local -a pids=()
  parse_services "$@"
  take_lock
  for svc in "${TARGETS[@]}"; do
    stop_service "$svc" &
    pids+=($!)
  done
  for pid in "${pids[@]}"; do
    wait "$pid" || rc=1
  done
  return "$rc"
}

# Data directory of a service we run locally.
service_data_dir() {
  case $1 in
    kafka) printf '%s\n' "$KAFKA_DIR/data" ;;
    elasticsearch) printf '%s/data\n' "$(es_runtime_dir)" ;;
    redis) printf '%s\n' "$REDIS_DIR/data" ;;
  esac
}

# Stops our instance and deletes its data. The only way to drop an Elasticsearch data stream with
# the integ-test-zip distribution, which has no _data_stream API (docs/stack.md).
cmd_reset() {
  local svc dir
  parse_services "$@"
  take_lock
  for svc in "${TARGETS[@]}"; do
    if ! our_pid "$svc" >/dev/null && service_healthy "$svc"; then
      say "$svc" "runs at $(service_address "$svc") but was not started by this script; its data is not ours to delete"
      continue
    fi
    stop_service "$svc"
    dir=$(service_data_dir "$svc")
    if [[ -d $dir ]]; then
      rm -rf "$dir"
      say "$svc" "deleted $dir"
    fi
  done
  printf "stack: 'npm run stack -- up' starts the services again with empty data\n"
}

cmd_status() {
  local svc pid state detail all_up=0
  for svc in "${SERVICES[@]}"; do
    pid=$(our_pid "$svc") || pid=
    if service_healthy "$svc"; then
      state=up
      detail=${pid:+pid $pid}
      detail=${detail:-external}
    else
      state=down
      all_up=1
      detail=${pid:+"pid $pid running but not healthy"}
    fi
    if [[ -n $pid ]] && started_elsewhere "$svc"; then
      detail="pid $pid serves $(our_address "$svc") (started with other settings)"
    fi
    printf '%-14s %-6s %-28s %s\n' "$svc" "$state" "$(service_address "$svc")" "$detail" | sed 's/ *$//'
  done
  return "$all_up"
}

cmd_logs() {
  local lines=100 follow=0 svc
  local -a names=() files=()
  while (($#)); do
    case $1 in
      -f | --follow) follow=1 ;;
      -n | --lines)
        [[ ${2:-} =~ ^[0-9]+$ ]] || die "-n needs a number of lines"
        lines=$2
        shift
        ;;
      *) names+=("$1") ;;
    esac
    shift
  done
  parse_services "${names[@]}"
  for svc in "${TARGETS[@]}"; do
    if [[ -f $(log_file "$svc") ]]; then
      files+=("$(log_file "$svc")")
    else
      say "$svc" "no log in $(log_file "$svc") (not started by this script)" >&2
    fi
  done
  ((${#files[@]})) || return 1
  if ((follow)); then
    exec tail -n "$lines" -F "${files[@]}"
  fi
  tail -n "$lines" "${files[@]}"
}

main() {
  local cmd=${1:-help}
  (($#)) && shift
  case $cmd in
    help | -h | --help) usage ;;
    up | down | reset | status | logs)
      STACK_TMP=$(mktemp -d "${TMPDIR:-/tmp}/haetae-stack.XXXXXX")
      trap 'rm -rf "$STACK_TMP"' EXIT
      "cmd_$cmd" "$@"
      ;;
    *)
      usage >&2
      die "unknown command '$cmd'"
      ;;
  esac
}

main "$@"
