#!/usr/bin/env bash
# The reporter thread takes no signals (README): progs/quietsignals checks
# its blocked set and which thread process-directed signals reach.
. "$(dirname "$0")/lib.sh"
st_start_server
traced "$XT_SET_PROGS/quietsignals" 2>"$PL_TMP/err" || fail "quietsignals: $(cat "$PL_TMP/err")"
t=$(wait_task_titled "$XT_SET_PROGS/quietsignals")
must_match "$t" 'any(.[]; .Label | startswith("quietsignals done")) and any(.[]; .Label == "exit 0")' \
  "the run was not traced"
