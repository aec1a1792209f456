#!/usr/bin/env bash
# Process edges: a forked child descends from the fork event; every wait form
# (wait, waitpid, wait3, wait4, waitid), and the waits inside system(), join
# the exit event of a traced child that exited into the waiter; a killed child
# joins nothing; a spawned image's events carry its own command line; a child
# that execs with an empty environment leaves the task at its exec event,
# which the waiter joins.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/process_lib.sh"
pl_start_server
traced "$XT_PROGS/waiter" 2>"$PL_TMP/err" || fail "waiter exited $?"
grep -q "after system 4" "$PL_TMP/err" || fail "waiter output: $(cat "$PL_TMP/err")"
r=$(wait_task_where "$XT_PROGS/waiter" "$(has_labels "after untraced exec 6" "spawned child")"' and
  ([.[] | select(.Tag | index("exit"))] | length == 8)')
for k in 1 2 3 4 5; do
  check "$r" "ev(\"child $k\") as \$c | fork_of(\$c.ProcessID) as \$f | exit_of(\$c.ProcessID) as \$x
    | \$c.ParentEventID == [\$f.EventID] and \$x.Label == \"exit $k\"
    and ev(\"after wait $k status $k\").ParentEventID == [\$f.EventID, \$x.EventID]" \
    "wait form $k: the child must descend from the fork event and the waiter join its exit"
done
check "$r" '. as $all | [.[] | select(.Label | startswith("fork child"))
  | select((.Label | ltrimstr("fork child ") | tonumber) as $p | all($all[]; .ProcessID != $p))]
  | length == 1 and ($all | ev("after kill 9")).ParentEventID == [.[0].EventID]' \
  "a killed child has no exit event to join"
check "$r" 'ev("spawned child") as $c | start_of($c.ProcessID) as $s | exit_of($c.ProcessID) as $x
  | ([.[] | select(.Label | test("^spawn .*/waiter spawned$"))] | .[0]) as $sp
  | $s.ParentEventID == [$sp.EventID] and ($s.ProcessName | endswith("waiter spawned"))
    and ($c.ProcessName | endswith("waiter spawned")) and $x.Label == "exit 3"
    and ev("after spawn 3").ParentEventID == [$sp.EventID, $x.EventID]' \
  "posix_spawn: the child descends from the spawn event, the waiter joins its exit"
check "$r" 'ev("spawn /bin/sh: sh -c -- exit 4") as $sp
  | [.[] | select(.ProcessName == "sh -c -- exit 4" and (.Tag | index("exit")))][0] as $x
  | $x.Label == "exit 4" and ev("after system 4").ParentEventID == [$sp.EventID, $x.EventID]' \
  "system(): the caller joins the shell's exit"
check "$r" '[.[] | select(.Label | test("^exec .*/waiter bare$"))] as $e | ($e | length == 1)
  and fork_of($e[0].ProcessID) as $f | $e[0].ParentEventID == [$f.EventID]
  and ev("after untraced exec 6").ParentEventID == [$f.EventID, $e[0].EventID]' \
  "exec into an empty environment: the waiter joins the exec event"
