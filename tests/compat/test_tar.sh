#!/usr/bin/env bash
# tar czf, tzf and xzf, with gzip as tar's child: the same archive byte for
# byte, the same listing, and a graph in which each gzip descends from its
# tar and gzip's binary data on stdout is no event.
. "$(dirname "$0")/lib.sh"
cx_need tar gzip sha256sum
pl_start_server
cx_prepare() {
  mkdir -p data/sub out
  seq 1 5000 >data/numbers
  local i
  for i in $(seq 1 12); do echo "file $i" >"data/sub/f$i.txt"; done
}
cx_pair /bin/bash -ec '
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -czf x.tgz data
tar tzf x.tgz
tar xzf x.tgz -C out
diff -r data out/data
sha256sum x.tgz'
[ "$(grep -c '^data/' "$PL_TMP/base.out")" = 15 ] || fail "unexpected listing: $(cat "$PL_TMP/base.out")"

cx_graph 100 'all_exited and (starts("^tar ") | length == 3) and (starts("^gzip") | length == 3)'
cx_check "not one connected graph" 'connected'
cx_check "a gzip does not descend from a tar" \
  '. as $all | all(starts("^gzip")[]; . as $s | $all | descends_from_process($s; "^tar "))'
cx_check "gzip's data became events" 'all(.[] | select(.ProcessName | test("^gzip")); .Agent == "process")'
