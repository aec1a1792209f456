#!/usr/bin/env bash
# libffi is opened only when XTRACE_PROBES asks for probes, so that every
# other traced process is spared loading it: the library does not need it
# (tests/preload/test_needed.sh), a traced program without probes never
# maps it, one with probes does and its probes fire (test_unset.sh,
# test_types.sh). A libffi that lacks what the probes use turns them off
# with the reason on stderr (XTRACE_DEBUG) and in the start event, and the
# program runs as it does without the preload.
. "$(dirname "$0")/lib.sh"
pl_start_server
ffi_maps() { grep -c '/libffi\.so' || true; }
[ "$(traced cat /proc/self/maps | ffi_maps)" = 0 ] || fail "libffi mapped without XTRACE_PROBES"
[ "$(XTRACE_PROBES='plug_mul(long, long)->long' traced cat /proc/self/maps | ffi_maps)" -gt 0 ] ||
  fail "libffi not mapped with XTRACE_PROBES"

want=$("$XT_PR_PROGS/addr")
out=$(XTRACE_DEBUG=1 XTRACE_PROBES='plug_mul(long, long)->long' \
  LD_LIBRARY_PATH="$XT_PR_PROGS/noffi" traced "$XT_PR_PROGS/addr" 2>"$PL_TMP/err") ||
  fail "addr failed: $(cat "$PL_TMP/err")"
[ "$out" = "$want" ] && [ "$out" = $'plug_mul untouched\ndlopen untouched' ] ||
  fail "a GOT entry was patched without libffi: $out"
grep -q "XTRACE_PROBES: 'libffi': .*no ffi_prep_cif; no probes" "$PL_TMP/err" ||
  fail "no reason on stderr: $(cat "$PL_TMP/err")"
t=$(wait_task_titled "$XT_PR_PROGS/addr" 'any(.[]; .Label == "exit 0")')
jq -e '.[0].probe_errors | contains("no ffi_prep_cif")' <<<"$(reports "$t")" >/dev/null ||
  fail "start event: $(reports "$t" | jq -c '.[0]')"
