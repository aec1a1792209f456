#!/usr/bin/env bash
# Without XTRACE_PROBES (or with it empty) the preload patches nothing: the
# program's GOT holds the real function and the real dlopen. With a probe
# on the function both entries are redirected, which shows that the check
# can see a patch.
. "$(dirname "$0")/lib.sh"
pl_start_server
want=$'plug_mul untouched\ndlopen untouched'
out=$(traced "$XT_PR_PROGS/addr") || fail "addr failed"
[ "$out" = "$want" ] || fail "XTRACE_PROBES unset: $out"
out=$(XTRACE_PROBES= traced "$XT_PR_PROGS/addr") || fail "addr failed"
[ "$out" = "$want" ] || fail "XTRACE_PROBES empty: $out"
out=$(XTRACE_PROBES='plug_mul(long, long)->long' traced "$XT_PR_PROGS/addr") || fail "addr failed"
[ "$out" = $'plug_mul patched\ndlopen patched' ] || fail "XTRACE_PROBES set: $out"
