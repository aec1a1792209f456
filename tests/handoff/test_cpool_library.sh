#!/usr/bin/env bash
# The same pool, its threads a library's (they start with no task): each
# worker adopts its job's context from the submitter and puts it down when it
# waits for the next job, so a job descends from its own submitter and from
# no other request.
. "$(dirname "$0")/lib.sh"
pl_start_server
XTRACE_EXCLUDE_LIBS='libhopool*' traced "$XT_PROGS/cpool" 3 4 2 11 serial 2>"$PL_TMP/err"
c=$(ho_classify "cpool 3 4 2 11 serial")
jq -e '.jobs == 12 and .correct == 12 and .extra == 0 and .results_joined == 12' <<<"$c" \
  >/dev/null || fail "library pool threads did not adopt exactly their job: $c"
