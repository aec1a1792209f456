// The causal graph view: one SVG group per event, edges parent -> child,
// colours per process, pan and zoom with d3-zoom. Built with plain DOM calls
// (one delegated click handler, no per-node listeners) so a 10,000-event task
// stays within a few seconds; labels are truncated and hidden when zoomed out.
'use strict';
var XT = window.XT || (window.XT = {});

var TEXT_MIN_SCALE = 0.42;
var TEXT_MAX_W = XT.NODE_W - 24;
// The legend's box with its margin (max-width 300px, padding and border,
// 14px from the edge): a graph placed right of this never runs under it.
var LEGEND_W = 350;

// Cuts a string to what fits in px at the given canvas font, measuring instead
// of counting characters so wide and narrow text both end at the box edge.
var measurer = null, fitCache = new Map();
function fitText(s, font, px) {
  s = s || '';
  var key = font + '\n' + s, hit = fitCache.get(key);
  if (hit !== undefined) return hit;
  if (!measurer) measurer = document.createElement('canvas').getContext('2d');
  measurer.font = font;
  var out = s;
  if (measurer.measureText(s).width > px) {
    var lo = 0, hi = Math.min(s.length, 200);
    while (lo < hi) {
      var mid = (lo + hi + 1) >> 1;
      if (measurer.measureText(s.slice(0, mid) + '\u2026').width <= px) lo = mid; else hi = mid - 1;
    }
    out = s.slice(0, lo) + '\u2026';
  }
  if (fitCache.size > 50000) fitCache.clear();
  fitCache.set(key, out);
  return out;
}

XT.GraphView = function (host, task, onSelect) {
  this.host = host;
  this.task = task;
  this.onSelect = onSelect;
  this.nodeEls = [];
  this.edgeEls = [];
  this.selected = null;
};

XT.GraphView.prototype.render = function () {
  var t0 = performance.now();
  var lay = XT.layoutGraph(this.task);
  var t1 = performance.now();
  this.layout = lay;
  this.build(lay);
  var t2 = performance.now();
  return { layoutMs: t1 - t0, buildMs: t2 - t1, chains: lay.chains, engine: lay.engine };
};

function edgePath(pts) {
  var d = 'M' + pts[0].x.toFixed(1) + ',' + pts[0].y.toFixed(1);
  if (pts.length === 2) return d + 'L' + pts[1].x.toFixed(1) + ',' + pts[1].y.toFixed(1);
  if (pts.length === 4 && pts[1].c) {
    return d + 'C' + pts.slice(1).map(function (p) { return p.x.toFixed(1) + ',' + p.y.toFixed(1); }).join(' ');
  }
  // Smooth dagre's bend points with quadratic segments through midpoints.
  for (var i = 1; i < pts.length - 1; i++) {
    var mx = (pts[i].x + pts[i + 1].x) / 2, my = (pts[i].y + pts[i + 1].y) / 2;
    if (i === pts.length - 2) { mx = pts[i + 1].x; my = pts[i + 1].y; }
    d += 'Q' + pts[i].x.toFixed(1) + ',' + pts[i].y.toFixed(1) + ' ' + mx.toFixed(1) + ',' + my.toFixed(1);
  }
  return d;
}

XT.GraphView.prototype.build = function (lay) {
  var self = this, svg = XT.svg, task = this.task;
  var root = svg('svg', { class: 'graph', role: 'img', 'aria-label': 'Causal graph' });
  var defs = svg('defs');
  [['arrow-local', 'local'], ['arrow-thread', 'thread'], ['arrow-process', 'process'], ['arrow-crit', 'crit']]
    .forEach(function (m) {
      defs.appendChild(svg('marker', { id: m[0], class: 'marker-' + m[1], viewBox: '0 0 10 10', refX: 9, refY: 5,
        markerUnits: 'userSpaceOnUse', markerWidth: 10, markerHeight: 10, orient: 'auto-start-reverse' }, svg('path', { d: 'M0,0L10,5L0,10z' })));
    });
  root.appendChild(defs);
  var viewport = svg('g', { class: 'viewport' });
  var edgesG = svg('g', { class: 'edges' });
  var nodesG = svg('g', { class: 'nodes' });
  viewport.appendChild(edgesG);
  viewport.appendChild(nodesG);
  root.appendChild(viewport);

  var frag = document.createDocumentFragment();
  task.edges.forEach(function (e, i) {
    var p = svg('path', { class: 'edge ' + e.kind + (e.back ? ' back' : ''), d: edgePath(lay.paths[i]),
      'marker-end': 'url(#arrow-' + e.kind + ')', 'data-from': e.from.id, 'data-to': e.to.id });
    self.edgeEls.push(p);
    frag.appendChild(p);
  });
  edgesG.appendChild(frag);

  frag = document.createDocumentFragment();
  var w = XT.NODE_W, h = XT.NODE_H, x0 = -w / 2, y0 = -h / 2;
  var style = getComputedStyle(document.body);
  var family = style.fontFamily, mono = style.getPropertyValue('--mono') || 'monospace';
  var labelFont = '550 12.5px ' + family, metaFont = '10.5px ' + mono;
  // One stylesheet rule per process instead of fill/stroke on every node.
  var rules = task.processes.map(function (p, i) {
    return '.p' + i + ' .box{fill:' + p.fill + ';stroke:' + p.color + '}.p' + i + ' .stripe{fill:' + p.color + '}';
  });
  defs.appendChild(svg('style', { text: rules.join('\n') }));
  var procIndex = new Map(task.processes.map(function (p, i) { return [p, i]; }));
  var mk = function (tag) { return document.createElementNS(XT.SVGNS, tag); };
  task.events.forEach(function (e) {
    var pos = lay.pos[e.index];
    var g = mk('g');
    g.setAttribute('class', 'node p' + procIndex.get(e.proc));
    g.setAttribute('transform', 'translate(' + pos.x + ',' + pos.y + ')');
    g.setAttribute('data-i', e.index);
    g.setAttribute('data-event', e.id);
    var box = mk('rect');
    box.setAttribute('class', 'box');
    box.setAttribute('x', x0); box.setAttribute('y', y0);
    box.setAttribute('width', w); box.setAttribute('height', h);
    box.setAttribute('rx', 6);
    g.appendChild(box);
    var stripe = mk('rect');
    stripe.setAttribute('class', 'stripe');
    stripe.setAttribute('x', x0 + 4); stripe.setAttribute('y', y0 + 6);
    stripe.setAttribute('width', 3); stripe.setAttribute('height', h - 12);
    stripe.setAttribute('rx', 1.5);
    g.appendChild(stripe);
    var label = mk('text');
    label.setAttribute('class', 'label');
    label.setAttribute('x', x0 + 13); label.setAttribute('y', -3);
    label.textContent = fitText(e.label || '(no label)', labelFont, TEXT_MAX_W);
    g.appendChild(label);
    var meta = mk('text');
    meta.setAttribute('class', 'meta');
    meta.setAttribute('x', x0 + 13); meta.setAttribute('y', 13);
    meta.textContent = fitText(e.program + ':' + e.proc.pid + ' \u00b7 ' + (e.thread.name || 'tid') + ' ' +
      e.thread.tid, metaFont, TEXT_MAX_W);
    g.appendChild(meta);
    self.nodeEls[e.index] = g;
    frag.appendChild(g);
  });
  nodesG.appendChild(frag);

  nodesG.addEventListener('click', function (ev) {
    var g = ev.target.closest ? ev.target.closest('g.node') : null;
    if (g) self.onSelect(task.events[+g.getAttribute('data-i')]);
  });

  // Measured before the SVG goes in, so this does not force a layout of
  // thousands of fresh elements; the host's size does not depend on them.
  this.hostSize = this.measure();
  this.legendFolded = this.hostSize.w <= 2 * LEGEND_W + 200;
  XT.clear(this.host).appendChild(root);
  this.svg = root;
  this.viewport = viewport;
  this.host.appendChild(this.legend());
  this.host.appendChild(this.controls());
  this.setupZoom();
};

// The legend sits over the stage's top left corner. Where the stage is wide
// the graph is placed right of it (fit); where it is narrow the legend starts
// folded to its title, and either way one click folds or unfolds it.
XT.GraphView.prototype.legend = function () {
  var el = XT.el, self = this;
  var procs = this.task.processes;
  var rows = el('div', { class: 'legend-rows' });
  var folded = this.legendFolded;
  var toggle = el('button', { class: 'legend-toggle', 'aria-expanded': folded ? 'false' : 'true',
    title: 'Show or hide the process legend',
    onclick: function () {
      self.legendFolded = !self.legendFolded;
      box.classList.toggle('folded', self.legendFolded);
      toggle.setAttribute('aria-expanded', self.legendFolded ? 'false' : 'true');
      self.fit(false);
    } }, procs.length + (procs.length === 1 ? ' process' : ' processes'));
  var box = el('div', { class: 'legend' + (folded ? ' folded' : '') }, toggle, rows);
  procs.slice(0, 12).forEach(function (p) {
    rows.appendChild(el('div', { class: 'legend-row', title: p.cmdline },
      el('span', { class: 'swatch', style: 'background:' + p.color }),
      el('span', { text: p.name }), el('span', { class: 'muted', text: ' pid ' + p.pid + (p.host ? ' @ ' + p.host : '') })));
  });
  if (procs.length > 12) rows.appendChild(el('div', { class: 'muted', text: '+' + (procs.length - 12) + ' more processes' }));
  rows.appendChild(el('div', { class: 'legend-edges' },
    el('span', { class: 'edge-key local' }), 'same thread',
    el('span', { class: 'edge-key thread' }), 'other thread',
    el('span', { class: 'edge-key process' }), 'other process'));
  return box;
};

XT.GraphView.prototype.controls = function () {
  var el = XT.el, self = this;
  var b = function (label, title, fn) {
    return el('button', { class: 'zoom-button', title: title, 'aria-label': title, onclick: fn }, label);
  };
  return el('div', { class: 'zoom-controls' },
    b('+', 'Zoom in', function () { self.zoomBy(1.4); }),
    b('\u2212', 'Zoom out', function () { self.zoomBy(1 / 1.4); }),
    b('\u2922', 'Fit', function () { self.fit(true); }));
};

XT.GraphView.prototype.setupZoom = function () {
  var self = this;
  var lowDetail = null;
  this.zoom = d3.zoom().scaleExtent([0.01, 3]).on('zoom', function (ev) {
    var t = ev.transform;
    self.viewport.setAttribute('transform', 'translate(' + t.x + ',' + t.y + ') scale(' + t.k + ')');
    var low = t.k < TEXT_MIN_SCALE;
    if (low !== lowDetail) {
      lowDetail = low;
      self.svg.classList.toggle('low-detail', low);
    }
  });
  d3.select(this.svg).call(this.zoom).on('dblclick.zoom', null);
  this.fit(false);
};

XT.GraphView.prototype.measure = function () {
  var r = this.host.getBoundingClientRect();
  return { w: Math.max(r.width, 200), h: Math.max(r.height, 200) };
};

XT.GraphView.prototype.size = function () {
  if (this.hostSize) { var s = this.hostSize; this.hostSize = null; return s; }
  return this.measure();
};

// Small graphs are shown whole. A big one opens at its first events, as wide
// as fits but never so small that labels disappear: a 10,000-event task fitted
// into one screen would be a grey smear.
XT.GraphView.prototype.fit = function (whole) {
  var s = this.size(), lay = this.layout;
  this.fitWidth = s.w;
  // The legend covers the top left corner: keep the graph beside it when the
  // stage is wide, below it when narrow. Its height follows from its rows
  // (measuring it would force a layout of the whole fresh SVG).
  var rows = Math.min(this.task.processes.length, 12) + (this.task.processes.length > 12 ? 1 : 0);
  var legendH = this.legendFolded ? 64 : 84 + 18 * rows;
  var left = !this.legendFolded && s.w > 2 * LEGEND_W + 200 ? LEGEND_W : 0;
  var top = left ? 0 : legendH;
  var w = s.w - left - 16, h = s.h - top;
  var kAll = Math.min(w / lay.width, h / lay.height, 1.25);
  var k, x, y;
  if (whole || kAll >= 0.6) {
    k = Math.max(kAll, 0.01);
    x = left + (w - lay.width * k) / 2;
    y = top + Math.max((h - lay.height * k) / 2, 0);
  } else {
    k = Math.max(Math.min(w / lay.width, 1), 0.6);
    x = left + (lay.width * k < w ? (w - lay.width * k) / 2 : 16);
    y = top + 8;
  }
  d3.select(this.svg).call(this.zoom.transform, d3.zoomIdentity.translate(x, y).scale(k));
};

// Pans (without zooming) so that an event is on screen, e.g. after the
// details panel took part of the stage.
XT.GraphView.prototype.reveal = function (e) {
  var p = this.layout.pos[e.index], s = this.measure(), t = d3.zoomTransform(this.svg);
  var sx = t.applyX(p.x), sy = t.applyY(p.y), margin = XT.NODE_W * t.k / 2 + 24;
  if (sx > margin && sx < s.w - margin && sy > 24 && sy < s.h - 24) return;
  var dx = sx < margin ? margin - sx : (sx > s.w - margin ? s.w - margin - sx : 0);
  var dy = sy < 24 || sy > s.h - 24 ? s.h / 2 - sy : 0;
  d3.select(this.svg).transition().duration(250).call(this.zoom.translateBy, dx / t.k, dy / t.k);
};

XT.GraphView.prototype.zoomBy = function (f) {
  d3.select(this.svg).transition().duration(200).call(this.zoom.scaleBy, f);
};

XT.GraphView.prototype.focus = function (e) {
  var p = this.layout.pos[e.index], s = this.size();
  var k = Math.max(d3.zoomTransform(this.svg).k, 0.8);
  var t = d3.zoomIdentity.translate(s.w / 2 - p.x * k, s.h / 2 - p.y * k).scale(k);
  d3.select(this.svg).transition().duration(350).call(this.zoom.transform, t);
};

XT.GraphView.prototype.select = function (e) {
  if (this.selected !== null && this.nodeEls[this.selected]) this.nodeEls[this.selected].classList.remove('selected');
  this.selected = e ? e.index : null;
  if (e) {
    var g = this.nodeEls[e.index];
    g.classList.add('selected');
    g.parentNode.appendChild(g); // drawn last, so its outline is on top
  }
};

// Highlights the critical path (a list of steps from XT.criticalPath) or, with
// null, clears it.
XT.GraphView.prototype.highlight = function (steps) {
  var self = this;
  if (!steps && !this.highlighted) return;
  this.highlighted = !!steps;
  this.svg.classList.toggle('crit', !!steps);
  this.nodeEls.forEach(function (g) { g.classList.remove('on-path'); });
  this.edgeEls.forEach(function (p, i) {
    var e = self.task.edges[i];
    p.classList.remove('on-path');
    p.setAttribute('marker-end', 'url(#arrow-' + e.kind + ')');
  });
  if (!steps) return;
  var onPath = new Set(steps.map(function (s) { return s.event; }));
  var next = new Map();
  steps.forEach(function (s, i) { if (i) next.set(steps[i - 1].event, s.event); });
  steps.forEach(function (s) { self.nodeEls[s.event.index].classList.add('on-path'); });
  this.task.edges.forEach(function (e, i) {
    if (onPath.has(e.from) && next.get(e.from) === e.to) {
      var p = self.edgeEls[i];
      p.classList.add('on-path');
      p.setAttribute('marker-end', 'url(#arrow-crit)');
      p.parentNode.appendChild(p);
    }
  });
};
