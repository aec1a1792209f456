#!/usr/bin/env bash
# A Ruby client (ruby-grpc's grpc_c.so calls the core through the PLT) joins
# the traced C chain: one task from the Ruby process to the last server and
# back.
. "$(dirname "$0")/lib.sh"
ruby -e "require 'grpc'" 2>/dev/null || fail "ruby-grpc is missing (scripts/setup installs it)"
start_collector
start_server mul 1 "$ARITH" --mul 3 --listen-addr :0
p2=$PORT
start_server add 1 "$ARITH" --add 7 --next-server ":$p2" --listen-addr :0
p1=$PORT
traced ruby "$(dirname "$0")/client.rb" "$p1" 3 >"$T/client.out" 2>"$T/client.err" ||
  fail "ruby client failed"
[ "$(cat "$T/client.out")" = "Got value 30" ] || fail "ruby printed: $(cat "$T/client.out")"
first="passing --in (3) to :$p1"
task=$(wait_task_with_label "$first")
wait_task "$task" 'any(.[]; .Label == "returning value 30") and any(.[]; .Label == "Got value 30")
  and ([.[] | select(.Label | startswith("grpc reply"))] | length) == 2'
reports "$task" >"$T/task.json"
[ "$(jq '[.[].ProcessID] | unique | length' "$T/task.json")" = 3 ] || fail "task does not span three processes"
jq -e "$JQ_DEFS"' . as $r | ($r | ancestors(label_id("returning value 30")))
    | index([$r | label_id($ARGS.named.first)]) != null' --arg first "$first" "$T/task.json" \
  >/dev/null || fail "the last server's line does not descend from the Ruby client's"
# The reply edge: the answer descends from the first server's reply.
jq -e "$JQ_DEFS"' . as $r | ($r | ancestors(label_id("Got value 30")))
    | index([$r | map(select((.Label | startswith("grpc reply")) and (.ProcessName | contains("--add 7"))))
             | .[0].EventID]) != null' \
  "$T/task.json" >/dev/null || fail "the Ruby client's answer does not descend from the first server's reply"
