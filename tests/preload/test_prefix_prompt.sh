#!/usr/bin/env bash
# XTRACE_LOG_PREFIX=1 writes a partial line (a prompt) at once, behind its
# prefix: nothing is held back to be lost at _exit or written later into
# whatever file then has the descriptor.
. "$(dirname "$0")/lib.sh"
pl_start_server
export XTRACE_LOG_PREFIX=1 XTRACE_LOG_STREAMS=stdout
p=$XT_PROGS/logmix
re='^\[xtrace [0-9a-f]{16} [0-9]+\] '

traced "$p" prompt "$PL_TMP/file" >"$PL_TMP/out" || fail "prompt run failed"
out=$(cat "$PL_TMP/out")
[[ "$out" =~ $re'prompt> '$ ]] || fail "stdout: '$out'"
[ "$(sed -E "s/$re//" "$PL_TMP/file")" = "file content" ] || fail "file: '$(cat "$PL_TMP/file")'"
ev=$(awk '{print $3}' <<<"$out" | tr -d ']')
r=$(reports "$(task_after_exit "$p prompt")")
jq -e --arg e "$ev" 'any(.EventID == $e)' <<<"$r" >/dev/null || fail "no event $ev: $r"

traced "$p" prompt-exit >"$PL_TMP/out2"
out=$(cat "$PL_TMP/out2")
[[ "$out" =~ $re'bye? '$ ]] || fail "stdout before _exit: '$out'"
