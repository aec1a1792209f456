#!/usr/bin/env bash
# Lines built in two calls by 100 threads at once and 200 in turn (more
# threads than the pool of line buffers, and slots reused after exit): each
# line is one whole event.
. "$(dirname "$0")/lib.sh"
pl_start_server
p=$XT_PROGS/logmix
traced "$p" threads 2>"$PL_TMP/err"
[ "$(grep -cE '^t[0-9]+ part end$' "$PL_TMP/err")" = 300 ] || fail "output: $(head "$PL_TMP/err")"
r=$(reports "$(task_after_exit "$p threads")")
jq -e '[.[] | select(.Agent == "stderr") | .Label] | length == 300
  and all(test("^t[0-9]+ part end$")) and (unique | length == 300)' <<<"$r" >/dev/null \
  || fail "labels: $(jq -c '[.[] | select(.Agent == "stderr") | .Label] | .[0:20]' <<<"$r")"
