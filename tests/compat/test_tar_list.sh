#!/usr/bin/env bash
# tar tf with stdout traced as a log (a service that logs to stdout): tar
# writes each name's newline with putc into the stdio buffer, where no hook
# sees it, yet every name listed is an event of its own, in order.
. "$(dirname "$0")/lib.sh"
cx_need tar
pl_start_server
cx_prepare() {
  mkdir -p data/sub
  local i
  for i in $(seq 1 12); do echo "file $i" >"data/sub/f$i.txt"; done
  tar --sort=name -cf x.tar data
}
export XTRACE_LOG_STREAMS=stderr,stdout
cx_pair tar tf x.tar
[ "$(wc -l <"$PL_TMP/base.out")" = 14 ] || fail "unexpected listing: $(cat "$PL_TMP/base.out")"

cx_graph 100 'all_exited'
cx_check "the names listed are not one event each" \
  "[.[] | select(.Agent != \"process\") | .Label] == $(jq -R . "$PL_TMP/base.out" | jq -sc .)"
