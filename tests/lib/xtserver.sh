# Shared helpers for integration tests that need a running xtrace-server.
# Source it from bash:  . "$XT_TOP/tests/lib/xtserver.sh"
#
#   XT_SERVER_BIN      path of the xtrace-server binary (required; CMake tests
#                      pass $<TARGET_FILE:xtrace-server> through ENVIRONMENT)
#   xt_server_start [ARGS...]  starts it on port 0 with a fresh data dir (or
#                      XT_DATA_DIR if set), waits for its two address lines and
#                      exports XTRACE_SERVER=host:port, XT_HTTP=http://host:port,
#                      XT_SERVER_PID, XT_DATA_DIR; stops it on EXIT
#   xt_server_stop     SIGTERM, then waits for it (returns its exit status)
#   xt_server_kill9    SIGKILL, then waits for it
#   xt_wait_reports N [TIMEOUT_S]   polls /api/stats until stored >= N (default 20 s)
#   xt_stats_json      /api/stats
#   xt_tasks_json [QUERY]           /api/tasks[?QUERY]
#   xt_task_reports_json TASK       /interactive/reports/TASK
#   xt_http_status PATH             prints the HTTP status code of GET PATH

xt__tmpdirs=()

xt__cleanup() {
  if [ -n "${XT_SERVER_PID:-}" ] && kill -0 "$XT_SERVER_PID" 2>/dev/null; then
    kill -TERM "$XT_SERVER_PID" 2>/dev/null || true
    wait "$XT_SERVER_PID" 2>/dev/null || true
  fi
  local d
  for d in "${xt__tmpdirs[@]}"; do rm -rf "$d"; done
}

xt_server_start() {
  if [ -z "${XT_SERVER_BIN:-}" ] || [ ! -x "$XT_SERVER_BIN" ]; then
    echo "xt_server_start: XT_SERVER_BIN is not an executable: '${XT_SERVER_BIN:-}'" >&2
    return 1
  fi
  local run
  run=$(mktemp -d "${TMPDIR:-/tmp}/xtserver.XXXXXX") || return 1
  xt__tmpdirs+=("$run")
  trap xt__cleanup EXIT
  XT_DATA_DIR=${XT_DATA_DIR:-$run/data}
  XT_SERVER_LOG=$run/server.log
  "$XT_SERVER_BIN" --reports-addr 127.0.0.1:0 --http-addr 127.0.0.1:0 --data-dir "$XT_DATA_DIR" "$@" \
    >"$run/stdout" 2>"$XT_SERVER_LOG" &
  XT_SERVER_PID=$!
  local i
  for i in $(seq 1 200); do
    if grep -q '^http: ' "$run/stdout" 2>/dev/null; then break; fi
    if ! kill -0 "$XT_SERVER_PID" 2>/dev/null; then
      echo "xt_server_start: xtrace-server exited:" >&2
      cat "$XT_SERVER_LOG" >&2
      return 1
    fi
    sleep 0.05
  done
  XTRACE_SERVER=$(sed -n 's/^reports: //p' "$run/stdout")
  XT_HTTP=$(sed -n 's#^http: \(http://[^/]*\)/$#\1#p' "$run/stdout")
  if [ -z "$XTRACE_SERVER" ] || [ -z "$XT_HTTP" ]; then
    echo "xt_server_start: no address lines from xtrace-server" >&2
    cat "$XT_SERVER_LOG" >&2
    return 1
  fi
  export XTRACE_SERVER XT_HTTP XT_SERVER_PID XT_DATA_DIR XT_SERVER_LOG
}

xt_server_stop() {
  [ -n "${XT_SERVER_PID:-}" ] || return 0
  kill -TERM "$XT_SERVER_PID" 2>/dev/null
  local rc=0
  wait "$XT_SERVER_PID" || rc=$?
  XT_SERVER_PID=
  return $rc
}

xt_server_kill9() {
  [ -n "${XT_SERVER_PID:-}" ] || return 0
  kill -KILL "$XT_SERVER_PID" 2>/dev/null || true
  wait "$XT_SERVER_PID" 2>/dev/null || true
  XT_SERVER_PID=
  return 0
}

xt_stats_json() { curl -sS --max-time 10 "$XT_HTTP/api/stats"; }

xt_tasks_json() { curl -sS --max-time 10 "$XT_HTTP/api/tasks${1:+?$1}"; }

xt_task_reports_json() { curl -sS --max-time 10 "$XT_HTTP/interactive/reports/$1"; }

xt_http_status() { curl -s -o /dev/null -w '%{http_code}' --max-time 10 "$XT_HTTP$1"; }

xt_wait_reports() {
  local want=$1 timeout=${2:-20} stored=0
  local deadline=$((SECONDS + timeout))
  while [ "$SECONDS" -le "$deadline" ]; do
    stored=$(xt_stats_json 2>/dev/null | jq -r '.stored // 0' 2>/dev/null)
    if [ -n "$stored" ] && [ "$stored" -ge "$want" ]; then return 0; fi
    sleep 0.1
  done
  echo "xt_wait_reports: $stored of $want reports stored after ${timeout}s" >&2
  return 1
}
