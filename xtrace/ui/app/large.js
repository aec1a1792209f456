// A task too large to draw whole (more than XT.DRAW_LIMIT events): the page
// shows its condensed view first and loads the events of one thread or
// process (a part), a page at a time, when the user opens it. A marker above the stage always says
// that the task is not drawn whole and what is shown instead.
'use strict';
var XT = window.XT || (window.XT = {});

// Past this many events a task is not laid out event by event: the graph of
// 10,000 events already takes seconds to build in the browser.
XT.DRAW_LIMIT = 20000;
XT.THREAD_PAGE = 2000;

XT.LargeTask = function (page, cond) {
  this.page = page;
  this.cond = cond;
  this.id = page.id;
  this.part = null;
  this.offset = 0;
  this.loads = 0;
};

XT.LargeTask.prototype.render = function () {
  var el = XT.el, self = this, c = this.cond, page = this.page;
  var meta = [
    ['Events', XT.formatCount(c.reports)],
    ['Duration', XT.formatDuration(c.last - c.first)],
    ['Processes', c.processes.length],
    ['Threads', c.threads.length],
    ['Started', XT.formatTime(c.first).slice(0, 23)]
  ];
  var metaEl = el('dl', { class: 'task-meta' });
  meta.forEach(function (m) { metaEl.appendChild(el('div', null, el('dt', { text: m[0] }), el('dd', { text: m[1] }))); });
  this.title = el('h1', { text: 'Task ' + this.id });
  XT.clear(page.head).appendChild(el('div', { class: 'task-title-row' },
    el('div', { class: 'task-title-block' }, this.title, el('div', { class: 'task-id mono', text: 'task ' + this.id })),
    el('div', { class: 'report-links' },
      el('a', { class: 'button', href: '/reports/' + this.id, target: '_blank', rel: 'noopener' }, 'Plain report'),
      el('a', { class: 'button', href: '/interactive/reports/' + this.id, target: '_blank', rel: 'noopener' }, 'JSON'))));
  page.head.appendChild(metaEl);
  this.marker = el('div', { class: 'too-large', role: 'status' });
  page.head.appendChild(this.marker);
  page.newReports = el('button', { class: 'new-reports', hidden: true, onclick: function () { location.reload(); } });
  page.head.appendChild(page.newReports);
  // The tabs of a task drawn whole make no sense here: one bar instead, with
  // the way back to the condensed view and the pager of an opened thread.
  this.bar = XT.clear(page.tabs);
  this.details = new XT.Details(page.detailsHost, { start: c.first }, function (e) { self.select(e, true); },
    function () { self.select(null); });
  this.details.missingNote = 'not among the loaded events';
  this.showCondensed();
  // The title is the earliest label, which the condensed view does not carry.
  XT.fetchJSON('/api/tasks/' + this.id + '/reports?limit=1').then(function (p) {
    var r = p.reports && p.reports[0];
    if (r && r.Label) { self.title.textContent = XT.truncate(r.Label, 140); self.title.title = r.Label; }
  }).catch(function () {});
};

XT.LargeTask.prototype.showCondensed = function () {
  var el = XT.el, self = this, c = this.cond;
  this.part = null;
  this.graph = null;
  this.select(null);
  XT.clear(this.bar).appendChild(el('span', { class: 'tab active', text: 'Condensed view' }));
  XT.clear(this.marker).appendChild(el('strong', { text: 'Too large to draw whole: ' + XT.formatCount(c.reports) + ' events. ' }));
  this.marker.appendChild(document.createTextNode('Shown: the condensed view \u2014 ' + c.threads.length +
    (c.threads.length === 1 ? ' thread' : ' threads') + ' in ' + c.processes.length +
    (c.processes.length === 1 ? ' process' : ' processes') + ', ' + XT.formatCount(c.edges.length) +
    ' thread-to-thread links and the critical path (' + XT.formatCount(c.critical.events) + ' events' +
    (c.critical.truncated ? ', cut short' : '') + '). Open a thread or a process to load its events.'));
  this.page.graphHost.classList.add('scroll');
  var view = new XT.CondensedView(this.page.graphHost, c, function (part) { self.open(part); });
  view.render();
};

// part: {process: index, thread: index or null} in the condensed view.
XT.LargeTask.prototype.open = function (part) {
  var c = this.cond, proc = c.processes[part.process], t = part.thread === null ? null : c.threads[part.thread];
  this.part = { proc: proc, thread: t, events: t ? t.events : proc.events };
  this.load(0);
};

XT.LargeTask.prototype.load = function (offset) {
  var self = this, part = this.part, proc = part.proc, t = part.thread;
  var seq = ++this.loads;
  this.offset = offset;
  var q = 'host=' + encodeURIComponent(proc.host) + '&pid=' + proc.pid + (t ? '&tid=' + t.tid : '') +
    '&offset=' + offset + '&limit=' + XT.THREAD_PAGE;
  this.setMarker('Loading events ' + XT.formatCount(offset + 1) + '\u2026 of ' + this.where() + '.');
  return XT.fetchJSON('/api/tasks/' + this.id + '/reports?' + q).then(function (p) {
    if (seq !== self.loads) return; // the user went on meanwhile
    var task = XT.buildTask(self.id, [{ reports: p.reports }]);
    self.task = task;
    self.page.graphHost.classList.remove('scroll');
    self.select(null);
    self.graph = new XT.GraphView(self.page.graphHost, task, function (e) { self.select(e); });
    self.graph.render();
    self.renderBar(p);
    var last = offset + p.reports.length;
    self.setMarker('Shown: events ' + XT.formatCount(offset + 1) + '\u2013' + XT.formatCount(last) + ' of ' +
      XT.formatCount(part.events) + ' of ' + self.where() + ', in time order; parents among the others are listed by ID in the details.');
    document.body.setAttribute('data-part-loaded', proc.pid + ':' + (t ? t.tid : '*') + ':' + offset);
  }).catch(function (err) {
    if (seq === self.loads) self.setMarker('Could not load the events of ' + self.where() + ': ' + err.message);
  });
};

XT.LargeTask.prototype.where = function () {
  var t = this.part.thread, proc = this.part.proc;
  var p = XT.processTitle(proc) + ' (pid ' + proc.pid + ')';
  return t ? 'thread ' + (t.name ? t.name + ' ' : '') + '(tid ' + t.tid + ') of ' + p : 'process ' + p;
};

XT.LargeTask.prototype.setMarker = function (text) {
  XT.clear(this.marker).appendChild(XT.el('strong', { text: 'Too large to draw whole: ' +
    XT.formatCount(this.cond.reports) + ' events. ' }));
  this.marker.appendChild(document.createTextNode(text));
};

XT.LargeTask.prototype.renderBar = function (p) {
  var el = XT.el, self = this, size = XT.THREAD_PAGE;
  var lastPage = Math.max(0, Math.floor((this.part.events - 1) / size) * size);
  var go = function (label, cls, offset, enabled) {
    return el('button', { class: 'pager ' + cls, disabled: !enabled, onclick: function () { self.load(offset); } }, label);
  };
  XT.clear(this.bar).appendChild(el('a', { class: 'tab back-condensed', href: '#/task/' + this.id,
    onclick: function (ev) { ev.preventDefault(); self.showCondensed(); } }, '\u2190 Condensed view'));
  this.bar.appendChild(el('span', { class: 'tab active', text: XT.truncate(this.where(), 90) }));
  this.bar.appendChild(el('span', { class: 'pagers' },
    go('First', 'first', 0, this.offset > 0),
    go('Previous', 'prev', Math.max(0, this.offset - size), this.offset > 0),
    go('Next', 'next', this.offset + size, p.next !== null),
    go('Last', 'last', lastPage, p.next !== null)));
};

XT.LargeTask.prototype.select = function (e, focus) {
  if (e) this.details.show(e); else this.details.hide();
  if (this.graph) {
    this.graph.select(e);
    if (e) { if (focus) this.graph.focus(e); else this.graph.reveal(e); }
  }
};

XT.LargeTask.prototype.onTaskUpdate = function (t) {
  var extra = (t.reports || 0) - this.cond.reports;
  if (extra > 0 && this.page.newReports) {
    this.page.newReports.hidden = false;
    this.page.newReports.textContent = XT.formatCount(extra) + ' new ' + (extra === 1 ? 'report' : 'reports') + ' \u2014 reload';
  }
};
