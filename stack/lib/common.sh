# shellcheck shell=bash
# Shared helpers for stack/stack.sh: locations, addresses, process groups, health waiting.
# Sourced, never run. Expects STACK_SRC and PROJECT_ROOT to be set by stack.sh.

KAFKA_VERSION=3.9.2
KAFKA_SCALA_VERSION=2.13
ES_VERSION=8.19.21
SERVICES=(kafka elasticsearch redis)

# Seconds to wait for each service to become healthy after it was started, and for it to stop.
declare -A START_TIMEOUT=([kafka]=90 [elasticsearch]=180 [redis]=20)
declare -A STOP_TIMEOUT=([kafka]=60 [elasticsearch]=60 [redis]=20)
# Seconds between health checks: Redis answers within milliseconds of starting; a Kafka check
# costs a node process, which competes for CPU with the booting JVMs on a small machine.
declare -A POLL_INTERVAL=([kafka]=0.5 [elasticsearch]=1 [redis]=0.1)

absolute_path() {
  case $1 in
    /*) printf '%s\n' "$1" ;;
    *) printf '%s/%s\n' "$PWD" "$1" ;;
  esac
}

STACK_DIR=$(absolute_path "${HAETAE_STACK_DIR:-$PROJECT_ROOT/.stack}")
CACHE_DIR=$(absolute_path "${HAETAE_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/haetae}")
RUN_DIR=$STACK_DIR/run
LOG_DIR=$STACK_DIR/logs

KAFKA_BROKERS=${HAETAE_KAFKA_BROKERS:-127.0.0.1:9092}
ES_URL=${HAETAE_ELASTICSEARCH_URL:-http://127.0.0.1:9200}
ES_URL=${ES_URL%/}
REDIS_URL=${HAETAE_REDIS_URL:-redis://127.0.0.1:6379}

die() {
  printf 'stack: %s\n' "$*" >&2
  exit 1
}

# Per-service progress line. Lines from the three concurrent branches interleave, so each one
# names its service.
say() {
  local svc=$1
  shift
  printf '%s: %s\n' "$svc" "$*"
}

now_ms() {
  # EPOCHREALTIME uses the locale's decimal separator; keep the digits only (microseconds).
  local t=${EPOCHREALTIME//[!0-9]/}
  printf '%s\n' $((t / 1000))
}

# "12.3 s" since a now_ms timestamp.
elapsed_since() {
  local ms=$(($(now_ms) - $1))
  printf '%d.%02d s\n' $((ms / 1000)) $((ms % 1000 / 10))
}

is_root() { [[ $EUID -eq 0 ]]; }

is_local_host() {
  case $1 in
    127.0.0.1 | localhost | ::1 | '[::1]') return 0 ;;
    *) return 1 ;;
  esac
}

# Address a locally started server binds to: "localhost" would let the JVMs pick ::1 or 127.0.0.1
# depending on the resolver, so pin it.
bind_address() {
  case $1 in
    ::1 | '[::1]') printf '::1\n' ;;
    *) printf '127.0.0.1\n' ;;
  esac
}

# True when something accepts TCP connections on host:port (whatever it is).
tcp_open() {
  local host=${1#[}
  host=${host%]}
  # shellcheck disable=SC2016 # $0 and $1 are expanded by the inner bash
  timeout 2 bash -c 'exec 3<>"/dev/tcp/$0/$1"' "$host" "$2" 2>/dev/null
}

# Who holds a local port, for error messages. Empty when ss is not installed.
port_owner() {
  command -v ss >/dev/null 2>&1 || return 0
  ss -Hltnp "sport = :$1" 2>/dev/null | sed -n 's/.*users:(\(.*\))$/\1/p' | head -1
}

# ---------------------------------------------------------------------------------------------
# Packages. Only root can install; everyone else gets the exact package names to install.

APT_UPDATED=0
apt_install() {
  is_root || die "missing $*: install these Debian packages (or run the stack as root, which installs them)"
  command -v apt-get >/dev/null 2>&1 || die "missing $* and this system has no apt-get: install them by hand"
  mkdir -p "$CACHE_DIR"
  # The three services prepare concurrently and dpkg allows one writer at a time.
  (
    flock -w 600 7 || die "timed out waiting for another apt-get run of the stack"
    if [[ $APT_UPDATED == 0 && ! -e $STACK_TMP/apt-updated ]]; then
      DEBIAN_FRONTEND=noninteractive apt-get update -qq || die "apt-get update failed"
      : >"$STACK_TMP/apt-updated"
    fi
    printf 'stack: installing Debian package(s): %s\n' "$*"
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >"$STACK_TMP/apt.log" 2>&1 || {
      tail -n 30 "$STACK_TMP/apt.log" >&2
      die "apt-get install $* failed (output above)"
    }
  ) 7>"$CACHE_DIR/.apt.lock" || exit 1
  APT_UPDATED=1
}

# need_command COMMAND PACKAGE: install PACKAGE when COMMAND is missing.
need_command() {
  command -v "$1" >/dev/null 2>&1 || apt_install "$2"
  command -v "$1" >/dev/null 2>&1 || die "installed $2 but '$1' is still not on PATH"
}

# Kafka 3.9 and Elasticsearch 8.19 are both verified on Java 17; newer JDKs are not (Elasticsearch
# 8 in particular is picky), so prefer 17 over whatever `java` happens to be first on PATH.
JAVA_HOME_FOUND=
find_java_home() {
  [[ -n $JAVA_HOME_FOUND ]] && return 0
  local arch candidate
  arch=$(dpkg --print-architecture 2>/dev/null || echo amd64)
  for attempt in 1 2; do
    for candidate in "${HAETAE_JAVA_HOME:-}" "/usr/lib/jvm/java-17-openjdk-$arch" /usr/lib/jvm/java-17-openjdk-* \
      /usr/lib/jvm/java-21-openjdk-*; do
      if [[ -n $candidate && -x $candidate/bin/java ]]; then
        JAVA_HOME_FOUND=$candidate
        return 0
      fi
    done
    [[ $attempt == 1 ]] && apt_install openjdk-17-jre-headless
  done
  die "no Java 17 or 21 found under /usr/lib/jvm; set HAETAE_JAVA_HOME to a JDK/JRE 17+ home"
}

# with_lock LOCKFILE COMMAND...: run COMMAND (in a subshell) holding LOCKFILE. Fetches take it:
# several stack dirs, or a test run's `up` next to a developer's, may share one cache.
with_lock() {
  local lock=$1
  shift
  mkdir -p "$(dirname "$lock")"
  (
    flock -w 900 8 || {
      printf 'stack: timed out after 15 min waiting for %s\n' "$lock" >&2
      exit 1
    }
    "$@"
  ) 8>"$lock"
}

# Maven resolves both the Kafka jars and the Elasticsearch zip. Its local repository (~/.m2) is
# not safe for two concurrent Maven runs that download the same plugin, so they take turns.
run_maven() {
  local svc=$1 log=$LOG_DIR/maven-$1.log
  shift
  need_command mvn maven
  find_java_home
  mkdir -p "$CACHE_DIR"
  if ! JAVA_HOME=$JAVA_HOME_FOUND flock -w 900 "$CACHE_DIR/.maven.lock" mvn -q -B -Dstyle.color=never "$@" >"$log" 2>&1; then
    tail -n 30 "$log" >&2
    say "$svc" "Maven failed (last lines above; full output in $log)" >&2
    return 1
  fi
}

# ---------------------------------------------------------------------------------------------
# Processes. Each server runs as the leader of its own session (setsid), so that it survives the
# shell that ran `stack up` and so that `down` can signal the whole group: Elasticsearch is a
# launcher JVM plus a server JVM, under runuser when we are root.

pid_file() { printf '%s/%s.pid\n' "$RUN_DIR" "$1"; }
log_file() { printf '%s/%s.log\n' "$LOG_DIR" "$1"; }

group_alive() { kill -0 -- "-$1" 2>/dev/null; }

# Start time of a process in clock ticks since boot (field 22 of /proc/PID/stat): with the pid,
# it identifies a process even after its pid number has been reused.
process_start_time() {
  local stat rest fields
  stat=$(<"/proc/$1/stat") 2>/dev/null || return 1
  rest=${stat##*) }
  read -ra fields <<<"$rest"
  printf '%s\n' "${fields[19]}"
}

# The pid file holds "PGID START-TIME ADDRESS" (PGID = pid of the process that leads the group).
read_pid_file() {
  PID_FILE_PID= PID_FILE_START= PID_FILE_ADDRESS=
  local file second third
  file=$(pid_file "$1")
  [[ -f $file ]] || return 1
  read -r PID_FILE_PID second third <"$file" || true
  if [[ $second =~ ^[0-9]+$ ]]; then
    PID_FILE_START=$second PID_FILE_ADDRESS=$third
  else
    PID_FILE_ADDRESS=$second
  fi
  [[ $PID_FILE_PID =~ ^[0-9]+$ ]]
}

# Prints the pid (= process group id) of the service we started, if it is still alive. A pid file
# left from before a reboot must not make us signal whatever process got that number since.
our_pid() {
  local boot
  read_pid_file "$1" || return 1
  group_alive "$PID_FILE_PID" || return 1
  if [[ -d /proc/$PID_FILE_PID && -n $PID_FILE_START ]]; then
    [[ $(process_start_time "$PID_FILE_PID") == "$PID_FILE_START" ]] || return 1
  else
    # The leader is gone but its group lives on (say, runuser was killed but not Elasticsearch):
    # still ours if the pid file was written since the last boot.
    boot=$(sed -n 's/^btime //p' /proc/stat)
    (($(stat -c %Y "$(pid_file "$1")") >= boot)) || return 1
  fi
  printf '%s\n' "$PID_FILE_PID"
}

# The address the service we started was configured for.
our_address() {
  read_pid_file "$1" || true
  printf '%s\n' "$PID_FILE_ADDRESS"
}

# True when the instance we started was configured for another address than the current one.
started_elsewhere() {
  local recorded
  recorded=$(our_address "$1")
  [[ -n $recorded && $recorded != "$(service_address "$1")" ]]
}

clear_stale_pid() {
  local file
  file=$(pid_file "$1")
  if [[ -f $file ]] && ! our_pid "$1" >/dev/null; then
    rm -f "$file"
  fi
}

# launch SERVICE COMMAND...: start COMMAND detached, output to the service's log (the previous
# run's log is kept as .1), and record its pid.
launch() {
  local svc=$1 log
  shift
  log=$(log_file "$svc")
  mkdir -p "$RUN_DIR" "$LOG_DIR"
  [[ -f $log ]] && mv -f "$log" "$log.1"
  # fd 9 is the stack lock held by this `up`; a server that inherited it would hold it forever.
  setsid nohup "$@" >"$log" 2>&1 </dev/null 9>&- &
  LAUNCHED_PID=$!
  printf '%s %s %s\n' "$LAUNCHED_PID" "$(process_start_time "$LAUNCHED_PID" || echo 0)" \
    "$(service_address "$svc")" >"$(pid_file "$svc")"
}

# stop_service SERVICE: SIGTERM the group, wait, then SIGKILL. Only touches what we started.
stop_service() {
  local svc=$1 pid start waited=0 limit=${STOP_TIMEOUT[$1]}
  start=$(now_ms)
  if ! pid=$(our_pid "$svc"); then
    rm -f "$(pid_file "$svc")"
    if service_healthy "$svc"; then
      say "$svc" "not started by this script (external at $(service_address "$svc")), left running"
    else
      say "$svc" "not running"
    fi
    return 0
  fi
  kill -TERM -- "-$pid" 2>/dev/null || true
  while group_alive "$pid"; do
    if ((waited >= limit * 10)); then
      say "$svc" "still running ${limit} s after SIGTERM, sending SIGKILL to process group $pid"
      kill -KILL -- "-$pid" 2>/dev/null || true
      sleep 0.5
      break
    fi
    sleep 0.1
    waited=$((waited + 1))
  done
  rm -f "$(pid_file "$svc")"
  say "$svc" "stopped (pid $pid) in $(elapsed_since "$start")"
}

show_log_tail() {
  local svc=$1 log
  log=$(log_file "$svc")
  if [[ -s $log ]]; then
    printf -- '----- last 30 lines of %s -----\n' "$log" >&2
    tail -n 30 "$log" >&2
    printf -- '----- end of %s -----\n' "$log" >&2
  else
    say "$svc" "no log output in $log" >&2
  fi
}

# Dispatch to the service's own functions (kafka_healthy, elasticsearch_address, ...).
service_healthy() { "${1}_healthy"; }
service_address() { "${1}_address"; }

# wait_healthy SERVICE PID TIMEOUT: poll until healthy. PID (may be empty) is the process we
# started; when it dies we stop waiting at once instead of running out the clock.
wait_healthy() {
  local svc=$1 pid=$2 limit=$3 start next_report=10 elapsed
  start=$(now_ms)
  while true; do
    # A healthy answer only counts while our process lives: if it died (say, on a port taken
    # meanwhile), the answer came from someone else.
    if service_healthy "$svc" && { [[ -z $pid ]] || group_alive "$pid"; }; then
      return 0
    fi
    elapsed=$((($(now_ms) - start) / 1000))
    if [[ -n $pid ]] && ! group_alive "$pid"; then
      say "$svc" "process $pid exited during startup" >&2
      return 1
    fi
    if ((elapsed >= limit)); then
      say "$svc" "not healthy after ${limit} s" >&2
      return 1
    fi
    if ((elapsed >= next_report)); then
      say "$svc" "still starting (${elapsed} s)"
      next_report=$((next_report + 10))
    fi
    sleep "${POLL_INTERVAL[$svc]}"
  done
}
