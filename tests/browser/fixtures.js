// Tasks the browser test and the render benchmark publish. Reports use the
// protobuf field names of XTraceReportv4 (see xtrace/proto/xtrace_report.proto).
'use strict';

const crypto = require('crypto');

function randomId() {
  // 63-bit positive, never 0, like the client's IDs.
  let v;
  do { v = crypto.randomBytes(8).readBigUInt64BE() & 0x7fffffffffffffffn; } while (v === 0n);
  return v;
}

const XSS_LABEL = '<script>window.__xss=1</script>';

// A client, a server and an adder on another host: forks, an RPC chain and the
// joins back, with one label that is markup. Returns the reports plus the
// expected nodes and edges (by event id) so the test can check the SVG exactly.
function smallTask(nowMicros) {
  const task = randomId();
  const procs = {
    client: { host: 'alpha', pid: 4101, name: '/usr/bin/arith-client --server alpha:50051 2 3' },
    server: { host: 'alpha', pid: 5201, name: '/usr/bin/arith-server --port 50051' },
    adder: { host: 'beta', pid: 6301, name: '/usr/local/bin/adder' },
  };
  const threads = {
    main: { proc: 'client', tid: 4101, name: 'arith-client' },
    worker: { proc: 'client', tid: 4102, name: 'worker-1' },
    handler: { proc: 'server', tid: 5203, name: 'grpc-handler' },
    adder: { proc: 'adder', tid: 6301, name: 'adder' },
  };
  // [key, thread, label, parents, offset µs, agent]
  const spec = [
    ['a1', 'main', 'client starting: computing 2 + 3', [], 0, 'stderr'],
    ['a2', 'main', 'spawning worker thread', ['a1'], 120, 'thread'],
    ['w1', 'worker', 'worker computing 2+3', ['a2'], 260, 'stderr'],
    ['a3', 'main', 'main waiting for worker', ['a2'], 310, 'stderr'],
    ['w2', 'worker', 'calling /arith.Arith/Add', ['w1'], 480, 'grpc'],
    ['s1', 'handler', 'Add request received from 127.0.0.1:40112', ['w2'], 1350, 'grpc'],
    ['s2', 'handler', XSS_LABEL, ['s1'], 1420, 'stderr'],
    ['c1', 'adder', 'adding 2 and 3', ['s2'], 2600, 'syslog'],
    ['c2', 'adder', 'result 5', ['c1'], 2790, 'syslog'],
    ['s3', 'handler', 'reply sent: status OK', ['s2', 'c2'], 3900, 'grpc'],
    ['w3', 'worker', 'got 5', ['w2', 's3'], 4700, 'grpc'],
    ['a4', 'main', 'joined worker', ['a3', 'w3'], 4960, 'thread'],
    ['a5', 'main', 'client done in 5.1 ms', ['a4'], 5100, 'stderr'],
  ];
  const ids = new Map(spec.map((s) => [s[0], randomId()]));
  const hrtBase = { client: 9000000000n, server: 4000000000n, adder: 7000000000n };
  const reports = spec.map(([key, th, label, parents, off, agent]) => {
    const t = threads[th], p = procs[t.proc];
    const r = {
      task_id: task, event_id: ids.get(key), parent_event_id: parents.map((k) => ids.get(k)),
      timestamp: nowMicros + off, hrt: hrtBase[t.proc] + BigInt(off) * 1000n,
      host: p.host, process_id: p.pid, process_name: p.name, thread_id: t.tid, thread_name: t.name,
      agent, source: p.name.split(' ')[0].split('/').pop() + '+0x' + (0x1a00 + off).toString(16), label,
      key: [], value: [], tags: [],
    };
    if (key === 'a1') r.tags = ['main', 'browser-test'];
    if (key === 's1') { r.key = ['peer', 'method']; r.value = ['127.0.0.1:40112', '/arith.Arith/Add']; }
    return r;
  });
  const edges = [];
  spec.forEach(([key, , , parents]) => parents.forEach((p) => edges.push([ids.get(p).toString(), ids.get(key).toString()])));
  // The latency chain: back from the last event through the latest parent.
  const criticalPath = ['a1', 'a2', 'w1', 'w2', 's1', 's2', 'c1', 'c2', 's3', 'w3', 'a4', 'a5']
    .map((k) => ids.get(k).toString());
  return { taskId: task, reports, events: spec.map((s) => ids.get(s[0]).toString()), edges,
    xssEvent: ids.get('s2').toString(), criticalPath };
}

// A service-shaped task of about n events: a client with four worker threads
// issuing sequential RPCs to a server with a pool of handler threads, which
// calls an adder process on another host; replies join back, and the main
// thread joins the workers at the end.
function bigTask(n, nowMicros) {
  const task = randomId();
  const reports = [];
  const procs = {
    client: { host: 'alpha', pid: 7101, name: '/usr/bin/loadgen --workers 4' },
    server: { host: 'alpha', pid: 7201, name: '/usr/bin/arith-server --port 50051' },
    adder: { host: 'beta', pid: 7301, name: '/usr/local/bin/adder' },
  };
  let clock = 0;
  const emit = (proc, tid, tname, label, parents, agent) => {
    clock += 37;
    const id = randomId();
    const p = procs[proc];
    reports.push({ task_id: task, event_id: id, parent_event_id: parents, timestamp: nowMicros + clock,
      hrt: BigInt(clock) * 1000n + 1000000000n, host: p.host, process_id: p.pid, process_name: p.name,
      thread_id: tid, thread_name: tname, agent, source: '', label, key: [], value: [], tags: [] });
    return id;
  };
  const workers = 4;
  let main = emit('client', 7101, 'loadgen', 'loadgen starting ' + workers + ' workers', [], 'stderr');
  const last = [];
  for (let w = 0; w < workers; w++) last.push(emit('client', 7102 + w, 'worker-' + w, 'worker ' + w + ' started', [main], 'thread'));
  main = emit('client', 7101, 'loadgen', 'waiting for workers', [main], 'stderr');
  let req = 0;
  while (reports.length < n - workers - 2) {
    const w = req % workers;
    const wt = 7102 + w, wn = 'worker-' + w;
    let e = emit('client', wt, wn, 'request ' + req + ': computing ' + req + ' + 1', [last[w]], 'stderr');
    const call = emit('client', wt, wn, 'calling /arith.Arith/Add', [e], 'grpc');
    const ht = 7210 + (req % 8), hn = 'handler-' + (req % 8);
    let s = emit('server', ht, hn, 'Add(' + req + ', 1) received', [call], 'grpc');
    s = emit('server', ht, hn, 'validating arguments', [s], 'stderr');
    let c = emit('adder', 7301, 'adder', 'adding ' + req + ' and 1', [s], 'syslog');
    c = emit('adder', 7301, 'adder', 'result ' + (req + 1), [c], 'syslog');
    s = emit('server', ht, hn, 'reply sent: status OK', [s, c], 'grpc');
    last[w] = emit('client', wt, wn, 'got ' + (req + 1), [call, s], 'grpc');
    req++;
  }
  main = emit('client', 7101, 'loadgen', 'joined ' + workers + ' workers', [main].concat(last), 'thread');
  emit('client', 7101, 'loadgen', 'loadgen done: ' + req + ' requests', [main], 'stderr');
  return { taskId: task, reports };
}

module.exports = { smallTask, bigTask, randomId, XSS_LABEL };
