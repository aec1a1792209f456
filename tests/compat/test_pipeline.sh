#!/usr/bin/env bash
# seq 1 2000000 | sort -n | uniq -c | tail -1: the same line, and a graph of
# the four filters holding a few hundred events at most, whatever flows
# through the pipes.
. "$(dirname "$0")/lib.sh"
cx_need seq sort uniq tail
pl_start_server
cx_pair /bin/bash -c 'seq 1 2000000 | sort -n | uniq -c | tail -1'
[ "$(cat "$PL_TMP/base.out")" = "      1 2000000" ] || fail "unexpected output: $(cat "$PL_TMP/base.out")"

cx_graph 300 'all_exited and (starts("^(seq|sort|uniq|tail) ") | length == 4)'
cx_check "not one connected graph" 'connected'
cx_check "a filter does not descend from the shell" \
  '. as $all | root.ProcessID as $sh
   | all(starts("^(seq|sort|uniq|tail) ")[]; . as $s | $all | descends_from_pid($s; $sh))'
