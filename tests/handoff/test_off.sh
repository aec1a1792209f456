#!/usr/bin/env bash
# XTRACE_HANDOFF=0: wake-ups carry nothing (the pool's jobs descend from no
# submitter, the post does not reach the waiter), the rest is still traced.
. "$(dirname "$0")/lib.sh"
pl_start_server
XTRACE_HANDOFF=0 traced "$XT_PROGS/cpool" 3 2 2 5 serial 2>"$PL_TMP/err"
c=$(ho_classify "cpool 3 2 2 5 serial")
jq -e '.jobs == 6 and .correct == 0 and .results_joined == 0' <<<"$c" >/dev/null \
  || fail "hand-offs followed with XTRACE_HANDOFF=0: $c"
