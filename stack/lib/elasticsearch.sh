# shellcheck shell=bash
# Elasticsearch: one single-node cluster from the integ-test-zip distribution on Maven Central.
# That distribution has no bundled JDK and a reduced module set (docs/stack.md lists what is
# missing compared with the default distribution).

ES_USER=haetae-es
ES_URL_RE='^(https?)://([^/@]+@)?(\[[^]/]+\]|[^]/:[@]+)(:([0-9]+))?(/.*)?$'

elasticsearch_address() { printf '%s\n' "$ES_URL"; }

es_url_part() {
  [[ $ES_URL =~ $ES_URL_RE ]] || return 1
  case $1 in
    scheme) printf '%s\n' "${BASH_REMATCH[1]}" ;;
    host) printf '%s\n' "${BASH_REMATCH[3]}" ;;
    port)
      local port=${BASH_REMATCH[5]}
      [[ -z $port && ${BASH_REMATCH[1]} == https ]] && port=443
      printf '%s\n' "${port:-80}"
      ;;
    path) printf '%s\n' "${BASH_REMATCH[6]}" ;;
  esac
}

elasticsearch_healthy() {
  # `GET /` answers 405 in the integ-test-zip distribution, so ask for the cluster health.
  curl -fsS -o /dev/null --max-time 3 "$ES_URL/_cluster/health?wait_for_status=yellow&timeout=1s" 2>/dev/null
}

elasticsearch_cannot_start() {
  if [[ ! $ES_URL =~ $ES_URL_RE ]]; then
    printf 'HAETAE_ELASTICSEARCH_URL=%s is not an http(s)://host:port URL\n' "$ES_URL"
  elif [[ $(es_url_part scheme) != http ]]; then
    printf '%s uses https; the stack only starts a plain-http node (security disabled)\n' "$ES_URL"
  elif [[ -n $(es_url_part path) ]]; then
    printf '%s has a path; the stack only starts a node at the root of host:port\n' "$ES_URL"
  elif ! is_local_host "$(es_url_part host)"; then
    printf '%s is not on this machine, so the stack will not start a node for it\n' "$ES_URL"
  fi
}

# True when the Elasticsearch user can reach (traverse) the given existing directory.
es_user_can_reach() {
  is_root || return 0
  runuser -u "$ES_USER" -- test -x "$1" 2>/dev/null
}

es_ensure_user() {
  is_root || return 0
  id -u "$ES_USER" >/dev/null 2>&1 && return 0
  # Elasticsearch refuses to run as root; a system user with no home and no shell is the least
  # privilege that works.
  say elasticsearch "creating system user $ES_USER to run Elasticsearch (it refuses to run as root)"
  useradd --system --no-create-home --shell /usr/sbin/nologin "$ES_USER" ||
    die "could not create system user $ES_USER"
}

# Where the unpacked distribution lives. Normally the cache dir; but a root cache dir is usually
# under /root (mode 700), which $ES_USER cannot traverse. Rather than loosen /root for every
# user, we keep that one copy in /var/cache/haetae, root-owned and world-readable as system
# caches are, so nothing existing changes mode.
es_home_base() {
  mkdir -p "$CACHE_DIR"
  if es_user_can_reach "$CACHE_DIR"; then
    printf '%s\n' "$CACHE_DIR"
  else
    printf '/var/cache/haetae\n'
  fi
}

# Where data, config (with the keystore ES writes) and ES's own logs live: the stack dir, unless
# $ES_USER cannot reach it (a clone under /root); then a directory under /var/lib/haetae keyed by
# the stack dir, linked from the stack dir so it is still found in the usual place.
es_runtime_dir() {
  local dir=$STACK_DIR/elasticsearch fallback
  if [[ -L $dir ]]; then
    readlink -f "$dir"
    return 0
  fi
  mkdir -p "$STACK_DIR"
  if es_user_can_reach "$STACK_DIR"; then
    printf '%s\n' "$dir"
    return 0
  fi
  fallback=/var/lib/haetae/elasticsearch-$(printf '%s' "$STACK_DIR" | cksum | cut -d' ' -f1)
  mkdir -p "$fallback"
  [[ -d $dir ]] && mv "$dir" "$dir.unreachable.$$"
  ln -sfn "$fallback" "$dir"
  say elasticsearch "$STACK_DIR is not reachable by $ES_USER; its data lives in $fallback (linked from $dir)" >&2
  printf '%s\n' "$fallback"
}

es_fetch() {
  [[ -f $1/.complete ]] && return 0
  need_command unzip unzip
  with_lock "$(dirname "$1")/.elasticsearch-fetch.lock" es_fetch_locked "$1"
}

es_fetch_locked() {
  local home=$1 base zip extract
  base=$(dirname "$home")
  [[ -f $home/.complete ]] && return 0
  if [[ $base != "$CACHE_DIR" ]]; then
    say elasticsearch "$CACHE_DIR is not reachable by $ES_USER (a parent directory is private), so the distribution goes to $home"
  fi
  say elasticsearch "fetching Elasticsearch $ES_VERSION from Maven Central (first run only, about 102 MB)"
  mkdir -p "$CACHE_DIR/downloads" "$base"
  run_maven elasticsearch dependency:copy \
    "-Dartifact=org.elasticsearch.distribution.integ-test-zip:elasticsearch:$ES_VERSION:zip" \
    -DoutputDirectory="$CACHE_DIR/downloads" || return 1
  zip=$CACHE_DIR/downloads/elasticsearch-$ES_VERSION.zip
  [[ -f $zip ]] || {
    say elasticsearch "Maven finished but $zip is missing" >&2
    return 1
  }
  extract=$base/.elasticsearch-$ES_VERSION.extract.$$
  rm -rf "$extract"
  unzip -q "$zip" -d "$extract" || {
    say elasticsearch "could not unzip $zip" >&2
    return 1
  }
  [[ -x $extract/elasticsearch-$ES_VERSION/bin/elasticsearch ]] || {
    say elasticsearch "$zip does not contain elasticsearch-$ES_VERSION/bin/elasticsearch" >&2
    return 1
  }
  # The zip's config files are mode 660; whoever runs Elasticsearch from a shared cache (the
  # haetae-es user, another developer) copies them, so they must be readable.
  chmod -R a+rX "$extract/elasticsearch-$ES_VERSION"
  : >"$extract/elasticsearch-$ES_VERSION/.complete"
  rm -rf "$home"
  mv "$extract/elasticsearch-$ES_VERSION" "$home" || return 1
  rm -rf "$extract"
  # The zip stays in ~/.m2; a second copy here would only take space.
  rm -f "$zip"
}

es_configure() {
  local rt=$1 home=$2 host
  host=$(bind_address "$(es_url_part host)")
  mkdir -p "$rt/config" "$rt/data" "$rt/logs" "$rt/tmp"
  [[ -f $rt/config/jvm.options ]] || cp -R "$home/config/." "$rt/config/"
  cat >"$rt/config/elasticsearch.yml" <<EOF
# Generated by stack/stack.sh on every start; edit the script, not this file.
cluster.name: haetae-dev
node.name: haetae-es-1
network.host: $host
http.port: $(es_url_part port)
transport.port: ${HAETAE_ELASTICSEARCH_TRANSPORT_PORT:-$(($(es_url_part port) + 100))}
discovery.type: single-node
path.data: $rt/data
path.logs: $rt/logs
# A laptop disk at 90 % would otherwise turn every index read-only.
cluster.routing.allocation.disk.threshold_enabled: false
xpack.security.enabled: false
# Tests delete indices with wildcards.
action.destructive_requires_name: false
EOF
  if is_root; then
    find "$rt" ! -user "$ES_USER" -exec chown "$ES_USER:" {} +
  fi
}

es_home_dir() { printf '%s/elasticsearch-%s\n' "$(es_home_base)" "$ES_VERSION"; }

elasticsearch_prepare() {
  local home
  find_java_home
  es_ensure_user
  home=$(es_home_dir)
  es_fetch "$home" || return 1
  es_configure "$(es_runtime_dir)" "$home"
}

elasticsearch_launch() {
  local rt home
  local -a run_as=()
  find_java_home
  rt=$(es_runtime_dir)
  home=$(es_home_dir)
  is_root && run_as=(runuser -u "$ES_USER" --)
  # Elasticsearch warns below 65535 open files and can run out of them with many shards. This
  # only raises the limit of this background job, which is Elasticsearch's own.
  ulimit -n 65535 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
  launch elasticsearch "${run_as[@]}" env \
    ES_JAVA_HOME="$JAVA_HOME_FOUND" \
    ES_PATH_CONF="$rt/config" \
    ES_TMPDIR="$rt/tmp" \
    ES_JAVA_OPTS="-Xms${HAETAE_ELASTICSEARCH_HEAP:-1g} -Xmx${HAETAE_ELASTICSEARCH_HEAP:-1g}" \
    "$home/bin/elasticsearch"
}
