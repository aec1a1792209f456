#!/usr/bin/env bash
# 10,000 threads (joined, detached, pthread_exit, renamed) under memcheck:
# no error and nothing definitely lost.
. "$(dirname "$0")/lib.sh"
pl_start_server
LD_PRELOAD=$PL_PRELOAD valgrind -q --error-exitcode=9 --leak-check=full \
  --errors-for-leak-kinds=definite --show-leak-kinds=definite \
  "$XT_PROGS/manythreads" 2>"$PL_TMP/vg" || { cat "$PL_TMP/vg" >&2; fail "valgrind reported errors"; }
grep -q "created 10000" "$PL_TMP/vg" || { cat "$PL_TMP/vg" >&2; fail "program did not finish"; }
