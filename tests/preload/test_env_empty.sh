#!/usr/bin/env bash
# A NULL or empty environment given to exec stays empty: the program chose
# to give the child nothing, tracing included. A given one gets the context.
. "$(dirname "$0")/lib.sh"
pl_start_server
p=$XT_PROGS/envexec
for mode in null empty; do
  out=$(traced "$p" "$mode") || fail "$mode: exit $?"
  [ -z "$out" ] || fail "execve with a $mode environment passed: $out"
  out=$(XTRACE_DISABLE=1 traced "$p" "$mode") || fail "$mode disabled: exit $?"
  [ -z "$out" ] || fail "disabled, execve with a $mode environment passed: $out"
done
out=$(XTRACE_DISABLE=1 traced "$p" given)
[ "$out" = "A=1" ] || fail "disabled, a given environment changed: $out"
# A sanitizer build's library cannot start in a child whose environment
# lacks the sanitizer runtime and its options; the plain build checks this.
if [ -z "${XT_SANITIZE:-}" ]; then
  out=$(traced "$p" given)
  grep -qx 'A=1' <<<"$out" && grep -q '^XTRACE_BAGGAGE=1;' <<<"$out" && grep -q '^LD_PRELOAD=' <<<"$out" \
    || fail "traced, a given environment lacks the context: $out"
fi
# execv passes environ: unchanged when disabled, with the context when traced.
want=$(XTRACE_DISABLE=1 traced "$p" show | sort)
got=$(XTRACE_DISABLE=1 traced "$p" environ | sort)
[ "$want" = "$got" ] || fail "disabled, execv changed the environment: $(diff <(echo "$want") <(echo "$got"))"
traced "$p" environ | grep -q '^XTRACE_BAGGAGE=1;' || fail "traced, execv passed no context"
