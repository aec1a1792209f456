// Turns the reference JSON of one task (/interactive/reports/<id>) into the
// model every view draws: events with resolved parents and children, processes
// and threads, one time axis, and the critical path.
'use strict';
var XT = window.XT || (window.XT = {});

// Keys every report has; anything else in a report object is a custom field.
XT.STANDARD_KEYS = ['TaskID', 'EventID', 'ParentEventID', 'Timestamp', 'HRT', 'Host', 'ProcessID',
  'ProcessName', 'ThreadID', 'ThreadName', 'Agent', 'Source', 'Label', 'Tag'];

function num(v) {
  var n = typeof v === 'number' ? v : parseFloat(v);
  return isFinite(n) ? n : 0;
}

function str(v) {
  return v === undefined || v === null ? '' : String(v);
}

// The spec says milliseconds, the Go client sends microseconds; the server
// normalises, but a millisecond value that slipped through still lands on the
// right day instead of in 1970.
function epochMicros(v) {
  var n = num(v);
  return n > 0 && n < 1e14 ? n * 1000 : n;
}

function shortProcessName(cmdline, pid) {
  var first = str(cmdline).trim().split(/\s+/)[0] || '';
  var base = first.split('/').pop();
  return base || ('pid ' + pid);
}

// Wall clocks of different processes are comparable; inside one process the
// monotonic HRT is finer and never steps backwards. Each process's HRT is
// anchored to the wall clock by the median offset of its events.
function alignTimes(events, processes) {
  processes.forEach(function (p) {
    var offsets = [];
    p.events.forEach(function (e) {
      if (e.hrt > 0 && e.ts > 0) offsets.push(e.ts - e.hrt / 1000);
    });
    offsets.sort(function (a, b) { return a - b; });
    var anchored = offsets.length === p.events.length && offsets.length > 0;
    var off = anchored ? offsets[offsets.length >> 1] : 0;
    p.events.forEach(function (e) {
      e.t = anchored ? e.hrt / 1000 + off : e.ts;
    });
  });
  var start = Infinity, end = -Infinity;
  events.forEach(function (e) {
    if (e.t > 0 && e.t < start) start = e.t;
    if (e.t > end) end = e.t;
  });
  if (!isFinite(start)) start = end = 0;
  events.forEach(function (e) { if (!(e.t > 0)) e.t = start; });
  return { start: start, end: end };
}

XT.buildTask = function (taskId, json) {
  var reports = [];
  (Array.isArray(json) ? json : []).forEach(function (entry) {
    if (entry && Array.isArray(entry.reports)) reports = reports.concat(entry.reports);
  });

  var events = [], byId = new Map(), duplicates = 0;
  var procByKey = new Map(), processes = [];
  reports.forEach(function (r) {
    if (!r || typeof r !== 'object') return;
    var id = str(r.EventID);
    if (!id || byId.has(id)) { duplicates++; return; }
    var host = str(r.Host), pid = num(r.ProcessID), tid = num(r.ThreadID);
    var pkey = host + '|' + pid;
    var proc = procByKey.get(pkey);
    if (!proc) {
      proc = { key: pkey, host: host, pid: pid, cmdline: str(r.ProcessName),
        name: shortProcessName(r.ProcessName, pid), programs: [], events: [], threads: [], threadByTid: new Map() };
      procByKey.set(pkey, proc);
      processes.push(proc);
    }
    // A process that called exec reports the new program's command line from
    // then on: each event keeps its own, the process lists them all.
    var cmdline = str(r.ProcessName) || proc.cmdline;
    var program = shortProcessName(cmdline, pid);
    if (proc.programs.indexOf(program) < 0) proc.programs.push(program);
    var thread = proc.threadByTid.get(tid);
    if (!thread) {
      thread = { key: pkey + '|' + tid, tid: tid, name: str(r.ThreadName), proc: proc, events: [] };
      proc.threadByTid.set(tid, thread);
      proc.threads.push(thread);
    }
    if (!thread.name && r.ThreadName) thread.name = str(r.ThreadName);
    var e = { id: id, r: r, index: events.length, label: str(r.Label), ts: epochMicros(r.Timestamp),
      cmdline: cmdline, program: program,
      hrt: num(r.HRT), proc: proc, thread: thread, parents: [], children: [], missingParents: [], t: 0 };
    events.push(e);
    byId.set(id, e);
    proc.events.push(e);
    thread.events.push(e);
  });

  var edges = [];
  events.forEach(function (e) {
    var ps = Array.isArray(e.r.ParentEventID) ? e.r.ParentEventID : [];
    var seen = new Set();
    ps.forEach(function (pid) {
      pid = str(pid);
      if (seen.has(pid) || pid === e.id) return;
      seen.add(pid);
      var p = byId.get(pid);
      if (!p) { if (pid !== '0') e.missingParents.push(pid); return; }
      var kind = p.proc !== e.proc ? 'process' : (p.thread !== e.thread ? 'thread' : 'local');
      var edge = { from: p, to: e, kind: kind };
      edges.push(edge);
      e.parents.push(p);
      p.children.push(e);
    });
  });

  var span = alignTimes(events, processes);
  processes.sort(function (a, b) { return firstTime(a) - firstTime(b); });
  processes.forEach(function (p, i) {
    p.name = p.programs.join(' \u2192 ') || p.name;
    p.color = XT.colorFor(i);
    p.fill = XT.tint(p.color, 0.86);
    p.threads.sort(function (a, b) { return firstTime(a) - firstTime(b); });
    p.events.sort(byTime);
    p.threads.forEach(function (t) { t.events.sort(byTime); });
  });

  return { id: taskId, events: events, byId: byId, edges: edges, processes: processes,
    start: span.start, end: span.end, duplicates: duplicates,
    title: events.length ? events.slice().sort(byTime)[0].label : '' };
};

function byTime(a, b) { return a.t - b.t || a.index - b.index; }
function firstTime(x) {
  var m = Infinity;
  x.events.forEach(function (e) { if (e.t < m) m = e.t; });
  return m;
}

// The chain that decides end-to-end latency: from the last event, repeatedly
// step to the parent that happened latest (the one the event waited for) until
// an event without parents. Returns the steps in causal order.
XT.criticalPath = function (task) {
  if (!task.events.length) return [];
  var last = task.events[0];
  task.events.forEach(function (e) { if (e.t > last.t || (e.t === last.t && e.index > last.index)) last = e; });
  var path = [last], seen = new Set([last]);
  var cur = last;
  while (cur.parents.length) {
    var best = null;
    cur.parents.forEach(function (p) { if (!best || p.t > best.t) best = p; });
    if (seen.has(best)) break; // a cycle in bad data must not hang the page
    seen.add(best);
    path.push(best);
    cur = best;
  }
  path.reverse();
  return path.map(function (e, i) {
    return { event: e, offset: e.t - task.start, delta: i ? e.t - path[i - 1].t : 0 };
  });
};

XT.customKeys = function (r) {
  return Object.keys(r).filter(function (k) { return XT.STANDARD_KEYS.indexOf(k) < 0; }).sort();
};
