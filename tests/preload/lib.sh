# Helpers for the preload integration tests. Source from bash after setting
# nothing: CMake passes XT_TOP, XT_SERVER_BIN, XT_PRELOAD_LIB, XT_PROGS and, in
# sanitizer builds, XT_SANITIZE and XT_SAN_RUNTIME through ENVIRONMENT.
set -euo pipefail
. "$XT_TOP/tests/lib/xtserver.sh"

PL_TMP=$(mktemp -d "${TMPDIR:-/tmp}/xtpreload.XXXXXX")
pl_cleanup() {
  rm -rf "$PL_TMP"
  xt__cleanup
}
trap pl_cleanup EXIT

# An instrumented library in an uninstrumented program needs its sanitizer
# runtime preloaded too; the programs' own leaks are not ours to report.
# ASan's runtime goes first (it insists). TSan's goes after the library, so
# that the library's own real calls (the reporter's pthread_create above all)
# resolve through TSan's interceptors and TSan knows every thread; threads
# started in a forked child are normal here (the child's reporter).
PL_PRELOAD=$XT_PRELOAD_LIB
if [ "${XT_SANITIZE:-}" = address ]; then
  PL_PRELOAD=$XT_SAN_RUNTIME:$PL_PRELOAD
  export ASAN_OPTIONS=verify_asan_link_order=0:detect_leaks=0
elif [ "${XT_SANITIZE:-}" = thread ]; then
  PL_PRELOAD=$PL_PRELOAD:$XT_SAN_RUNTIME
  export TSAN_OPTIONS=die_after_fork=0
fi

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# Runs a command with the library preloaded.
traced() { env LD_PRELOAD="$PL_PRELOAD" "$@"; }

pl_start_server() {
  xt_server_start
  trap pl_cleanup EXIT
}

# The single task whose title matches (the first label: the command line).
task_titled() {
  local want=$1 id
  id=$(xt_tasks_json "q=$(jq -rn --arg s "$want" '$s|@uri')" | jq -r --arg s "$want" \
    '[.[] | select(.title | contains($s))] | if length == 1 then .[0].id else empty end')
  [ -n "$id" ] || fail "no single task titled '$want': $(xt_tasks_json)"
  echo "$id"
}

# The reports of a task as a JSON array.
reports() { xt_task_reports_json "$1" | jq '.[0].reports'; }

# Polls until a task whose title ends with TITLE exists and the jq filter,
# applied to its reports, yields true; prints its id.
wait_task_titled() {
  local want=$1 filter=$2 timeout=${3:-30} id=
  local deadline=$((SECONDS + timeout))
  while [ "$SECONDS" -le "$deadline" ]; do
    id=$(xt_tasks_json "q=$(jq -rn --arg s "$want" '$s|@uri')" | jq -r --arg s "$want" \
      '[.[] | select(.title | endswith($s))] | .[0].id // empty')
    if [ -n "$id" ] && reports "$id" | jq -e "$filter" >/dev/null 2>&1; then
      echo "$id"
      return 0
    fi
    sleep 0.2
  done
  fail "no task titled '$want' satisfied $filter: $(xt_tasks_json)"
}

# jq: every process of the task (at least N of them) has reported its exit,
# the last event each process sends.
all_exited() {
  echo ". as \$r | ([.[].ProcessID] | unique) as \$p | (\$p | length) >= $1
    and all(\$p[]; . as \$x | any(\$r[]; .ProcessID == \$x and (.Label | startswith(\"exit \"))))"
}

# Number of tasks the collector stored.
task_count() { xt_tasks_json "limit=1000" | jq 'length'; }

# Polls until the jq filter, applied to the task's reports, yields true.
wait_reports_match() {
  local task=$1 filter=$2 timeout=${3:-20}
  local deadline=$((SECONDS + timeout))
  while [ "$SECONDS" -le "$deadline" ]; do
    if reports "$task" | jq -e "$filter" >/dev/null 2>&1; then return 0; fi
    sleep 0.2
  done
  return 1
}

# The task whose title contains $1, once its process's exit event is stored:
# everything the process reported before it is stored by then.
task_after_exit() {
  local want=$1 timeout=${2:-30} id
  local deadline=$((SECONDS + timeout))
  while [ "$SECONDS" -le "$deadline" ]; do
    id=$(xt_tasks_json "q=$(jq -rn --arg s "$want" '$s|@uri')" | jq -r --arg s "$want" \
      '[.[] | select(.title | contains($s))] | if length == 1 then .[0].id else empty end')
    if [ -n "$id" ] && reports "$id" | jq -e 'any(.Tag | index("exit"))' >/dev/null 2>&1; then
      echo "$id"
      return 0
    fi
    sleep 0.2
  done
  fail "no finished task titled '$want': $(xt_tasks_json)"
}
