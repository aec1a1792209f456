#!/usr/bin/env bash
# A task of a million events (XT_HUGE_EVENTS) through the HTTP API: the
# condensed view against what the publisher generated, pages of the task and
# of one thread, the streamed compatibility answers byte for byte against the
# pages, and the server's memory while serving all of it: at most 64 MiB
# above the same server idle (peak RSS, from a fresh process on the stored
# data, reset with clear_refs before the requests).
# usage: huge_test.sh PUBLISHER   (XT_SERVER_BIN in the environment;
#        XT_HUGE_NO_MEMORY_BOUND=1 leaves the memory bound out)
set -euo pipefail
export LC_ALL=C
here=$(cd "$(dirname "$0")" && pwd)
publisher=$1
n=${XT_HUGE_EVENTS:-1000000}
task=00000000000b16e5
. "$here/../lib/xtserver.sh"

fail=0
check() { # check WHAT COMMAND...
  local what=$1
  shift
  if "$@"; then echo "ok - $what"; else echo "not ok - $what"; fail=1; fi
}

xt_server_start
work=$(mktemp -d "${TMPDIR:-/tmp}/xthuge.XXXXXX")
xt__tmpdirs+=("$work")
"$publisher" "$XTRACE_SERVER" huge "$task" "$n" >"$work/expect.json"
xt_wait_reports "$n" 300

# A fresh process on the stored data: what ingest left in memory is not
# the serving's.
xt_server_stop
xt_server_start
curl -sS -o /dev/null "$XT_HTTP/api/tasks?limit=5"
idle=$(awk '/^VmRSS/ {print $2}' "/proc/$XT_SERVER_PID/status")
echo 5 >"/proc/$XT_SERVER_PID/clear_refs" # peak RSS starts again from now
peak() { awk '/^VmHWM/ {print $2}' "/proc/$XT_SERVER_PID/status"; }

# The condensed view, compared after naming threads by pid/tid.
curl -sS -f "$XT_HTTP/api/tasks/$task/condensed" >"$work/cond.json"
echo "condensed: peak RSS $(($(peak) - idle)) KiB above idle ($idle KiB)"
norm_server='
  . as $c | def th(i): "\($c.processes[$c.threads[i].process].pid)/\($c.threads[i].tid)";
  { reports,
    threads: [range(0; .threads | length) as $i | {t: th($i), events: .threads[$i].events}] | sort_by(.t),
    edges: [.edges[] | {from: th(.from), to: th(.to), count}] | sort_by(.from, .to),
    critical: {events: .critical.events, segments: [.critical.segments[] | [th(.thread), .events]]} }'
norm_expect='
  . as $e | def th(i): "\($e.threads[i].pid)/\($e.threads[i].tid)";
  { reports,
    threads: [.threads[] | {t: "\(.pid)/\(.tid)", events}] | sort_by(.t),
    edges: [.edges[] | {from: th(.from), to: th(.to), count}] | sort_by(.from, .to),
    critical: {events: .critical.events, segments: [.critical.segments[] | [th(.[0]), .[1]]]} }'
jq -S "$norm_server" "$work/cond.json" >"$work/cond.norm"
jq -S "$norm_expect" "$work/expect.json" >"$work/expect.norm"
check "condensed view: $n reports, threads, edges and critical path as generated" \
  diff -u "$work/expect.norm" "$work/cond.norm"
check "condensed view: nothing left out or unresolved" \
  test "$(jq -c '[.duplicates, .unresolved_parents, .threads_omitted_reports, .edges_omitted, .critical.truncated]' \
    "$work/cond.json")" = '[0,0,0,0,false]'
check "condensed view: the process that ran exec lists both programs in order" \
  test "$(jq -c '[.processes[] | select(.pid == 4003) | .programs[].name]' "$work/cond.json")" \
  = '["sh -c stage-two","stage-two --input -"]'

# Pages of the whole task and of one thread.
curl -sS -f "$XT_HTTP/api/tasks/$task/reports?limit=1000" >"$work/first.json"
curl -sS -f "$XT_HTTP/api/tasks/$task/reports?offset=$((n - 10))&limit=1000" >"$work/last.json"
check "first page: 1000 reports in time order, next at 1000, total $n" \
  test "$(jq -c '[(.reports | length), .next, .total, ([.reports[].Timestamp] | . == sort)]' "$work/first.json")" \
  = "[1000,1000,$n,true]"
check "last page: the last 10 reports, no next page" \
  test "$(jq -c '[(.reports | length), .next]' "$work/last.json")" = '[10,null]'
want=$(jq '.threads[] | select(.pid == 4003 and .tid == 4003) | .events' "$work/expect.json")
curl -sS -f "$XT_HTTP/api/tasks/$task/reports?host=hugehost&pid=4003&tid=4003&offset=$((want - 5))&limit=100" \
  >"$work/thread.json"
check "a thread's last page: its own 5 last reports, after its exec" \
  test "$(jq -c '[(.reports | length), .next, ([.reports[] | [.ProcessID, .ThreadID, .ProcessName]] | unique)]' \
    "$work/thread.json")" = '[5,null,[[4003,4003,"stage-two --input -"]]]'
echo "pages: peak RSS $(($(peak) - idle)) KiB above idle"

# The compatibility answers stream; their bytes are exactly the pages'.
curl -sS -f "$XT_HTTP/interactive/reports/$task" >"$work/stream.json"
echo "stream: peak RSS $(($(peak) - idle)) KiB above idle, $(stat -c %s "$work/stream.json") bytes"
body() { sed -e 's/^{"id":"[0-9a-f]*","offset":[0-9]*,"limit":[0-9]*,"total":[0-9]*,"reports":\[//' \
  -e 's/\],"next":[0-9a-z]*}$//' "$1"; }
head_want="[{\"id\":\"$task\",\"reports\":[$(body "$work/first.json"),"
tail_want=",$(body "$work/last.json")]}]"
check "stream starts with the first page's reports, byte for byte" \
  test "$(head -c "${#head_want}" "$work/stream.json")" = "$head_want"
check "stream ends with the last page's reports, byte for byte" \
  test "$(tail -c "${#tail_want}" "$work/stream.json")" = "$tail_want"
check "stream holds every report" test "$(grep -o '"EventID":' "$work/stream.json" | wc -l)" = "$n"
rm -f "$work/stream.json"
check "plain-text stream holds every report" \
  test "$(curl -sS -f "$XT_HTTP/reports/$task" | grep -c '^X-Trace Report ver 1.0$')" = "$n"

used=$(($(peak) - idle))
echo "serving the $n-event task: peak RSS $used KiB above idle ($idle KiB)"
if [ -n "${XT_HUGE_NO_MEMORY_BOUND:-}" ]; then
  echo "# memory bound not checked (sanitizer build)"
else
  check "memory while serving: at most 64 MiB above idle" test "$used" -le 65536
fi
xt_server_stop
exit $fail
