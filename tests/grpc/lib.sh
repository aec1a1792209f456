# Helpers for the gRPC tests: a collector, servers under the preload on
# ephemeral ports, and jq queries over a task's reports.
set -euo pipefail
. "$XT_TOP/tests/lib/xtserver.sh"
. "$XT_TOP/tests/lib/port.sh"

T=$(mktemp -d "${TMPDIR:-/tmp}/xtgrpc.XXXXXX")
PIDS=()
g_cleanup() {
  local p
  for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$T"
  xt__cleanup
}
trap g_cleanup EXIT

fail() {
  echo "FAIL: $*" >&2
  local f
  for f in "$T"/*.err; do [ -s "$f" ] && { echo "--- $f" >&2; tail -20 "$f" >&2; }; done
  exit 1
}

start_collector() {
  xt_server_start
  trap g_cleanup EXIT
}

# In the ASan build the preload is instrumented and the programs are not: the
# runtime goes first (it insists), and the programs' own leaks are not ours.
G_PRELOAD=$XT_PRELOAD_LIB
if [ "${XT_SANITIZE:-}" = address ]; then
  G_PRELOAD=$XT_SAN_RUNTIME:$G_PRELOAD
  export ASAN_OPTIONS=verify_asan_link_order=0:detect_leaks=0
fi

# arith and the Ruby client report results ("Got value 30") on stdout, which
# the tests keep apart from stderr: stdout is a log stream here by the
# documented setting, as for a service that logs to stdout.
export XTRACE_LOG_STREAMS=stderr,stdout,syslog

traced() { env LD_PRELOAD="$G_PRELOAD" "$@"; }

# start_server NAME PRELOAD(0|1) BINARY ARGS... : a server that prints
# "listening on :PORT" (arith with --listen-addr :0, mdpeer serve); sets PORT.
start_server() {
  local name=$1 pre=$2
  shift 2
  : >"$T/$name.err" # before the job: see xt_wait_port
  if [ "$pre" = 1 ]; then
    env LD_PRELOAD="$G_PRELOAD" "$@" >"$T/$name.out" 2>"$T/$name.err" &
  else
    "$@" >"$T/$name.out" 2>"$T/$name.err" &
  fi
  PIDS+=($!)
  xt_wait_port "$T/$name.err" "$!" || fail "$name $PORT_ERR"
}

# The one task whose reports include a report with this exact label.
task_with_label() {
  local id
  id=$(xt_tasks_json "q=$(jq -rn --arg s "$1" '$s|@uri')&limit=1000" | jq -r 'map(.id) | join(" ")')
  local found=() t
  for t in $id; do
    if xt_task_reports_json "$t" | jq -e --arg l "$1" 'any(.[0].reports[]; .Label == $l)' >/dev/null; then
      found+=("$t")
    fi
  done
  [ "${#found[@]}" -eq 1 ] || fail "${#found[@]} tasks hold the label '$1'"
  echo "${found[0]}"
}

# The one task holding a report with this exact label, once the collector
# has it (the label is searched for, then checked to be in one task only).
wait_task_with_label() {
  local task=
  for _ in $(seq 100); do
    task=$(xt_tasks_json "q=$(jq -rn --arg s "$1" '$s|@uri')" | jq -r '.[0].id // empty')
    [ -n "$task" ] && break
    sleep 0.2
  done
  [ -n "$task" ] || fail "no task holds '$1'"
  task_with_label "$1"
}

reports() { xt_task_reports_json "$1" | jq '.[0].reports'; }

# Polls until the jq filter over the task's reports is true.
wait_task() {
  local task=$1 filter=$2
  for _ in $(seq 100); do
    reports "$task" | jq -e "$filter" >/dev/null 2>&1 && return 0
    sleep 0.2
  done
  fail "task $task never satisfied: $filter"
}

# jq definitions: ancestors of an event (by EventID) within a report array.
JQ_DEFS='
def byid: map({key: .EventID, value: .}) | from_entries;
def ancestors($id): byid as $b
  | {seen: {}, todo: [$id]}
  | until(.todo | length == 0;
      .todo[0] as $x | .todo |= .[1:]
      | if .seen[$x] then . else .seen[$x] = true
        | .todo += [($b[$x].ParentEventID // [])[] | select($b[.] != null)] end)
  | .seen | keys;
def label_id($l): map(select(.Label == $l)) | if length == 1 then .[0].EventID else error("label \($l): \(length) reports") end;
'
