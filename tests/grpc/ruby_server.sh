#!/usr/bin/env bash
# A Ruby (ruby-grpc) server in the middle of the traced C chain. Ruby's
# GRPC::RpcServer dequeues each new call on the thread that runs it and runs
# the handler on a pool thread: the call's context must follow the call to
# that thread (re-adopted on its first batch), the handler's own outgoing
# call must carry it on, and its reply must bring the downstream events
# back. Then several calls in a row over a pool of two threads: each call's
# events stay in its own task although pool threads serve more than one.
. "$(dirname "$0")/lib.sh"
ruby -e "require 'grpc'" 2>/dev/null || fail "ruby-grpc is missing (scripts/setup installs it)"
start_collector
start_server mul 1 "$ARITH" --mul 3 --listen-addr :0
p2=$PORT
start_server rb 1 ruby "$(dirname "$0")/server.rb" 0 --add 7 --next-server ":$p2" --pool 2
p1=$PORT
# env execs ruby: the server's process ID is the one started.
rpid=${PIDS[-1]}

# call N: runs the C client with --in N through the Ruby server, checks its
# answer, waits until the task holding its first line is complete and
# leaves that task's reports in $T/call$N.json.
call() {
  local n=$1 want=$((($1 + 7) * 3))
  traced "$ARITH" --in "$n" --next-server ":$p1" >"$T/client$n.out" 2>"$T/client$n.err" ||
    fail "client --in $n failed"
  [ "$(cat "$T/client$n.out")" = "Got value $want" ] ||
    fail "client --in $n printed: $(cat "$T/client$n.out")"
  local first="passing --in ($n) to :$p1" task=
  task=$(wait_task_with_label "$first")
  # Complete once every line of the chain, the client's exit and both
  # replies are in; if some never come, say which.
  local lines
  lines=$(jq -n --arg n "$n" --arg p1 "$p1" --arg p2 "$p2" '($n | tonumber) as $n
    | ["passing --in (\($n)) to :\($p1)", "applying operation +7 to argument \($n): \($n + 7)",
       "passing to :\($p2)", "applying operation *3 to argument \($n + 7): \(($n + 7) * 3)",
       "returning value \(($n + 7) * 3)", "next server :\($p2) returned \(($n + 7) * 3)",
       "Got value \(($n + 7) * 3)"]')
  local done=
  for _ in $(seq 100); do
    reports "$task" >"$T/call$n.json"
    if jq -e --argjson l "$lines" '(map(.Label) as $have | $l - $have | length == 0)
        and any(.[]; .Label == "exit 0")
        and ([.[] | select(.Label | startswith("grpc reply"))] | length) == 2' \
      "$T/call$n.json" >/dev/null 2>&1; then
      done=1
      break
    fi
    sleep 0.2
  done
  if [ -z "$done" ]; then
    local h="applying operation +7 to argument $n: $((n + 7))"
    fail "task $task of --in $n lacks: $(jq -c --argjson l "$lines" \
      '$l - map(.Label) + (if any(.[]; .Label == "exit 0") then [] else ["exit 0"] end)
       + ([.[] | select(.Label | startswith("grpc reply"))] | if length == 2 then [] else ["2 grpc replies, not \(length)"] end)' \
      "$T/call$n.json"); '$h' is in task(s) [$(xt_tasks_json "q=$(jq -rn --arg s "$h" '$s|@uri')" |
      jq -r 'map(.id) | join(" ")')]"
  fi
  echo "$task" >"$T/call$n.task"
}

# One call: --in 3 -> Ruby +7 -> C *3.
call 3
J=$T/call3.json
first="passing --in (3) to :$p1"
handler=("applying operation +7 to argument 3: 10" "passing to :$p2" "next server :$p2 returned 30")
hl=$(printf '%s\n' "${handler[@]}" | jq -R . | jq -s .)

[ "$(jq '[.[].ProcessID] | unique | length' "$J")" = 3 ] ||
  fail "the task does not span three processes: $(jq -c '[.[].ProcessName] | unique' "$J")"
# The handler's lines are the Ruby server's, each once.
jq -e --argjson h "$hl" --argjson p "$rpid" \
  '[.[] | select(.Label as $x | $h | index([$x]))] | length == 3 and all(.ProcessID == $p)' \
  "$J" >/dev/null || fail "the Ruby handler's three lines are not each once in the task, from the Ruby server"
# Forward path: the handler's lines and the last server's descend from the
# client's first line.
for l in "${handler[@]}" "returning value 30"; do
  jq -e "$JQ_DEFS"' . as $r | ($r | ancestors(label_id($ARGS.named.l)))
      | index([$r | label_id($ARGS.named.first)]) != null' \
    --arg l "$l" --arg first "$first" "$J" >/dev/null ||
    fail "'$l' does not descend from '$first'"
done
# The nested call's reply edge: the handler's line after its forward
# descends from the last server's answer.
jq -e "$JQ_DEFS"' . as $r | ($r | ancestors(label_id($ARGS.named.after)))
    | index([$r | label_id("returning value 30")]) != null' \
  --arg after "next server :$p2 returned 30" "$J" >/dev/null ||
  fail "the Ruby handler's line after its forward does not descend from 'returning value 30'"
# The reply edge: the client's answer descends from the Ruby server's reply.
jq -e "$JQ_DEFS"' . as $r
    | ($r | map(select(.ProcessID == $ARGS.named.p and (.Label | startswith("grpc reply")))) | .[0].EventID) as $reply
    | $reply != null and (($r | ancestors(label_id("Got value 30"))) | index([$reply]) != null)' \
  --argjson p "$rpid" "$J" >/dev/null ||
  fail "'Got value 30' does not descend from the Ruby server's grpc reply"

# The hand-off: one Ruby thread recorded the call's arrival, another ran
# the handler, and the handler continues from the arrival.
# handoff FILE N: the receive thread, the handler thread, the receive event
# and the handler's first event of call --in N.
handoff() {
  local f=$1 arg=$2
  jq -e -r "$JQ_DEFS"' . as $r
      | [$r[] | select(.ProcessID == $ARGS.named.p and (.Label | startswith("grpc receive")))] as $rx
      | ($r | label_id("applying operation +7 to argument \($ARGS.named.a): \($ARGS.named.a | tonumber + 7)")) as $h
      | if ($rx | length) != 1 then error("\($rx | length) grpc receive events of the Ruby server")
        else "\($rx[0].ThreadID) \($r | map(select(.EventID == $h)) | .[0].ThreadID) \($rx[0].EventID) \($h)" end' \
    --argjson p "$rpid" --arg a "$arg" "$f"
}
read -r rx_tid h_tid rx_ev h_ev < <(handoff "$J" 3) || fail "no single Ruby grpc receive in the task"
[ "$rx_tid" != "$h_tid" ] ||
  fail "the Ruby handler ran on the thread that dequeued the call ($rx_tid): no hand-off was tested"
jq -e --argjson t "$h_tid" --argjson h "$hl" \
  '[.[] | select(.Label as $x | $h | index([$x]))] | all(.ThreadID == $t)' "$J" >/dev/null ||
  fail "the Ruby handler's lines are not all on its thread $h_tid"
jq -e "$JQ_DEFS"' . as $r | ($r | ancestors($ARGS.named.h)) | index([$ARGS.named.rx]) != null' \
  --arg h "$h_ev" --arg rx "$rx_ev" "$J" >/dev/null ||
  fail "the handler's first line (thread $h_tid) does not descend from the grpc receive (thread $rx_tid)"

# Calls in a row: with four calls on a pool of two threads, some pool thread
# serves two of them; each call's events must be in a task of its own.
for n in 4 5 6; do call "$n"; done
declare -A seen_task
h_tids=()
for n in 3 4 5 6; do
  f=$T/call$n.json task=$(cat "$T/call$n.task")
  [ -z "${seen_task[$task]:-}" ] || fail "calls --in ${seen_task[$task]} and --in $n share task $task"
  seen_task[$task]=$n
  # Every operation line in the task is this call's: the Ruby server's on
  # argument N, the last server's on N+7.
  jq -e --arg n "$n" '[.[] | select(.Label | startswith("applying operation")) | .Label] | sort
      == (["applying operation +7 to argument \($n): \($n | tonumber + 7)",
           "applying operation *3 to argument \($n | tonumber + 7): \(($n | tonumber + 7) * 3)"] | sort)' \
    "$f" >/dev/null || fail "task $task of --in $n holds other calls' lines: $(jq -c '[.[].Label]' "$f")"
  # The Ruby server contributed one arrival and one reply, and not its
  # start-up line.
  jq -e --argjson p "$rpid" '[.[] | select(.ProcessID == $p) | .Label]
      | (map(select(startswith("grpc receive"))) | length) == 1
        and (map(select(startswith("grpc reply"))) | length) == 1
        and (map(select(startswith("listening on"))) | length) == 0' "$f" >/dev/null ||
    fail "the Ruby server's events in task $task of --in $n: $(jq -c --argjson p "$rpid" '[.[] | select(.ProcessID == $p) | .Label]' "$f")"
  read -r rx_tid h_tid _ _ < <(handoff "$f" "$n") || fail "--in $n: no single Ruby grpc receive"
  [ "$rx_tid" != "$h_tid" ] || fail "--in $n: the handler ran on the dequeuing thread"
  h_tids+=("$h_tid")
done
[ "$(printf '%s\n' "${h_tids[@]}" | sort -u | wc -l)" -lt "${#h_tids[@]}" ] ||
  fail "no Ruby pool thread served two calls (${h_tids[*]}): reuse was not exercised"

# The thread that dequeues the calls goes back to the server's own context
# when it waits for the next one, although another thread answered them:
# once stopped, the Ruby server's exit is in its own task, with its
# start-up line, and not in the last call's.
kill -TERM "$rpid"
wait "$rpid" || fail "the Ruby server exited with status $?"
own=$(task_with_label "listening on :$p1")
for _ in $(seq 100); do
  reports "$own" | jq -e 'any(.[]; .Label == "exit 0")' >/dev/null && break
  for n in 3 4 5 6; do
    reports "$(cat "$T/call$n.task")" | jq -e --argjson p "$rpid" \
      'any(.[]; .ProcessID == $p and .Agent == "process")' >/dev/null &&
      fail "the Ruby server's exit is in the task of call --in $n: the thread that dequeued it kept its context"
  done
  sleep 0.2
done
reports "$own" | jq -e 'any(.[]; .Label == "exit 0")' >/dev/null ||
  fail "the Ruby server's exit is not in its own task $own"
exit 0
