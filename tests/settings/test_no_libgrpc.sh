#!/usr/bin/env bash
# A program without gRPC never loads libgrpc (README): progs/nogrpc
# exercises the hooks and then looks at what is loaded and mapped.
. "$(dirname "$0")/lib.sh"
st_start_server
traced "$XT_SET_PROGS/nogrpc" 2>"$PL_TMP/err" || fail "nogrpc: $(cat "$PL_TMP/err")"
t=$(wait_task_titled "$XT_SET_PROGS/nogrpc")
must_match "$t" 'any(.[]; .Label == "nogrpc thread") and any(.[]; .Label == "nogrpc done")' "the run was not traced"
