#!/usr/bin/env bash
# Timed-out waits, a failed sem_trywait and a condition signalled while
# nobody waited take nothing from the waker; the sem_wait a post satisfies
# does. Failing waits leave errno as libc set it (the program checks).
. "$(dirname "$0")/lib.sh"
pl_start_server
traced "$XT_PROGS/waits" 2>"$PL_TMP/err" || fail "waits failed: $(cat "$PL_TMP/err")"
t=$(wait_task_titled "waits" '[.[] | select(.Label | startswith("exit "))] | length == 1')
r=$(reports "$t")
desc() { python3 "$HO_DIR/desc.py" "$1" "$2" <<<"$r"; }
for a in "after cond timeout" "after sem timeout" "after trywait"; do
  for b in early "sem helper"; do
    rc=0; desc "$a" "$b" || rc=$?
    [ "$rc" = 1 ] || fail "'$a' took the context of '$b' (desc.py $rc): $r"
  done
done
desc "after sem_wait" posted || fail "sem_wait did not join the post: $r"
