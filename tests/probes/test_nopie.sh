#!/usr/bin/env bash
# A non-PIE program that takes a probed function's address: the function's
# address everyone sees is the program's PLT entry, which would lead back
# to the probe for ever. The probe is refused with a reason and the program
# runs as without it.
. "$(dirname "$0")/lib.sh"
pl_start_server
XTRACE_PROBES='plug_mul(long, long)->long' traced "$XT_PR_PROGS/nopie" 2>"$PL_TMP/err" ||
  fail "nopie failed: $(cat "$PL_TMP/err")"
grep -qx 'nopie 43' "$PL_TMP/err" || fail "output changed: $(cat "$PL_TMP/err")"
t=$(wait_task_titled "nopie" 'any(.[]; .Label == "exit 0")')
r=$(reports "$t")
jq -e '.[0].probe_errors | contains("plug_mul") and contains("non-PIE")' <<<"$r" >/dev/null ||
  fail "start event: $(jq -c '.[0]' <<<"$r")"
