# chain_check CLIENT ADD MUL [ADD-FLAGS...]: the reference chain --in 3 ->
# --add 7 -> --mul 3, every process under the preload, must be one task:
# the five lines from three processes, the forward path from the client's
# line to the last server's, and the reply edge back to the client (with
# CHAIN_REPLY_EDGE=0: its absence).
chain_check() {
  local client=$1 add=$2 mul=$3
  shift 3
  start_server mul 1 $mul --mul 3 --listen-addr :0
  local p2=$PORT
  start_server add 1 $add --add 7 --next-server ":$p2" --listen-addr :0 "$@"
  local p1=$PORT
  traced $client --in 3 --next-server ":$p1" >"$T/client.out" 2>"$T/client.err" ||
    fail "client failed"
  [ "$(cat "$T/client.out")" = "Got value 30" ] || fail "client printed: $(cat "$T/client.out")"

  local first="passing --in (3) to :$p1" last="returning value 30" task=
  # The client's line names this round's port: it finds the task even when
  # the collector holds earlier rounds.
  task=$(wait_task_with_label "$first")
  local lines
  lines=$(jq -n --arg a "$first" --arg b "applying operation +7 to argument 3: 10" \
    --arg c "passing to :$p2" --arg d "applying operation *3 to argument 10: 30" --arg e "$last" \
    '[$a, $b, $c, $d, $e]')
  # Complete once the client's exit and the add server's reply are in.
  wait_task "$task" "(map(.Label) as \$have | $lines | all(. as \$x | \$have | index([\$x])))
    and any(.[]; .Label == \"exit 0\")
    and ([.[] | select(.Label | startswith(\"grpc reply\"))] | length) == 2"
  reports "$task" >"$T/task.json"
  jq -e --argjson l "$lines" '[.[] | select(.Label as $x | $l | index([$x]))] | length == 5' \
    "$T/task.json" >/dev/null || fail "the five lines are not each once in task $task"
  jq -e --argjson l "$lines" '[.[] | select(.Label as $x | $l | index([$x])) | .ProcessID] | unique | length == 3' \
    "$T/task.json" >/dev/null || fail "the five lines do not come from three processes"
  jq -e "$JQ_DEFS"' . as $r | ($r | ancestors(label_id($ARGS.named.last))) | index([$r | label_id($ARGS.named.first)]) != null' \
    --arg last "$last" --arg first "$first" "$T/task.json" >/dev/null ||
    fail "'$last' does not descend from '$first'"
  # The reply edge: the client's last event descends from the add server's
  # last event in the task (its reply), which itself follows the mul server.
  local cpid apid
  cpid=$(jq -r --arg f "$first" '.[] | select(.Label == $f) | .ProcessID' "$T/task.json")
  apid=$(jq -r '.[] | select(.Label == "applying operation +7 to argument 3: 10") | .ProcessID' "$T/task.json")
  local edge
  edge=$(jq "$JQ_DEFS"' . as $r
    | ($r | map(select(.ProcessID == $ARGS.named.c)) | max_by(.HRT | tonumber) | .EventID) as $cl
    | ($r | map(select(.ProcessID == $ARGS.named.a)) | max_by(.HRT | tonumber) | .EventID) as $al
    | ($r | ancestors($cl)) | index([$al]) != null' \
    --argjson c "$cpid" --argjson a "$apid" "$T/task.json")
  if [ "${CHAIN_REPLY_EDGE:-1}" = 1 ]; then
    [ "$edge" = true ] || fail "the client's last event does not descend from the server's last event"
  else
    [ "$edge" = false ] || fail "the client's last event descends from the server's last event"
  fi
}
