// The swimlane: one lane per thread, grouped by host and process, x = time.
// Each thread's span is a bar, each event a dot, and causal edges that leave a
// lane are drawn between lanes, so waiting on another thread or process shows
// as a gap crossed by an edge.
'use strict';
var XT = window.XT || (window.XT = {});

var GUTTER = 230;
var LANE_H = 30;
var GROUP_H = 24;
var AXIS_H = 30;

XT.Swimlane = function (host, task, onSelect) {
  this.host = host;
  this.task = task;
  this.onSelect = onSelect;
  this.crit = null;
};

XT.Swimlane.prototype.rows = function () {
  var rows = [], hosts = new Map();
  this.task.processes.forEach(function (p) {
    if (!hosts.has(p.host)) hosts.set(p.host, []);
    hosts.get(p.host).push(p);
  });
  var y = 0;
  hosts.forEach(function (procs, host) {
    rows.push({ kind: 'host', y: y, text: host || '(unknown host)' });
    y += GROUP_H;
    procs.forEach(function (p) {
      rows.push({ kind: 'process', y: y, proc: p, text: p.name + '  pid ' + p.pid });
      y += GROUP_H;
      p.threads.forEach(function (t) {
        t.laneY = y + LANE_H / 2;
        rows.push({ kind: 'thread', y: y, thread: t, text: t.name ? t.name + ' (' + t.tid + ')' : 'tid ' + t.tid });
        y += LANE_H;
      });
    });
  });
  return { rows: rows, height: y + 8 };
};

XT.Swimlane.prototype.render = function () {
  var svg = XT.svg, el = XT.el, self = this, task = this.task;
  var layout = this.rows();
  var width = Math.max(this.host.getBoundingClientRect().width, 600);
  var plotW = width - GUTTER - 24;
  var span = Math.max(task.end - task.start, 1);
  this.x0 = d3.scaleLinear().domain([0, span]).range([0, plotW]);
  this.x = this.x0;

  var root = el('div', { class: 'swimlane' });
  var axisSvg = svg('svg', { class: 'swim-axis', width: width, height: AXIS_H });
  this.axisG = svg('g', { transform: 'translate(' + GUTTER + ',' + (AXIS_H - 4) + ')' });
  axisSvg.appendChild(svg('text', { x: 12, y: AXIS_H - 10, class: 'axis-title', text: 'time since task start' }));
  axisSvg.appendChild(this.axisG);
  var scroller = el('div', { class: 'swim-scroll' });
  var h = layout.height;
  var body = svg('svg', { class: 'swim-body', width: width, height: h });
  body.appendChild(svg('defs', null, svg('clipPath', { id: 'swim-clip' },
    svg('rect', { x: GUTTER, y: 0, width: plotW + 24, height: h }))));

  var lanes = svg('g', { class: 'lanes' });
  layout.rows.forEach(function (r, i) {
    if (r.kind === 'thread') {
      lanes.appendChild(svg('rect', { class: 'lane' + (i % 2 ? ' odd' : ''), x: 0, y: r.y, width: width, height: LANE_H }));
      lanes.appendChild(svg('text', { class: 'lane-label', x: 34, y: r.y + LANE_H / 2 + 4, text: XT.truncate(r.text, 26) }));
    } else if (r.kind === 'process') {
      lanes.appendChild(svg('rect', { class: 'group process', x: 0, y: r.y, width: width, height: GROUP_H,
        fill: r.proc.fill }));
      lanes.appendChild(svg('rect', { x: 0, y: r.y, width: 5, height: GROUP_H, fill: r.proc.color }));
      lanes.appendChild(svg('text', { class: 'group-label', x: 20, y: r.y + 16,
        text: XT.truncate(r.text, 30) }, svg('title', { text: r.proc.cmdline })));
    } else {
      lanes.appendChild(svg('rect', { class: 'group host', x: 0, y: r.y, width: width, height: GROUP_H }));
      lanes.appendChild(svg('text', { class: 'host-label', x: 10, y: r.y + 16, text: XT.truncate(r.text, 34) }));
    }
  });
  lanes.appendChild(svg('line', { class: 'gutter-rule', x1: GUTTER - 8, x2: GUTTER - 8, y1: 0, y2: h }));
  body.appendChild(lanes);

  var plot = svg('g', { 'clip-path': 'url(#swim-clip)' });
  this.barsG = svg('g', { class: 'bars' });
  this.edgesG = svg('g', { class: 'swim-edges' });
  this.dotsG = svg('g', { class: 'dots' });
  plot.appendChild(this.barsG);
  plot.appendChild(this.edgesG);
  plot.appendChild(this.dotsG);
  body.appendChild(plot);

  this.bars = [];
  task.processes.forEach(function (p) {
    p.threads.forEach(function (t) {
      var b = svg('rect', { class: 'bar', y: t.laneY - 7, height: 14, rx: 4, fill: p.fill, stroke: p.color });
      self.barsG.appendChild(b);
      self.bars.push({ el: b, thread: t });
    });
  });
  // Edges inside one lane are implied by the bar; only lane changes are drawn.
  this.edges = [];
  task.edges.forEach(function (e) {
    if (e.kind === 'local') return;
    var p = svg('path', { class: 'swim-edge ' + e.kind });
    self.edgesG.appendChild(p);
    self.edges.push({ el: p, edge: e });
  });
  this.dots = [];
  var frag = document.createDocumentFragment();
  task.events.forEach(function (e) {
    var c = svg('circle', { class: 'dot', r: 4, cy: e.thread.laneY, fill: e.proc.color, 'data-i': e.index });
    frag.appendChild(c);
    self.dots.push({ el: c, event: e });
  });
  this.dotsG.appendChild(frag);

  this.tip = el('div', { class: 'tooltip', hidden: true });
  this.dotsG.addEventListener('click', function (ev) {
    var i = ev.target.getAttribute && ev.target.getAttribute('data-i');
    if (i !== null && i !== undefined) self.onSelect(task.events[+i]);
  });
  this.dotsG.addEventListener('mouseover', function (ev) {
    var i = ev.target.getAttribute && ev.target.getAttribute('data-i');
    if (i === null || i === undefined) return;
    var e = task.events[+i];
    XT.clear(self.tip);
    self.tip.appendChild(XT.el('div', { class: 'tip-label', text: XT.truncate(e.label || '(no label)', 120) }));
    self.tip.appendChild(XT.el('div', { class: 'muted', text: '+' + XT.formatDuration(e.t - task.start) +
      ' \u00b7 ' + e.program + ' \u00b7 ' + (e.thread.name || e.thread.tid) }));
    var hr = self.host.getBoundingClientRect(), tr = ev.target.getBoundingClientRect();
    self.tip.style.left = Math.min(tr.left - hr.left + 10, hr.width - 320) + 'px';
    self.tip.style.top = (tr.top - hr.top + 14) + 'px';
    self.tip.hidden = false;
  });
  this.dotsG.addEventListener('mouseout', function () { self.tip.hidden = true; });

  scroller.appendChild(body);
  root.appendChild(axisSvg);
  root.appendChild(scroller);
  XT.clear(this.host).appendChild(root);
  this.host.appendChild(this.tip);
  this.host.appendChild(XT.el('div', { class: 'swim-hint muted', text: 'scroll to zoom time \u00b7 drag to pan' }));

  this.zoom = d3.zoom().scaleExtent([1, 1e6]).translateExtent([[0, 0], [plotW, 0]])
    .extent([[0, 0], [plotW, 0]])
    .filter(function (ev) { return !ev.button && (ev.type !== 'wheel' || !ev.shiftKey); })
    .on('zoom', function (ev) {
      self.x = ev.transform.rescaleX(self.x0);
      self.place();
    });
  d3.select(body).call(this.zoom).on('dblclick.zoom', null);
  this.place();
};

XT.Swimlane.prototype.place = function () {
  var x = this.x, start = this.task.start, gx = GUTTER;
  var X = function (t) { return gx + x(t - start); };
  this.bars.forEach(function (b) {
    var ev = b.thread.events;
    var a = X(ev[0].t), z = X(ev[ev.length - 1].t);
    b.el.setAttribute('x', a - 5);
    b.el.setAttribute('width', Math.max(z - a, 0) + 10);
  });
  this.dots.forEach(function (d) { d.el.setAttribute('cx', X(d.event.t)); });
  this.edges.forEach(function (d) {
    var e = d.edge, x1 = X(e.from.t), y1 = e.from.thread.laneY, x2 = X(e.to.t), y2 = e.to.thread.laneY;
    var my = (y1 + y2) / 2;
    d.el.setAttribute('d', 'M' + x1 + ',' + y1 + 'C' + x1 + ',' + my + ' ' + x2 + ',' + my + ' ' + x2 + ',' + y2);
  });
  d3.select(this.axisG).call(d3.axisTop(x).ticks(8).tickFormat(function (v) { return XT.formatDuration(v); }));
};

XT.Swimlane.prototype.highlight = function (steps) {
  var onPath = new Set(steps ? steps.map(function (s) { return s.event; }) : []);
  var next = new Map();
  if (steps) steps.forEach(function (s, i) { if (i) next.set(steps[i - 1].event, s.event); });
  this.dots.forEach(function (d) { d.el.classList.toggle('on-path', onPath.has(d.event)); });
  this.edges.forEach(function (d) { d.el.classList.toggle('on-path', next.get(d.edge.from) === d.edge.to); });
};

XT.Swimlane.prototype.select = function (e) {
  this.dots.forEach(function (d) { d.el.classList.toggle('selected', d.event === e); });
};
