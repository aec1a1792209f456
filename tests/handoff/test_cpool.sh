#!/usr/bin/env bash
# A C pool (mutex + condition variable queue) serving three submitter
# threads, each waiting for its job's result. Every "job N" descends from
# its own "submit N", and every "result N" joins its "job N" back. The pool
# has two workers; requests are served one at a time, so each job goes to a
# worker waiting for work (test_cpool_run.sh: jobs a worker finds queued).
. "$(dirname "$0")/lib.sh"
pl_start_server
traced "$XT_PROGS/cpool" 3 4 2 7 serial 2>"$PL_TMP/err"
c=$(ho_classify "cpool 3 4 2 7 serial")
jq -e '.jobs == 12 and .correct == 12 and .results_joined == 12' <<<"$c" >/dev/null \
  || fail "hand-offs not followed: $c"
