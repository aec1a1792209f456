#!/usr/bin/env bash
# error() and error_at_line() print exactly what glibc prints, at any length,
# also after a partial line that leaves the line buffer (nearly) full; each
# call is one event, cut at the label limit.
. "$(dirname "$0")/lib.sh"
pl_start_server
p=$XT_PROGS/logmix
"$p" errlong 2>"$PL_TMP/err0"
traced "$p" errlong 2>"$PL_TMP/err1"
cmp "$PL_TMP/err0" "$PL_TMP/err1" || fail "stderr differs: $(wc -c "$PL_TMP/err0" "$PL_TMP/err1")"
r=$(reports "$(task_after_exit "$p errlong")")
lines=$(wc -l <"$PL_TMP/err0")
jq -e --argjson n "$lines" '[.[] | select(.Agent == "error" or .Agent == "stderr")]
  | length == $n and all(.Label | length <= 4096)
  and ([.[] | select(.Label | length == 4096)] | all(.Label | endswith("...[cut]")))' \
  <<<"$r" >/dev/null || fail "events: $(jq -c '[.[] | [.Agent, (.Label | length)]]' <<<"$r")"

XTRACE_LOG_PREFIX=1 traced "$p" errlong 2>"$PL_TMP/err2"
sed -E 's/^\[xtrace [0-9a-f]{16} [0-9]+\] //' "$PL_TMP/err2" | cmp - "$PL_TMP/err0" \
  || fail "prefixed stderr differs beyond the prefixes"
