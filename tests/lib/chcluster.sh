# A ClickHouse cluster of plain processes for the ClickHouse store's tests:
# one server per shard, each with a generated config in a temporary
# directory, on ports the kernel picked on loopback. No system service, no
# ZooKeeper (Distributed tables need none).
# Source it from bash:  . "$XT_TOP/tests/lib/chcluster.sh"
#
#   xt_ch_start N        starts N shards of cluster "xt" and waits until each
#                        answers /ping; sets XT_CH_HTTP[i] (http://127.0.0.1:PORT)
#                        for i = 1..N and XT_CH_DIR; stops them on EXIT
#   xt_ch_kill9 I        SIGKILL of shard I, then waits for it
#   xt_ch_restart I      starts shard I again (same ports, same data), waits
#   xt_ch_query I SQL    runs SQL on shard I over HTTP, prints the answer
#   xt_ch_store_url DB   the --store URL: shard 1 first, then the others

XT_CH_BIN=${XT_CH_BIN:-$(command -v clickhouse-server || echo /usr/sbin/clickhouse-server)}
XT_CH_DIR=
XT_CH_N=0
declare -a XT_CH_HTTP XT_CH_PID xt__ch_http_port xt__ch_tcp_port

xt__ch_cleanup() {
  local i
  for ((i = 1; i <= XT_CH_N; i++)); do
    if [ -n "${XT_CH_PID[$i]:-}" ]; then
      kill -KILL "${XT_CH_PID[$i]}" 2>/dev/null || true
      wait "${XT_CH_PID[$i]}" 2>/dev/null || true
    fi
  done
  [ -n "$XT_CH_DIR" ] && rm -rf "$XT_CH_DIR"
  return 0
}

# Prints COUNT distinct free loopback ports: the kernel picks each for a
# socket held open until all are picked, so no two are the same.
xt__ch_ports() {
  perl -MSocket -e '
    my @s;
    for (1 .. $ARGV[0]) {
      socket(my $s, PF_INET, SOCK_STREAM, 0) or die "socket: $!";
      bind($s, pack_sockaddr_in(0, INADDR_LOOPBACK)) or die "bind: $!";
      my ($port) = unpack_sockaddr_in(getsockname($s));
      print "$port\n";
      push @s, $s;
    }' "$1"
}

xt__ch_config() {
  local i=$1 dir=$XT_CH_DIR/shard$1 j
  mkdir -p "$dir/data" "$dir/tmp" "$dir/user_files" "$dir/format_schemas"
  {
    echo '<?xml version="1.0"?>'
    echo '<yandex>'
    echo "  <logger><level>warning</level><log>$dir/server.log</log><errorlog>$dir/error.log</errorlog></logger>"
    echo '  <listen_host>127.0.0.1</listen_host>'
    echo "  <http_port>${xt__ch_http_port[$i]}</http_port>"
    echo "  <tcp_port>${xt__ch_tcp_port[$i]}</tcp_port>"
    echo "  <path>$dir/data/</path><tmp_path>$dir/tmp/</tmp_path>"
    echo "  <user_files_path>$dir/user_files/</user_files_path>"
    echo "  <format_schema_path>$dir/format_schemas/</format_schema_path>"
    echo '  <mark_cache_size>67108864</mark_cache_size>'
    echo '  <uncompressed_cache_size>67108864</uncompressed_cache_size>'
    echo '  <max_concurrent_queries>64</max_concurrent_queries>'
    echo '  <users_config>users.xml</users_config>'
    echo '  <default_profile>default</default_profile><default_database>default</default_database>'
    echo '  <mlock_executable>false</mlock_executable>'
    echo '  <remote_servers><xt>'
    for ((j = 1; j <= XT_CH_N; j++)); do
      echo "    <shard><replica><host>127.0.0.1</host><port>${xt__ch_tcp_port[$j]}</port></replica></shard>"
    done
    echo '  </xt></remote_servers>'
    echo '</yandex>'
  } >"$dir/config.xml"
  cat >"$dir/users.xml" <<'EOF'
<?xml version="1.0"?>
<yandex>
  <profiles><default></default></profiles>
  <users><default><password></password>
    <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
    <profile>default</profile><quota>default</quota></default></users>
  <quotas><default></default></quotas>
</yandex>
EOF
}

xt__ch_launch() {
  local i=$1
  "$XT_CH_BIN" --config-file="$XT_CH_DIR/shard$i/config.xml" </dev/null \
    >"$XT_CH_DIR/shard$i/stdout" 2>&1 &
  XT_CH_PID[$i]=$!
}

# Waits up to 60 s for shard i to answer /ping. Returns 2 when the process
# exited (e.g. a port was taken meanwhile), 1 on timeout.
xt__ch_wait() {
  local i=$1 deadline=$((SECONDS + 60))
  while [ "$SECONDS" -le "$deadline" ]; do
    [ "$(curl -s --max-time 2 "${XT_CH_HTTP[$i]}/ping" 2>/dev/null)" = "Ok." ] && return 0
    if ! kill -0 "${XT_CH_PID[$i]}" 2>/dev/null; then
      wait "${XT_CH_PID[$i]}" 2>/dev/null || true
      XT_CH_PID[$i]=
      return 2
    fi
    sleep 0.1
  done
  echo "xt_ch: shard $i did not answer within 60 s:" >&2
  cat "$XT_CH_DIR/shard$i/error.log" "$XT_CH_DIR/shard$i/stdout" >&2 2>/dev/null
  return 1
}

xt_ch_start() {
  XT_CH_N=$1
  if [ ! -x "$XT_CH_BIN" ]; then
    echo "xt_ch_start: no ClickHouse server at '$XT_CH_BIN' (scripts/setup installs it)" >&2
    return 1
  fi
  XT_CH_DIR=$(mktemp -d "${TMPDIR:-/tmp}/xtch.XXXXXX") || return 1
  trap 'xt__ch_cleanup' EXIT
  # A port picked here can be taken by another program before ClickHouse
  # binds it; then the shard exits at once and all start again on new ports.
  local attempt i ok rc ports
  for attempt in 1 2 3; do
    mapfile -t ports < <(xt__ch_ports $((2 * XT_CH_N)))
    for ((i = 1; i <= XT_CH_N; i++)); do
      xt__ch_http_port[$i]=${ports[$((2 * i - 2))]}
      xt__ch_tcp_port[$i]=${ports[$((2 * i - 1))]}
      XT_CH_HTTP[$i]=http://127.0.0.1:${xt__ch_http_port[$i]}
    done
    for ((i = 1; i <= XT_CH_N; i++)); do xt__ch_config "$i"; xt__ch_launch "$i"; done
    ok=1
    for ((i = 1; i <= XT_CH_N; i++)); do
      rc=0
      xt__ch_wait "$i" || rc=$?
      [ "$rc" -eq 1 ] && return 1
      [ "$rc" -eq 2 ] && ok=0
    done
    [ "$ok" -eq 1 ] && return 0
    xt__ch_cleanup
    XT_CH_DIR=$(mktemp -d "${TMPDIR:-/tmp}/xtch.XXXXXX") || return 1
  done
  echo "xt_ch_start: shards kept exiting at start:" >&2
  cat "$XT_CH_DIR"/shard*/error.log >&2 2>/dev/null
  return 1
}

xt_ch_kill9() {
  kill -KILL "${XT_CH_PID[$1]}" 2>/dev/null || true
  wait "${XT_CH_PID[$1]}" 2>/dev/null || true
  XT_CH_PID[$1]=
}

xt_ch_restart() {
  xt__ch_launch "$1"
  xt__ch_wait "$1"
}

xt_ch_query() { curl -sS --fail --max-time 30 "${XT_CH_HTTP[$1]}/" --data-binary "$2"; }

xt_ch_store_url() {
  local hosts=${XT_CH_HTTP[1]#http://} i
  for ((i = 2; i <= XT_CH_N; i++)); do hosts+=,${XT_CH_HTTP[$i]#http://}; done
  echo "clickhouse+http://$hosts/$1?cluster=xt"
}
