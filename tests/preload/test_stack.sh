#!/usr/bin/env bash
# No process hook takes more than 2 KiB of the caller's stack beyond what the
# call takes untraced (a thread with a small stack must run as it does
# without the library). Bindings are resolved at start so that the lazy
# binder's own frames do not blur the figures.
. "$(dirname "$0")/lib.sh"
pl_start_server
export LD_BIND_NOW=1
"$XT_PROGS/stackuse" >"$PL_TMP/plain" 2>/dev/null || fail "plain run: $?"
traced "$XT_PROGS/stackuse" >"$PL_TMP/traced" 2>/dev/null || fail "traced run: $?"
[ "$(wc -l <"$PL_TMP/plain")" -ge 8 ] || fail "stackuse printed: $(cat "$PL_TMP/plain")"
paste -d' ' "$PL_TMP/plain" "$PL_TMP/traced" | while read -r op plain op2 traced; do
  [ "$op" = "$op2" ] || fail "the runs measured different calls: $op, $op2"
  extra=$((traced - plain))
  echo "$op: $plain bytes untraced, $traced traced (+$extra)"
  [ "$extra" -le 2048 ] || fail "$op takes $extra bytes of stack more than untraced"
done
