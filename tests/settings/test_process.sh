#!/usr/bin/env bash
# XTRACE_PROCESS=0: fork, exec and waitpid carry nothing, so forkexec's
# exec'd child (still preloaded: LD_PRELOAD is in the environment it passes
# on) starts a task of its own, and the parent's task holds none of the
# child's events nor a join with them.
. "$(dirname "$0")/lib.sh"
st_start_server
XTRACE_PROCESS=0 traced "$XT_PROGS/forkexec" 2>"$PL_TMP/err" || fail "forkexec failed: $(cat "$PL_TMP/err")"
child=$(wait_task_titled "$XT_PROGS/forkexec child")
must_match "$child" 'any(.[]; .Label == "hello from the exec'"'"'d child") and any(.[]; .Label == "exit 0")' \
  "the child's task lacks its line"
reports "$child" | jq -e '.[0].Tag == ["main"]' >/dev/null || fail "the child did not start a task of its own"
parent=$(wait_task_titled "$XT_PROGS/forkexec")
must_match "$parent" 'any(.[]; .Label == "exit 0")' "no parent exit event"
r=$(reports "$parent")
jq -e 'map(.Label) == ["'"$XT_PROGS/forkexec"'", "parent before fork", "parent after wait 0", "exit 0"]' \
  <<<"$r" >/dev/null || fail "the parent's task holds more than its own events: $(jq -c 'map(.Label)' <<<"$r")"
jq -e '.[1].EventID as $b | .[2].ParentEventID == [$b]' <<<"$r" >/dev/null ||
  fail "waitpid joined the child: $(jq -c . <<<"$r")"
