# Helpers for the settings tests, on top of the preload tests' (collector,
# traced, fail, reports, wait_reports_match). CMake passes XT_SET_PROGS
# (progs/ here) besides what tests/preload/lib.sh expects.
. "$XT_TOP/tests/preload/lib.sh"
. "$XT_TOP/tests/lib/port.sh"

ST_PIDS=()
st_cleanup() {
  local p
  for p in "${ST_PIDS[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
  for p in "${ST_PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  pl_cleanup
}
trap st_cleanup EXIT

st_start_server() {
  xt_server_start "$@"
  trap st_cleanup EXIT
}

# Polls until exactly one task's title is exactly TITLE; prints its ID.
wait_task_titled() {
  local want=$1 timeout=${2:-30} id=
  local deadline=$((SECONDS + timeout))
  while [ "$SECONDS" -le "$deadline" ]; do
    id=$(xt_tasks_json "limit=1000" | jq -r --arg s "$want" \
      '[.[] | select(.title == $s)] | if length == 1 then .[0].id else empty end' 2>/dev/null) || id=
    [ -n "$id" ] && { echo "$id"; return 0; }
    sleep 0.1
  done
  fail "no single task titled '$want' after ${timeout}s: $(xt_tasks_json | jq -c '[.[].title]')"
}

# wait_reports_match, failing with the task's reports if it never matches.
must_match() {
  local task=$1 filter=$2 what=$3
  wait_reports_match "$task" "$filter" 30 || fail "$what: $(reports "$task" | jq -c '[.[] | {Label, Tag, ParentEventID, EventID}]')"
}

# gate_start NAME: a gate (progs/gate.c) in front of the collector, shut.
# Sets GATE_ADDR (host:port) and GATE_FD (gate_open writes a byte to it).
gate_start() {
  local name=$1
  mkfifo "$PL_TMP/$name.in"
  : >"$PL_TMP/$name.err"
  "$XT_SET_PROGS/gate" "$XTRACE_SERVER" <"$PL_TMP/$name.in" 2>"$PL_TMP/$name.err" &
  ST_PIDS+=($!)
  exec {GATE_FD}>"$PL_TMP/$name.in"
  xt_wait_port "$PL_TMP/$name.err" "${ST_PIDS[-1]}" || fail "gate: $PORT_ERR: $(cat "$PL_TMP/$name.err")"
  GATE_ADDR=127.0.0.1:$PORT
}

gate_open() { echo open >&"$GATE_FD"; }

# Polls until FILE holds a line equal to LINE.
wait_line() {
  local file=$1 line=$2 timeout=${3:-30}
  local deadline=$((SECONDS + timeout))
  while [ "$SECONDS" -le "$deadline" ]; do
    grep -qxF -- "$line" "$file" 2>/dev/null && return 0
    sleep 0.05
  done
  return 1
}

# A context to hand a traced program through XTRACE_BAGGAGE: task ST_TASK
# (hex), one parent, and two baggage items, one with an escaped value.
ST_TASK=1234abcd5678ef01
ST_PARENT=0badc0ffee123456
ST_ITEMS='user=alice,tier=gold%20plus'
ST_BAGGAGE="1;$ST_TASK;$ST_PARENT;$ST_ITEMS"

# Succeeds if the W3C baggage value $1 holds exactly the items of ST_ITEMS.
same_items() {
  [ "$(tr ',' '\n' <<<"$1" | sed 's/^ *//; s/ *$//' | sort)" = "$(tr ',' '\n' <<<"$ST_ITEMS" | sort)" ]
}

# Polls until a task titled exactly TITLE other than those in ST_SEEN
# appears, and prints its ID (for runs of one program: the caller adds it to
# ST_SEEN, as this runs in a subshell).
ST_SEEN=()
wait_new_task_titled() {
  local want=$1 deadline=$((SECONDS + 30)) id=
  local seen
  seen=$(printf '%s\n' "${ST_SEEN[@]}" | jq -R . | jq -s .)
  while [ "$SECONDS" -le "$deadline" ]; do
    id=$(xt_tasks_json "limit=1000" | jq -r --arg s "$want" --argjson seen "$seen" \
      '[.[] | select(.title == $s and (.id as $i | $seen | index([$i]) | not))] | if length == 1 then .[0].id else empty end' \
      2>/dev/null) || id=
    [ -n "$id" ] && { echo "$id"; return 0; }
    sleep 0.1
  done
  fail "no new task titled '$want' after 30s"
}
