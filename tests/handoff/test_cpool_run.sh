#!/usr/bin/env bash
# The C pool under concurrent requests: three submitters, three workers, a
# job each may find queued when it comes back from the last one. The pool
# signals under its mutex, so the deposits queue up in the order the jobs
# do, and every job is taken in a critical section on that mutex (after a
# wait or without one): the hooks hand each job exactly its submitter's
# context, whatever the interleaving. Once with the pool's threads the
# program's (same task: they join), once a library's (no task: they adopt,
# and put a job down when they take the next).
. "$(dirname "$0")/lib.sh"
pl_start_server
traced "$XT_PROGS/cpool" 3 6 3 5 run 2>"$PL_TMP/err"
c=$(ho_classify "cpool 3 6 3 5 run")
jq -e '.jobs == 18 and .correct == 18 and .results_joined == 18' <<<"$c" >/dev/null \
  || fail "concurrent jobs not handed off exactly: $c"
if [ "${XT_SANITIZE:-}" != address ]; then # see CMakeLists.txt: no library pool under ASan
  XTRACE_EXCLUDE_LIBS='libhopool*' traced "$XT_PROGS/cpool" 3 6 3 9 run 2>"$PL_TMP/err"
  c=$(ho_classify "cpool 3 6 3 9 run")
  jq -e '.jobs == 18 and .correct == 18 and .extra == 0 and .results_joined == 18' <<<"$c" \
    >/dev/null || fail "library pool threads did not adopt exactly their job: $c"
fi
