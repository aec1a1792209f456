#!/usr/bin/env bash
# The C++ pool (std::condition_variable, notify_one after the queue's mutex
# is released), one request at a time and each submitted once every worker
# waits for work: the worker the notification wakes takes the job, and
# every "job N" descends from its own "submit N". Under concurrent requests
# a worker can take a job between its submitter's unlock and notify, before
# the deposit exists: how often, is in the benchmark, not asserted here.
. "$(dirname "$0")/lib.sh"
pl_start_server
traced "$XT_PROGS/cxxpool" 3 5 3 7 0 serial 2>"$PL_TMP/err"
c=$(ho_classify "cxxpool 3 5 3 7 0 serial")
jq -e '.jobs == 15 and .correct == 15' <<<"$c" >/dev/null \
  || fail "C++ pool jobs not handed off: $c"
