#!/usr/bin/env bash
# node with a worker thread that writes to stderr itself (fs.writeSync runs
# on the calling thread): the same output, and the worker's line on a thread
# of its own that descends from the main thread's line before it.
. "$(dirname "$0")/lib.sh"
cx_need node
pl_start_server
cx_prepare() {
  cat >main.js <<'JS'
const { Worker } = require('worker_threads');
const fs = require('fs');
fs.writeSync(2, 'main start\n');
const w = new Worker(`
  const { parentPort } = require('worker_threads');
  require('fs').writeSync(2, 'worker line\\n');
  parentPort.postMessage(6 * 7);
`, { eval: true });
w.on('message', (v) => console.log('worker says', v));
w.on('exit', (code) => {
  console.log('worker exited', code);
  fs.writeSync(2, 'main end\n');
});
JS
}
cx_pair node main.js
[ "$(cat "$PL_TMP/base.out")" = "$(printf 'worker says 42\nworker exited 0')" ] ||
  fail "unexpected output: $(cat "$PL_TMP/base.out")"

cx_graph 60 'all_exited and has_label("main end")'
cx_check "not one connected graph" 'connected'
cx_check "the worker's line is not on a thread of its own below the main thread's line" \
  'root as $r | event("main start") as $m | event("worker line") as $w
   | $m.ThreadID == $r.ThreadID and $w.ProcessID == $r.ProcessID
     and $w.ThreadID != $r.ThreadID and descends($w; $m)'
cx_check "the main thread's last line does not descend from the worker's" \
  'descends(event("main end"); event("worker line"))'
