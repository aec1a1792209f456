#!/usr/bin/env bash
# XTRACE_DISABLE=1: every hook family is a pure pass-through. A program that
# calls into each family prints what a preload could change (children's
# environments, inherited, NULL and given; descriptors; threads; results),
# and prints the same with the disabled library as without any library.
# The traced run is the control: there the children's environments differ.
. "$(dirname "$0")/lib.sh"
pl_start_server
prog=$XT_PROGS/passthrough
env XTRACE_DISABLE=1 LD_PRELOAD= "$prog" >"$PL_TMP/plain" 2>/dev/null || fail "plain run: $?"
env XTRACE_DISABLE=1 LD_PRELOAD="$PL_PRELOAD" "$prog" >"$PL_TMP/disabled" 2>/dev/null ||
  fail "disabled run: $?"
# LD_PRELOAD itself differs between the two runs, as the caller set it.
sed -i 's/ \[LD_PRELOAD=[^]]*\]//' "$PL_TMP/plain" "$PL_TMP/disabled"
diff "$PL_TMP/plain" "$PL_TMP/disabled" >&2 || fail "the disabled library changed what the program sees"
grep -qx 'env:' "$PL_TMP/plain" && grep -qx 'env: \[A=1\]' "$PL_TMP/plain" \
  && grep -qx 'popen from-popen' "$PL_TMP/plain" || fail "unexpected output: $(cat "$PL_TMP/plain")"
traced "$prog" >"$PL_TMP/traced" 2>/dev/null || fail "traced run: $?"
grep -q 'XTRACE_BAGGAGE=' "$PL_TMP/traced" || fail "control: the traced run passed no context"
