// Top-down layout of a task's causal graph with dagre.
//
// X-Trace graphs are mostly long chains (one event per log line of a thread)
// joined at forks, RPCs and joins. Handing every event to dagre fails twice on
// real tasks: several of its phases recurse once per rank, so a 10,000-event
// thread overflows the JavaScript stack, and its crossing reduction is
// superlinear in the number of nodes. So each maximal chain (every link the
// only way out of its parent and the only way into its child) becomes one tall
// dagre node; dagre places the chains and routes the edges between them, and
// the chain's events are then stacked inside the slot dagre gave it. Ranking is
// an iterative longest path (dagre accepts a ranker function), and large
// graphs get an iterative barycentric ordering through dagre's customOrder hook.
//
// Past DAGRE_MAX_CHAINS chains dagre's coordinate assignment alone takes
// seconds (its horizontal compaction revisits a block once per neighbour), so
// huge tasks use the same chains, ranks and ordering with a linear placement:
// each layer's chains go to the mean x of their neighbours, overlaps removed
// by isotonic regression (pool adjacent violators).
'use strict';
var XT = window.XT || (window.XT = {});

XT.NODE_W = 210;
XT.NODE_H = 42;
XT.CHAIN_GAP = 20;  // between events stacked in one chain
XT.RANK_SEP = 34;   // between dagre ranks
XT.NODE_SEP = 26;

// Edges spanning more chain ranks than this are routed here, not by dagre:
// dagre turns a long edge into a column of dummy nodes, and its horizontal
// compaction is quadratic in the length of such a column.
var LONG_EDGE_RANKS = 12;

// Measured on this project's 10,000-event benchmark task: dagre lays out 500
// chains in 0.3 s and 5,000 in 4 s.
var DAGRE_MAX_CHAINS = 1200;

// Beyond these sizes dagre's own ordering is too slow or too deep.
var DAGRE_ORDER_MAX_NODES = 1500;
var DAGRE_ORDER_MAX_RANKS = 800;

// Kahn's algorithm over the task's edges. Bad data can contain cycles; when the
// queue runs dry the earliest unplaced event is taken anyway and the edges into
// it from unplaced events are marked as back edges (drawn, not laid out).
function topoOrder(task) {
  var n = task.events.length;
  var indeg = new Int32Array(n);
  task.edges.forEach(function (e) { indeg[e.to.index]++; });
  var done = new Uint8Array(n), order = [], queue = [];
  task.events.forEach(function (e) { if (!indeg[e.index]) queue.push(e); });
  var byTime = null, scan = 0;
  while (order.length < n) {
    if (!queue.length) {
      if (!byTime) byTime = task.events.slice().sort(function (a, b) { return a.t - b.t || a.index - b.index; });
      while (done[byTime[scan].index]) scan++;
      var forced = byTime[scan];
      forced.parents.forEach(function (p) { if (!done[p.index]) backEdge(task, p, forced); });
      indeg[forced.index] = 0;
      queue.push(forced);
    }
    for (var qi = 0; qi < queue.length; qi++) {
      var v = queue[qi];
      if (done[v.index]) continue;
      done[v.index] = 1;
      order.push(v);
      for (var i = 0; i < v.children.length; i++) {
        var c = v.children[i];
        if (!done[c.index] && --indeg[c.index] === 0) queue.push(c);
      }
    }
    queue = [];
  }
  return order;
}

function backEdge(task, from, to) {
  task.edges.forEach(function (e) { if (e.from === from && e.to === to) e.back = true; });
  (to.backParents || (to.backParents = new Set())).add(from);
}

function forwardParents(task) {
  var fp = task.events.map(function () { return []; });
  var fc = task.events.map(function () { return []; });
  task.edges.forEach(function (e) {
    if (e.back) return;
    fp[e.to.index].push(e.from);
    fc[e.from.index].push(e.to);
  });
  return { parents: fp, children: fc };
}

// Splits the events into maximal chains, in topological order.
function chains(task, order, fwd) {
  var chainOf = new Int32Array(task.events.length).fill(-1);
  var list = [];
  order.forEach(function (e) {
    var ps = fwd.parents[e.index];
    if (ps.length === 1 && fwd.children[ps[0].index].length === 1) {
      var c = chainOf[ps[0].index];
      chainOf[e.index] = c;
      list[c].push(e);
    } else {
      chainOf[e.index] = list.length;
      list.push([e]);
    }
  });
  return { list: list, chainOf: chainOf };
}

function chainHeight(k) {
  return k * XT.NODE_H + (k - 1) * XT.CHAIN_GAP;
}

// Longest-path ranks of the chains over every edge, iteratively (chains come
// in topological order, and an edge always leaves a chain's last event).
function chainRanks(task, ch) {
  var rank = new Int32Array(ch.list.length);
  ch.list.forEach(function (c, i) {
    var r = rank[i];
    c[c.length - 1].children.forEach(function (child) {
      var j = ch.chainOf[child.index];
      if (j !== i && rank[j] < r + 1 && !isBack(child, c[c.length - 1])) rank[j] = r + 1;
    });
  });
  return rank;
}

function isBack(child, parent) {
  return child.backParents !== undefined && child.backParents.has(parent);
}

// dagre calls this on its working graph, after doubling every edge's minlen
// and adding a nesting root linked to every node. The precomputed chain ranks
// (doubled, the root at 0) satisfy all of those constraints, and they keep the
// ranks right for the long edges that dagre is not given.
function fixedRanker(ranks) {
  return function (g) {
    g.nodes().forEach(function (v) {
      var r = ranks.get(v);
      g.node(v).rank = r === undefined ? 0 : 2 * r + 2;
    });
  };
}

// Crossing reduction for graphs too big for dagre's own: a depth-first initial
// order (keeps chains of one branch together) and four barycentric sweeps,
// all iterative.
function sweepOrder(g) {
  var layers = [], seen = new Set(), nodes = g.nodes();
  var rank = function (v) { return g.node(v).rank; };
  var sources = nodes.filter(function (v) { return !(g.predecessors(v) || []).length; });
  sources.sort(function (a, b) { return rank(a) - rank(b); });
  var place = function (v) {
    var r = rank(v);
    (layers[r] || (layers[r] = [])).push(v);
  };
  sources.forEach(function (s) {
    var stack = [s];
    while (stack.length) {
      var v = stack.pop();
      if (seen.has(v)) continue;
      seen.add(v);
      place(v);
      var su = g.successors(v) || [];
      for (var i = su.length - 1; i >= 0; i--) if (!seen.has(su[i])) stack.push(su[i]);
    }
  });
  nodes.forEach(function (v) { if (!seen.has(v)) place(v); });
  var pos = new Map();
  layers.forEach(function (L) { if (L) L.forEach(function (v, i) { pos.set(v, i); }); });
  for (var it = 0; it < 4; it++) {
    var down = it % 2 === 0;
    var seq = down ? layers : layers.slice().reverse();
    seq.forEach(function (L) {
      if (!L) return;
      var bc = new Map();
      L.forEach(function (v) {
        var nb = (down ? g.predecessors(v) : g.successors(v)) || [];
        if (!nb.length) { bc.set(v, pos.get(v)); return; }
        var s = 0;
        for (var i = 0; i < nb.length; i++) s += pos.get(nb[i]);
        bc.set(v, s / nb.length);
      });
      L.sort(function (a, b) { return bc.get(a) - bc.get(b) || pos.get(a) - pos.get(b); });
      L.forEach(function (v, i) { pos.set(v, i); });
    });
  }
  layers.forEach(function (L) { if (L) L.forEach(function (v, i) { g.node(v).order = i; }); });
}

function chooseOrder(g, dagreOrder) {
  var maxRank = 0;
  g.nodes().forEach(function (v) { var r = g.node(v).rank; if (r > maxRank) maxRank = r; });
  if (g.nodeCount() <= DAGRE_ORDER_MAX_NODES && maxRank <= DAGRE_ORDER_MAX_RANKS) dagreOrder(g);
  else sweepOrder(g);
}

// A long edge (a join after a long wait, typically) is drawn as one smooth
// curve that leaves straight down and arrives straight down.
function longEdge(a, b) {
  var y1 = a.y + XT.NODE_H / 2, y2 = b.y - XT.NODE_H / 2, k = Math.min((y2 - y1) / 3, 400);
  return [{ x: a.x, y: y1 }, { x: a.x, y: y1 + k, c: true }, { x: b.x, y: y2 - k, c: true }, { x: b.x, y: y2 }];
}

function dagrePlace(task, ch, ranks) {
  var rankOf = new Map();
  var g = new dagre.graphlib.Graph({ multigraph: false });
  g.setGraph({ rankdir: 'TB', ranksep: XT.RANK_SEP, nodesep: XT.NODE_SEP, edgesep: 12,
    marginx: 24, marginy: 24, ranker: fixedRanker(rankOf), acyclicer: 'greedy', rankalign: 'top' });
  ch.list.forEach(function (c, i) {
    g.setNode('c' + i, { width: XT.NODE_W, height: chainHeight(c.length) });
    rankOf.set('c' + i, ranks[i]);
  });
  task.edges.forEach(function (e) {
    if (e.back) return;
    var a = ch.chainOf[e.from.index], b = ch.chainOf[e.to.index];
    if (a !== b && ranks[b] - ranks[a] <= LONG_EDGE_RANKS) g.setEdge('c' + a, 'c' + b, { weight: e.kind === 'local' ? 2 : 1 });
  });
  dagre.layout(g, { customOrder: chooseOrder, useDynamic: false });
  var gr = g.graph();
  return {
    centre: function (i) { var n = g.node('c' + i); return { x: n.x, top: n.y - n.height / 2 }; },
    route: function (a, b) { var de = g.edge('c' + a, 'c' + b); return de ? de.points || [] : null; },
    width: gr.width || 0, height: gr.height || 0, engine: 'dagre'
  };
}

// Optimal positions for one layer: as close as possible (least squares) to
// the wanted ones, in the given order, at least sep apart.
function isotonic(want, sep) {
  var blocks = [];
  for (var i = 0; i < want.length; i++) {
    var b = { sum: want[i] - i * sep, n: 1, first: i };
    while (blocks.length && blocks[blocks.length - 1].sum / blocks[blocks.length - 1].n >= b.sum / b.n) {
      var p = blocks.pop();
      b = { sum: p.sum + b.sum, n: p.n + b.n, first: p.first };
    }
    blocks.push(b);
  }
  var x = new Array(want.length);
  blocks.forEach(function (b) {
    var v = b.sum / b.n;
    for (var k = 0; k < b.n; k++) x[b.first + k] = v + (b.first + k) * sep;
  });
  return x;
}

function fastPlace(task, ch, ranks) {
  var g = new dagre.graphlib.Graph();
  ch.list.forEach(function (c, i) { g.setNode('c' + i, { rank: ranks[i] }); });
  task.edges.forEach(function (e) {
    if (e.back) return;
    var a = ch.chainOf[e.from.index], b = ch.chainOf[e.to.index];
    if (a !== b) g.setEdge('c' + a, 'c' + b);
  });
  sweepOrder(g);
  var layers = [];
  ch.list.forEach(function (c, i) {
    var r = ranks[i];
    (layers[r] || (layers[r] = []))[g.node('c' + i).order] = i;
  });
  var preds = ch.list.map(function () { return []; });
  var succs = ch.list.map(function () { return []; });
  g.edges().forEach(function (e) {
    var a = +e.v.slice(1), b = +e.w.slice(1);
    preds[b].push(a);
    succs[a].push(b);
  });
  var sep = XT.NODE_W + XT.NODE_SEP;
  var x = new Float64Array(ch.list.length);
  layers.forEach(function (L) { if (L) L.forEach(function (c, k) { x[c] = k * sep; }); });
  var mean = function (list, fallback) {
    if (!list.length) return fallback;
    var s = 0;
    for (var i = 0; i < list.length; i++) s += x[list[i]];
    return s / list.length;
  };
  var pass = function (L, nb) {
    if (!L) return;
    var want = L.map(function (c) { return (x[c] + 2 * mean(nb[c], x[c])) / 3; });
    isotonic(want, sep).forEach(function (v, k) { x[L[k]] = v; });
  };
  for (var it = 0; it < 3; it++) {
    layers.forEach(function (L) { pass(L, preds); });
    for (var r = layers.length - 1; r >= 0; r--) pass(layers[r], succs);
  }
  layers.forEach(function (L) { pass(L, preds); });
  var minX = Infinity, maxX = -Infinity;
  for (var i = 0; i < x.length; i++) { if (x[i] < minX) minX = x[i]; if (x[i] > maxX) maxX = x[i]; }
  var margin = 24, shift = margin + XT.NODE_W / 2 - minX;
  var top = new Float64Array(layers.length), y = margin;
  layers.forEach(function (L, r) {
    top[r] = y;
    var h = 0;
    if (L) L.forEach(function (c) { h = Math.max(h, chainHeight(ch.list[c].length)); });
    y += h + 2 * XT.RANK_SEP;
  });
  return {
    centre: function (i) { return { x: x[i] + shift, top: top[ranks[i]] }; },
    route: function () { return null; },
    width: maxX - minX + XT.NODE_W + 2 * margin, height: y - 2 * XT.RANK_SEP + margin, engine: 'linear'
  };
}

// Returns positions per event index and a polyline per task edge (same order
// as task.edges), plus the drawing's size.
XT.layoutGraph = function (task) {
  var order = topoOrder(task);
  var fwd = forwardParents(task);
  var ch = chains(task, order, fwd);
  var ranks = chainRanks(task, ch);
  var place = ch.list.length <= DAGRE_MAX_CHAINS ? dagrePlace(task, ch, ranks) : fastPlace(task, ch, ranks);

  var pos = new Array(task.events.length);
  ch.list.forEach(function (c, i) {
    var p = place.centre(i);
    var top = p.top + XT.NODE_H / 2;
    c.forEach(function (e, k) {
      pos[e.index] = { x: p.x, y: top + k * (XT.NODE_H + XT.CHAIN_GAP) };
    });
  });
  var halfH = XT.NODE_H / 2;
  var paths = task.edges.map(function (e) {
    var a = pos[e.from.index], b = pos[e.to.index];
    var ca = ch.chainOf[e.from.index], cb = ch.chainOf[e.to.index];
    if (e.back || ca === cb) return [{ x: a.x, y: a.y + halfH }, { x: b.x, y: b.y - halfH }];
    var pts = place.route(ca, cb);
    if (!pts) return longEdge(a, b);
    return [{ x: a.x, y: a.y + halfH }].concat(pts.slice(1, -1), [{ x: b.x, y: b.y - halfH }]);
  });
  return { pos: pos, paths: paths, width: place.width, height: place.height,
    chains: ch.list.length, engine: place.engine };
};
