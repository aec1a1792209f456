#!/usr/bin/env bash
# xargs -P2 running eight commands two at a time: the same results and
# status, every command descending from xargs, and xargs's exit from every
# command it waited for.
. "$(dirname "$0")/lib.sh"
cx_need xargs seq expr
pl_start_server
# Two commands run at once, so their lines come in either order.
cx_normalise() { sort; }
cx_pair /bin/bash -c 'seq 1 8 | xargs -P2 -n1 /usr/bin/expr 100 +'
[ "$(sort -n "$PL_TMP/base.out" | tr '\n' ' ')" = "101 102 103 104 105 106 107 108 " ] ||
  fail "unexpected output: $(cat "$PL_TMP/base.out")"

cx_graph 80 'all_exited and (starts("^/usr/bin/expr ") | length == 8) and (starts("^xargs ") | length == 1)'
cx_check "not one connected graph" 'connected'
cx_check "a command does not descend from xargs" \
  '. as $all | starts("^xargs ")[0].ProcessID as $x
   | all(starts("^/usr/bin/expr ")[]; . as $s | $all | descends_from_pid($s; $x))'
cx_check "the exit of xargs does not descend from every command's" \
  '. as $all | starts("^xargs ")[0].ProcessID as $x
   | first(.[] | select(.ProcessID == $x and is_exit)) as $e
   | all(.[] | select(is_exit and (.ProcessName | test("^/usr/bin/expr "))); . as $c | $all | descends($e; $c))'
