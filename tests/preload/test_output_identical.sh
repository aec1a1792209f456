#!/usr/bin/env bash
# Without the prefix the program's output is byte for byte what it is without
# the preload, and each line is one event; with XTRACE_LOG_PREFIX=1 every line
# starts with "[xtrace TASK EVENT] " naming its own event.
. "$(dirname "$0")/lib.sh"
export XTRACE_LOG_STREAMS=stderr,stdout,syslog # stdout is part of what this tests
pl_start_server
p=$XT_PROGS/outputs
"$p" >"$PL_TMP/out0" 2>"$PL_TMP/err0"
traced "$p" >"$PL_TMP/out1" 2>"$PL_TMP/err1"
cmp "$PL_TMP/out0" "$PL_TMP/out1" || fail "stdout differs"
cmp "$PL_TMP/err0" "$PL_TMP/err1" || fail "stderr differs"
lines=$(( $(wc -l <"$PL_TMP/out0") + $(wc -l <"$PL_TMP/err0") + 2 )) # + two partial lines
xt_wait_reports $((lines + 2))
r=$(reports "$(task_titled "$p")")
n=$(jq '[.[] | select(.Agent != "process")] | length' <<<"$r")
[ "$n" = "$lines" ] || fail "expected $lines line events, got $n: $(jq -c '[.[].Label]' <<<"$r")"
jq -e 'any(.Label == "fputs joined") and any(.Label == "cd") and any(.Label == "e")
  and any(.Label == "partial out") and any(.Label == "partial err")
  and any(.Label | test("^perror: No such file")) and any(.Agent == "err" and (.Label | test("warn 7: Permission denied$")))
  and any(.Agent == "error" and (.Label | test("error msg: Invalid argument$")))
  and any(.Label == "percent-m Operation not permitted")
  and any(.Label | (length == 4096 and endswith("...[cut]")))' <<<"$r" >/dev/null \
  || fail "labels wrong: $(jq -c '[.[] | [.Agent, .Label[0:60]]]' <<<"$r")"

XTRACE_LOG_PREFIX=1 traced "$p" >"$PL_TMP/out2" 2>"$PL_TMP/err2"
re='^\[xtrace [0-9a-f]{16} [0-9]+\] '
for s in out err; do
  sed -E "s/$re//" "$PL_TMP/${s}2" | cmp - "$PL_TMP/${s}0" || fail "prefixed $s differs beyond the prefixes"
  unprefixed=$(grep -cvE "$re" "$PL_TMP/${s}2" || true)
  [ "$unprefixed" = 0 ] || fail "$unprefixed $s lines without prefix"
done
ev=$(grep -m1 -oE "$re" "$PL_TMP/err2" | awk '{print $3}' | tr -d ']')
task=$(grep -m1 -oE "$re" "$PL_TMP/err2" | awk '{print $2}')
xt_wait_reports $((2 * lines + 4))
reports "$task" | jq -e --arg e "$ev" 'any(.EventID == $e)' >/dev/null \
  || fail "prefix names event $ev, which task $task does not hold"
