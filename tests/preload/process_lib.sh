# Helpers for the process tests, on top of lib.sh.

# Waits until exactly one task's title contains $1 and the jq filter $2,
# applied to its reports, yields true; prints the reports. Fails after 30 s.
wait_task_where() {
  local title=$1 filter=$2 id r
  local deadline=$((SECONDS + 30))
  while [ "$SECONDS" -le "$deadline" ]; do
    id=$(xt_tasks_json "limit=1000" 2>/dev/null | jq -r --arg s "$title" \
      '[.[] | select(.title | contains($s))] | if length == 1 then .[0].id else empty end' \
      2>/dev/null) || id=
    if [ -n "$id" ]; then
      r=$(reports "$id")
      if jq -e "$filter" <<<"$r" >/dev/null 2>&1; then
        echo "$r"
        return 0
      fi
    fi
    sleep 0.2
  done
  echo "FAIL: no task titled '$title' where $filter: $(xt_tasks_json limit=1000)" >&2
  [ -n "${id:-}" ] && reports "$id" | jq -c '.[] | [.EventID, .ParentEventID, .ProcessID, .Label]' >&2
  return 1
}

# A jq filter true once every label given is in the reports.
has_labels() {
  local l f='true'
  for l in "$@"; do f="$f and any(.[]; .Label == $(jq -rn --arg s "$l" '$s|tojson'))"; done
  echo "$f"
}

# jq definitions for the assertions: the single event labelled $l, and the
# process start / exit events of a pid.
PL_JQ_DEFS='
def ev($l): [.[] | select(.Label == $l)] | if length == 1 then .[0] else error("not one event labelled \($l)") end;
def start_of($p): [.[] | select(.ProcessID == $p and (.Tag | index("start")))] | if length == 1 then .[0] else error("not one start of \($p)") end;
def exit_of($p): [.[] | select(.ProcessID == $p and (.Tag | index("exit")))] | if length == 1 then .[0] else error("not one exit of \($p)") end;
def fork_of($p): ev("fork child \($p)");
'

# Asserts the jq filter (with the definitions above) holds for reports $1.
check() {
  local r=$1 filter=$2 what=$3
  jq -e "$PL_JQ_DEFS $filter" <<<"$r" >/dev/null ||
    fail "$what: $(jq -c '.[] | [.EventID, .ParentEventID, .ProcessID, .Label]' <<<"$r")"
}
