# Helpers for the compatibility suite: real, unmodified Debian programs run
# once without and once with the preload, against a real xtrace-server.
# Source from bash; CMake passes what tests/preload/lib.sh needs through
# ENVIRONMENT.
#
#   cx_need PROG...          fails (never skips) when a program is missing:
#                            scripts/setup installs every one of them
#   cx_prepare               defined by the test (optional): fills $CX_WORK,
#                            which is made empty before each run, so both runs
#                            start from the same files under the same path
#   cx_normalise STREAM      defined by the test (optional): filters stdout or
#                            stderr before the comparison; only for output
#                            the program itself does not make deterministic
#   cx_pair CMD...           runs CMD in $CX_WORK without, then with, the
#                            preload; fails unless exit status, stdout,
#                            stderr and the names of the files left in
#                            $CX_WORK are identical. Keeps the outputs in
#                            $PL_TMP/{base,traced}.{out,err}; with CX_KEEP=1
#                            the base run's files stay in $PL_TMP/base.work
#   cx_graph MAX READY       waits until the traced run's one task holds at
#                            most MAX events and the jq filter READY (over its
#                            reports, with graph.jq included) is true; saves the
#                            reports in $CX_REPORTS
#   cx_check WHAT FILTER     fails with WHAT unless FILTER holds on $CX_REPORTS
. "$XT_TOP/tests/preload/lib.sh"

CX_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CX_WORK=$PL_TMP/work
CX_REPORTS=$PL_TMP/reports.json
# One locale, time zone and home for both runs, so that only the preload
# differs between them, and Debian's own programs whatever else the machine
# has installed.
export LC_ALL=C TZ=UTC HOME=$PL_TMP/home PATH=/usr/sbin:/usr/bin:/sbin:/bin
mkdir -p "$HOME"

cx_need() {
  local p
  for p in "$@"; do
    command -v "$p" >/dev/null 2>&1 || fail "$p is not installed (scripts/setup installs it)"
  done
}

cx__fresh() {
  rm -rf "$CX_WORK"
  mkdir -p "$CX_WORK"
  if declare -F cx_prepare >/dev/null; then (cd "$CX_WORK" && cx_prepare); fi
}

cx__norm() {
  if declare -F cx_normalise >/dev/null; then cx_normalise "$1"; else cat; fi
}

cx_pair() {
  local rc_base=0 rc_traced=0 s
  cx__fresh
  (cd "$CX_WORK" && "$@") </dev/null >"$PL_TMP/base.out" 2>"$PL_TMP/base.err" || rc_base=$?
  (cd "$CX_WORK" && find . | sort) >"$PL_TMP/base.files"
  [ -z "${CX_KEEP:-}" ] || cp -a "$CX_WORK" "$PL_TMP/base.work"
  cx__fresh
  (cd "$CX_WORK" && traced "$@") </dev/null >"$PL_TMP/traced.out" 2>"$PL_TMP/traced.err" \
    || rc_traced=$?
  (cd "$CX_WORK" && find . | sort) >"$PL_TMP/traced.files"
  [ "$rc_base" = "$rc_traced" ] ||
    fail "exit status $rc_base without the preload, $rc_traced with it; stderr with it: $(head -c 2000 "$PL_TMP/traced.err")"
  for s in out err; do
    cx__norm "$s" <"$PL_TMP/base.$s" >"$PL_TMP/base.$s.n"
    cx__norm "$s" <"$PL_TMP/traced.$s" >"$PL_TMP/traced.$s.n"
    cmp -s "$PL_TMP/base.$s.n" "$PL_TMP/traced.$s.n" ||
      fail "std$s differs with the preload: $(diff "$PL_TMP/base.$s.n" "$PL_TMP/traced.$s.n" | head -c 2000)"
  done
  cmp -s "$PL_TMP/base.files" "$PL_TMP/traced.files" ||
    fail "the files left differ with the preload: $(diff "$PL_TMP/base.files" "$PL_TMP/traced.files" | head -c 2000)"
}

cx__jq() { jq -L "$CX_DIR" "$@"; }

# Both bounds only grow while reports arrive, so crossing one is final and
# fails at once; READY names the events that must all have arrived.
cx_graph() {
  local max=$1 ready=$2 timeout=${CX_TIMEOUT:-60} tasks n count
  local deadline=$((SECONDS + timeout)) rc=0
  cx__jq -e "include \"graph\"; $ready" <<<'[]' >/dev/null 2>"$PL_TMP/jq.err" || rc=$?
  [ "$rc" -le 1 ] || fail "the wait's filter does not run: $(cat "$PL_TMP/jq.err")"
  while :; do
    tasks=$(xt_tasks_json "limit=100" 2>/dev/null) || tasks='[]'
    n=$(jq 'length' <<<"$tasks")
    [ "$n" -le 1 ] || fail "expected one task, got $n: $(jq -c '[.[] | {title: .title[0:80], reports}]' <<<"$tasks")"
    if [ "$n" = 1 ]; then
      count=$(jq '.[0].reports' <<<"$tasks")
      [ "$count" -le "$max" ] || fail "expected at most $max events, the task holds $count"
      xt_task_reports_json "$(jq -r '.[0].id' <<<"$tasks")" | jq '.[0].reports' >"$CX_REPORTS" 2>/dev/null &&
        cx__jq -e "include \"graph\"; $ready" "$CX_REPORTS" >/dev/null 2>&1 && cx__save && return 0
    fi
    if [ "$SECONDS" -gt "$deadline" ]; then
      [ -s "$CX_REPORTS" ] || echo '[]' >"$CX_REPORTS"
      fail "not all expected events arrived in ${timeout}s ($ready); the task holds: $(cx_summary)"
    fi
    sleep 0.2
  done
}

# CX_SAVE=FILE keeps a copy of the reports checked, to look at a failure.
cx__save() { [ -z "${CX_SAVE:-}" ] || cp "$CX_REPORTS" "$CX_SAVE"; }

# jq -e exits 1 when the filter yields false; anything else is a broken check.
cx_check() {
  local rc=0
  cx__jq -e "include \"graph\"; $2" "$CX_REPORTS" >/dev/null 2>"$PL_TMP/jq.err" || rc=$?
  [ "$rc" != 1 ] || fail "$1; the task holds: $(cx_summary)"
  [ "$rc" = 0 ] || fail "check '$1' did not run: $(cat "$PL_TMP/jq.err")"
}

# One line per event: process, thread, agent, tags and the label's start.
cx_summary() {
  cx__jq -r 'include "graph"; "\n" + (map("\(.ProcessID)/\(.ThreadID) \(.Agent) \(tags) \(.Label[0:70] | @json)") | join("\n"))' \
    "$CX_REPORTS" | head -c 6000
}
