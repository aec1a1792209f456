#!/usr/bin/env bash
# Arguments and results of several types, formatted: integers of several
# widths and signs, double and float in registers among integers, an
# escaped string, and eight integer arguments (two passed on the stack,
# recorded through libffi). The program's results are unchanged.
. "$(dirname "$0")/lib.sh"
pl_start_server
XTRACE_PROBES='plug_mix(int, double, long, float, str)->double; plug_many(long,long,long,long,long,long,long,long)->long; plug_small(short, ushort)->uchar' \
  traced "$XT_PR_PROGS/types" 2>"$PL_TMP/err" || fail "types failed: $(cat "$PL_TMP/err")"
grep -qx 'types 59.5 204 43' "$PL_TMP/err" || fail "results changed: $(cat "$PL_TMP/err")"
t=$(wait_task_titled "types" 'any(.[]; .Label == "exit 0")')
r=$(reports "$t")
want='["→ plug_mix(-3, 2.5, 4, 0.5, \"A\\x0a\\\"q\\\"\")", "← plug_mix = 59.5",
  "→ plug_many(1, 2, 3, 4, 5, 6, 7, 8)", "← plug_many = 204",
  "→ plug_small(-1, 300)", "← plug_small = 43"]'
jq -e --argjson w "$want" '[.[] | select(.Agent == "probe") | .Label | sub(" \\([0-9]+ µs\\)$"; "")] == $w' \
  <<<"$r" >/dev/null || fail "labels: $(probe_labels "$t")"
