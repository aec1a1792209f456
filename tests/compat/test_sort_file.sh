#!/usr/bin/env bash
# sort -o of a large file (sort reopens stdout onto the output file): the
# same sorted file, and the data written is not traced: a handful of events,
# not one per line.
. "$(dirname "$0")/lib.sh"
cx_need sort awk
pl_start_server
cx_prepare() {
  awk 'BEGIN { srand(7); for (i = 0; i < 300000; i++) printf "%08d %s\n", int(rand() * 1e8), \
    (rand() < 0.5 ? "alpha" : "omega") }' >data.txt
}
CX_KEEP=1 cx_pair sort -o sorted.txt data.txt
cmp "$PL_TMP/base.work/sorted.txt" "$CX_WORK/sorted.txt" || fail "the sorted file differs"
[ "$(wc -l <"$CX_WORK/sorted.txt")" = 300000 ] || fail "sort wrote $(wc -l <"$CX_WORK/sorted.txt") lines"

cx_graph 20 'all_exited'
cx_check "not one connected graph" 'connected'
