// The condensed view of a task too large to draw event by event, from
// /api/tasks/<id>/condensed: one lane per thread, grouped by process, with
// the thread's span as a bar on the task's time axis and its event count;
// the causal edges between threads as arcs in the gutter (thicker for more
// edges); the critical path as its runs on each thread, joined where it
// moves from one thread to another. A click on a lane opens that thread, on
// a process's title that process.
'use strict';
var XT = window.XT || (window.XT = {});

var C_LABEL_W = 300, C_ARC_W = 90, C_LANE_H = 26, C_HEAD_H = 26, C_AXIS_H = 28, C_MAX_LANES = 1000;

XT.CondensedView = function (host, cond, onOpen) {
  this.host = host;
  this.cond = cond;
  this.onOpen = onOpen;
};

// The short name of each program a process ran ("sh -> stage-two" after an
// exec), as the event views name them.
XT.processTitle = function (p) {
  var names = (p.programs || []).map(function (g) {
    var first = String(g.name || '').trim().split(/\s+/)[0] || '';
    return first.split('/').pop();
  }).filter(function (n, i, all) { return n && all.indexOf(n) === i; });
  return names.length ? names.join(' \u2192 ') : 'pid ' + p.pid;
};

XT.CondensedView.prototype.rows = function () {
  var c = this.cond, rows = [], y = 0, lanes = 0;
  var byProc = c.processes.map(function () { return []; });
  c.threads.forEach(function (t, i) { byProc[t.process].push(i); });
  c.processes.forEach(function (p, pi) {
    if (lanes >= C_MAX_LANES) return;
    rows.push({ kind: 'process', y: y, proc: p, index: pi });
    y += C_HEAD_H;
    byProc[pi].forEach(function (ti) {
      if (lanes >= C_MAX_LANES) return;
      c.threads[ti].laneY = y + C_LANE_H / 2;
      rows.push({ kind: 'thread', y: y, thread: c.threads[ti], index: ti, proc: p, procIndex: pi });
      y += C_LANE_H;
      lanes++;
    });
  });
  return { rows: rows, height: y + 8, lanes: lanes };
};

XT.CondensedView.prototype.render = function () {
  var svg = XT.svg, el = XT.el, self = this, c = this.cond;
  var layout = this.rows();
  var width = Math.max(this.host.getBoundingClientRect().width, 700);
  var plotX = C_LABEL_W + C_ARC_W, plotW = width - plotX - 24;
  var span = Math.max(c.last - c.first, 1);
  var x = function (ts) { return plotX + (ts - c.first) / span * plotW; };
  var root = el('div', { class: 'condensed' });
  var body = svg('svg', { class: 'condensed-body', width: width, height: layout.height + C_AXIS_H });
  var g = svg('g', { transform: 'translate(0,' + C_AXIS_H + ')' });
  body.appendChild(g);
  body.appendChild(svg('text', { class: 'axis-title', x: plotX, y: 16,
    text: 'time since task start: 0 to ' + XT.formatDuration(span) }));

  layout.rows.forEach(function (r) {
    if (r.kind === 'process') {
      var color = XT.colorFor(r.index);
      var head = svg('g', { class: 'c-proc-row', 'data-process': r.index, 'data-pid': r.proc.pid, role: 'button', tabindex: 0 });
      head.appendChild(svg('rect', { class: 'c-lane-bg', x: 0, y: r.y, width: C_LABEL_W, height: C_HEAD_H }));
      g.appendChild(head);
      head.appendChild(svg('text', { class: 'c-proc', x: 10, y: r.y + 17,
        text: XT.truncate(XT.processTitle(r.proc) + '  pid ' + r.proc.pid + (r.proc.host ? ' @ ' + r.proc.host : '') +
          '  \u00b7  ' + XT.formatCount(r.proc.events) + ' events', 60) },
      svg('title', { text: r.proc.programs.map(function (p) { return p.name; }).join('\n') })));
      head.appendChild(svg('rect', { class: 'c-proc-mark', x: 0, y: r.y + 6, width: 4, height: 14, fill: color }));
      return;
    }
    var t = r.thread, color2 = XT.colorFor(r.procIndex);
    var lane = svg('g', { class: 'c-lane', 'data-thread': r.index, 'data-pid': r.proc.pid, 'data-tid': t.tid,
      role: 'button', tabindex: 0 });
    lane.appendChild(svg('rect', { class: 'c-lane-bg', x: 0, y: r.y, width: width, height: C_LANE_H }));
    lane.appendChild(svg('text', { class: 'c-thread', x: 22, y: r.y + 17,
      text: XT.truncate((t.name || 'thread') + ' (' + t.tid + ')', 30) }));
    lane.appendChild(svg('text', { class: 'c-count', x: C_LABEL_W - 8, y: r.y + 17, 'text-anchor': 'end',
      text: XT.formatCount(t.events) }));
    var x1 = x(t.first), x2 = Math.max(x(t.last), x1 + 2);
    lane.appendChild(svg('rect', { class: 'c-bar', x: x1, y: r.y + 8, width: x2 - x1, height: C_LANE_H - 16, rx: 3,
      fill: XT.tint(color2, 0.55), stroke: color2 }));
    lane.appendChild(svg('title', { text: (t.name || 'thread') + ' ' + t.tid + ': ' + XT.formatCount(t.events) +
      ' events over ' + XT.formatDuration(t.last - t.first) + '. Click to load its events.' }));
    g.appendChild(lane);
  });

  // Arcs between lanes, on the left of the time axis, bulging left by how far
  // apart the lanes are.
  var arcs = svg('g', { class: 'c-edges' }), ax = plotX - 8;
  c.edges.forEach(function (e) {
    var a = c.threads[e.from], b = c.threads[e.to];
    if (a.laneY === undefined || b.laneY === undefined) return;
    var bulge = Math.min(C_ARC_W - 12, 10 + Math.abs(b.laneY - a.laneY) / 6);
    var cross = a.process !== b.process;
    arcs.appendChild(svg('path', { class: 'c-edge' + (cross ? ' process' : ''), 'data-from': e.from, 'data-to': e.to,
      d: 'M' + ax + ',' + a.laneY + 'C' + (ax - bulge) + ',' + a.laneY + ' ' + (ax - bulge) + ',' + b.laneY + ' ' + ax + ',' + b.laneY,
      'stroke-width': (1 + Math.log10(e.count)).toFixed(2) },
    svg('title', { text: XT.formatCount(e.count) + (e.count === 1 ? ' edge' : ' edges') + ' from ' +
      (a.name || a.tid) + ' to ' + (b.name || b.tid) })));
  });
  g.appendChild(arcs);

  // The critical path: its runs on the lanes, joined where it changes lane.
  var crit = svg('g', { class: 'c-crit' }), prev = null;
  c.critical.segments.forEach(function (s) {
    var t = c.threads[s.thread];
    if (!t || t.laneY === undefined) { prev = null; return; }
    var x1 = x(s.first), x2 = Math.max(x(s.last), x1 + 3);
    if (prev) {
      crit.appendChild(svg('path', { class: 'c-crit-hop', d: 'M' + prev.x + ',' + prev.y + 'L' + x1 + ',' + t.laneY }));
    }
    crit.appendChild(svg('rect', { class: 'c-crit-seg', x: x1, y: t.laneY - 3, width: x2 - x1, height: 6, rx: 2,
      'data-thread': s.thread },
    svg('title', { text: 'critical path: ' + XT.formatCount(s.events) + ' events on ' + (t.name || t.tid) })));
    prev = { x: x2, y: t.laneY };
  });
  g.appendChild(crit);

  // onOpen gets {process: index, thread: index or null}.
  var open = function (ev) {
    var lane = ev.target.closest ? ev.target.closest('g.c-lane, g.c-proc-row') : null;
    if (!lane) return;
    if (lane.hasAttribute('data-thread')) {
      var ti = +lane.getAttribute('data-thread');
      self.onOpen({ process: c.threads[ti].process, thread: ti });
    } else {
      self.onOpen({ process: +lane.getAttribute('data-process'), thread: null });
    }
  };
  body.addEventListener('click', open);
  body.addEventListener('keydown', function (ev) { if (ev.key === 'Enter' || ev.key === ' ') open(ev); });
  root.appendChild(body);
  if (layout.lanes < c.threads.length) {
    root.appendChild(el('div', { class: 'muted c-more', text: 'The first ' + layout.lanes + ' of ' +
      XT.formatCount(c.threads.length) + ' threads are drawn.' }));
  }
  XT.clear(this.host).appendChild(root);
  return layout;
};
