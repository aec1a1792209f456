#!/usr/bin/env bash
# Newlines that putc_unlocked/putchar_unlocked (macros at -O2) store straight
# into stdout's buffer still end lines: each line is its own event, and
# `tar tzf` gives one event per file name.
. "$(dirname "$0")/lib.sh"
pl_start_server
export XTRACE_LOG_STREAMS=stdout
p=$XT_PROGS/logmix
"$p" inlined >"$PL_TMP/out0"
traced "$p" inlined >"$PL_TMP/out1"
cmp "$PL_TMP/out0" "$PL_TMP/out1" || fail "stdout differs"
r=$(reports "$(task_after_exit "$p inlined")")
got=$(jq -r '.[] | select(.Agent == "stdout") | .Label' <<<"$r" | sort)
[ "$got" = "$(sort "$PL_TMP/out0")" ] \
  || fail "labels are not the lines: $(jq -c '[.[] | select(.Agent == "stdout") | .Label[0:40]] | .[0:10]' <<<"$r")"

mkdir -p "$PL_TMP/tree/sub"
for f in one two three sub/four sub/five; do echo "$f" >"$PL_TMP/tree/$f"; done
tar czf "$PL_TMP/x.tgz" -C "$PL_TMP" tree
traced tar tzf "$PL_TMP/x.tgz" >"$PL_TMP/list"
[ "$(wc -l <"$PL_TMP/list")" = 7 ] || fail "tar listed: $(cat "$PL_TMP/list")"
r=$(reports "$(task_after_exit "tar tzf")")
# tar's own lines (its gzip child's stdout is the archive: data, traced here
# only because this test asks for stdout in every process).
got=$(jq -r '.[] | select(.Agent == "stdout" and (.ProcessName | startswith("tar "))) | .Label' \
  <<<"$r" | sort)
[ "$got" = "$(sort "$PL_TMP/list")" ] || fail "tar labels: $(jq -c '[.[].Label]' <<<"$r")"
