#!/usr/bin/env bash
# 8 client threads x 100 calls through two traced servers. The client is not
# traced, so each call starts a task at the first server: 800 tasks, and
# every event of a task must belong to that task's own input, so a pooled
# server thread never carries one call's context into the next.
. "$(dirname "$0")/lib.sh"
# Each server logs 1,600 lines in a few seconds, past the default line
# budget; every line is checked here, so the budget is set to hold them.
export XTRACE_LOG_BURST=100000
start_collector
start_server mul 1 "$ARITH" --mul 3 --listen-addr :0
p2=$PORT
start_server add 1 "$ARITH" --add 7 --next-server ":$p2" --listen-addr :0
"$ARITH" --in 1000 --threads 8 --count 100 --next-server ":$PORT" >"$T/client.out" 2>"$T/client.err" ||
  fail "client failed"
# 6 events per call at the first server (receive, its two lines, the
# forward's call and done, the reply), 4 at the second, plus the process
# start and "listening on" of each server.
xt_wait_reports $((800 * 10 + 4)) 60 || fail "reports missing"
ids=$(xt_tasks_json "limit=1000" | jq -r '.[].id')
[ "$(echo "$ids" | wc -l)" = 802 ] || fail "$(echo "$ids" | wc -l) tasks, want 800 calls + 2 servers"
: >"$T/all.json"
echo "$ids" | xargs -n 50 | tr ' ' ',' | while read -r batch; do
  xt_task_reports_json "$batch" >>"$T/all.json"
done
# One summary line per task: its input and whether all its events agree.
jq -r '.[] | .reports as $r | ($r | map(.Label)) as $l
  | ($l | map(capture("^applying operation \\+7 to argument (?<n>-?[0-9]+): ")) ) as $add
  | select($add | length > 0)
  | ($add[0].n | tonumber) as $n
  | (($n + 7) * 3) as $v
  | [$n,
     ($add | length) == 1,
     ($l | map(select(. == "applying operation *3 to argument \($n + 7): \($v)")) | length) == 1,
     ($l | map(select(. == "returning value \($v)")) | length) == 1,
     ($l | map(select(startswith("applying") or startswith("returning"))) | length) == 3,
     ($l | map(select(startswith("grpc receive"))) | length) == 2,
     ($l | map(select(startswith("grpc reply"))) | length) == 2,
     ($r | map(.ProcessID) | unique | length) == 2] | @tsv' "$T/all.json" >"$T/summary.tsv"
[ "$(wc -l <"$T/summary.tsv")" = 800 ] || fail "$(wc -l <"$T/summary.tsv") tasks hold a call"
bad=$(grep -c false "$T/summary.tsv" || true)
[ "$bad" = 0 ] || fail "$bad tasks mix events of other calls: $(grep false "$T/summary.tsv" | head -3)"
[ "$(cut -f1 "$T/summary.tsv" | sort -un | wc -l)" = 800 ] || fail "inputs repeat across tasks"
[ "$(cut -f1 "$T/summary.tsv" | sort -n | sed -n '1p;$p' | tr '\n' ' ')" = "1000 1799 " ] ||
  fail "inputs are not 1000..1799"
