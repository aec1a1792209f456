// One task: its header, the graph / swimlane / critical-path tabs, and the
// details panel. The views are built once per task and kept while switching
// tabs, since laying out a large task is the expensive part.
'use strict';
var XT = window.XT || (window.XT = {});

XT.TaskPage = function (main, id) {
  this.main = main;
  this.id = id;
  this.tab = 'graph';
  this.views = {};
  this.selected = null;
};

XT.TaskPage.prototype.render = function (tab) {
  var el = XT.el, self = this;
  this.tab = tab;
  XT.clear(this.main);
  this.head = el('div', { class: 'task-head' }, el('div', { class: 'loading', text: 'Loading task ' + this.id + '\u2026' }));
  this.tabs = el('nav', { class: 'tabs' });
  this.critHost = el('aside', { class: 'crit-panel', hidden: true });
  this.stage = el('div', { class: 'stage' });
  this.graphHost = el('div', { class: 'graph-host' });
  this.swimHost = el('div', { class: 'swim-host', hidden: true });
  this.stage.appendChild(this.graphHost);
  this.stage.appendChild(this.swimHost);
  this.detailsHost = el('aside', { class: 'details', hidden: true });
  this.main.appendChild(el('section', { class: 'page task-page' }, this.head, this.tabs,
    el('div', { class: 'workspace' }, this.critHost, this.stage, this.detailsHost)));

  var t0 = performance.now();
  // The condensed view first: it says how large the task is, and is what a
  // task too large to draw whole shows.
  return XT.fetchJSON('/api/tasks/' + this.id + '/condensed').then(function (cond) {
    if (cond.reports <= XT.DRAW_LIMIT) return self.renderWhole(t0);
    self.large = new XT.LargeTask(self, cond);
    self.large.render();
    requestAnimationFrame(function () {
      setTimeout(function () {
        var t1 = performance.now();
        window.__xtCondensed = { task: self.id, events: cond.reports, threads: cond.threads.length,
          edges: cond.edges.length, totalMs: Math.round(t1 - t0), sinceNavigationMs: Math.round(t1) };
        document.body.setAttribute('data-condensed', self.id);
      }, 0);
    });
  }).catch(function (err) {
    XT.clear(self.head).appendChild(el('div', { class: 'error', text: 'Could not load task ' + self.id + ': ' + err.message }));
  });
};

// The task drawn whole: every event in the graph, the swimlane and the
// critical path.
XT.TaskPage.prototype.renderWhole = function (t0) {
  var el = XT.el, self = this;
  var url = '/interactive/reports/' + this.id;
  return XT.fetchJSON(url).then(function (json) {
    var t1 = performance.now();
    var task = XT.buildTask(self.id, json);
    self.task = task;
    if (!task.events.length) {
      XT.clear(self.head).appendChild(el('div', { class: 'error', text: 'Task ' + self.id + ' has no reports.' }));
      return;
    }
    self.steps = XT.criticalPath(task);
    self.renderHead();
    self.details = new XT.Details(self.detailsHost, task, function (e) { self.select(e, true); },
      function () { self.select(null); });
    self.views.graph = new XT.GraphView(self.graphHost, task, function (e) { self.select(e); });
    var gt = self.views.graph.render();
    self.showTab(self.tab);
    // The render is done when the browser has painted the frame with the SVG.
    requestAnimationFrame(function () {
      setTimeout(function () {
        var t2 = performance.now();
        window.__xtRender = { task: self.id, events: task.events.length, edges: task.edges.length,
          chains: gt.chains, engine: gt.engine, fetchMs: Math.round(t1 - t0), layoutMs: Math.round(gt.layoutMs),
          buildMs: Math.round(gt.buildMs), totalMs: Math.round(t2 - t0), sinceNavigationMs: Math.round(t2) };
        document.body.setAttribute('data-rendered', self.id);
      }, 0);
    });
  });
};

XT.TaskPage.prototype.renderHead = function () {
  var el = XT.el, task = this.task, id = this.id;
  var threads = 0;
  task.processes.forEach(function (p) { threads += p.threads.length; });
  var meta = [
    ['Events', XT.formatCount(task.events.length)],
    ['Duration', XT.formatDuration(task.end - task.start)],
    ['Processes', task.processes.length],
    ['Threads', threads],
    ['Started', XT.formatTime(task.start).slice(0, 23)]
  ];
  var metaEl = el('dl', { class: 'task-meta' });
  meta.forEach(function (m) {
    metaEl.appendChild(el('div', null, el('dt', { text: m[0] }), el('dd', { text: m[1] })));
  });
  XT.clear(this.head).appendChild(el('div', { class: 'task-title-row' },
    el('div', { class: 'task-title-block' },
      el('h1', { text: XT.truncate(task.title || '(untitled task)', 140), title: task.title }),
      el('div', { class: 'task-id mono', text: 'task ' + id })),
    el('div', { class: 'report-links' },
      el('a', { class: 'button', href: '/reports/' + id, target: '_blank', rel: 'noopener' }, 'Plain report'),
      el('a', { class: 'button', href: '/interactive/reports/' + id, target: '_blank', rel: 'noopener' }, 'JSON'))));
  this.head.appendChild(metaEl);
  this.newReports = el('button', { class: 'new-reports', hidden: true,
    onclick: function () { location.reload(); } });
  this.head.appendChild(this.newReports);

  XT.clear(this.tabs);
  [['graph', 'Causal graph'], ['swimlane', 'Swimlane'], ['critical', 'Critical path']].forEach(function (t) {
    this.tabs.appendChild(el('a', { class: 'tab', 'data-tab': t[0], href: '#/task/' + id + (t[0] === 'graph' ? '' : '/' + t[0]),
      text: t[1] }));
  }, this);
};

XT.TaskPage.prototype.showTab = function (tab) {
  var self = this;
  this.tab = tab;
  if (!this.task) return; // not drawn whole (yet, or at all: XT.LargeTask)
  Array.prototype.forEach.call(this.tabs.querySelectorAll('.tab'), function (a) {
    a.classList.toggle('active', a.getAttribute('data-tab') === tab);
  });
  this.graphHost.hidden = tab === 'swimlane';
  this.swimHost.hidden = tab !== 'swimlane';
  this.critHost.hidden = tab !== 'critical';
  if (tab === 'swimlane' && !this.views.swim) {
    this.views.swim = new XT.Swimlane(this.swimHost, this.task, function (e) { self.select(e); });
    this.views.swim.render();
    this.views.swim.highlight(this.steps);
  }
  if (tab === 'critical' && !this.views.crit) {
    this.views.crit = new XT.CriticalPanel(this.critHost, this.task, this.steps, function (e) { self.select(e, true); });
    this.views.crit.render();
  }
  this.views.graph.highlight(tab === 'critical' ? this.steps : null);
  // The critical path panel narrows the stage: refit the graph to what is left.
  if (tab !== 'swimlane') {
    var w = this.graphHost.getBoundingClientRect().width;
    if (Math.abs(w - this.views.graph.fitWidth) > 1) this.views.graph.fit(false);
  }
  this.syncSelection();
};

XT.TaskPage.prototype.select = function (e, focus) {
  this.selected = e;
  if (e) this.details.show(e); else this.details.hide();
  this.syncSelection();
  if (e && this.tab !== 'swimlane') {
    if (focus) this.views.graph.focus(e); else this.views.graph.reveal(e);
  }
};

XT.TaskPage.prototype.syncSelection = function () {
  var e = this.selected;
  ['graph', 'swim', 'crit'].forEach(function (k) { if (this.views[k]) this.views[k].select(e); }, this);
};

XT.TaskPage.prototype.onTaskUpdate = function (t) {
  if (this.large && t && t.id === this.id) { this.large.onTaskUpdate(t); return; }
  if (!this.task || !t || t.id !== this.id || !this.newReports) return;
  var extra = (t.reports || 0) - this.task.events.length - this.task.duplicates;
  if (extra > 0) {
    this.newReports.hidden = false;
    this.newReports.textContent = XT.formatCount(extra) + ' new ' + (extra === 1 ? 'report' : 'reports') + ' \u2014 reload';
  }
};

XT.TaskPage.prototype.destroy = function () {};
