// The task list: newest first, searchable by label text, filtered by tag and
// process, and updated live from the server's event stream.
'use strict';
var XT = window.XT || (window.XT = {});

var PAGE = 100;

XT.TasksView = function (main, params) {
  this.main = main;
  this.filters = { q: params.get('q') || '', tag: params.get('tag') || '', process: params.get('process') || '' };
  this.tasks = [];
  this.rows = new Map();
  this.offset = 0;
  this.refetchTimer = null;
};

XT.TasksView.prototype.filtered = function () {
  return !!(this.filters.q || this.filters.tag || this.filters.process);
};

XT.TasksView.prototype.render = function () {
  var el = XT.el, self = this;
  XT.clear(this.main);
  var input = function (key, placeholder, cls) {
    var i = el('input', { type: 'search', class: cls, placeholder: placeholder, value: self.filters[key],
      'aria-label': placeholder, name: key, autocomplete: 'off', spellcheck: 'false' });
    i.addEventListener('input', function () {
      self.filters[key] = i.value.trim();
      clearTimeout(self.inputTimer);
      self.inputTimer = setTimeout(function () { self.syncHash(); self.load(); }, 250);
    });
    return i;
  };
  this.countEl = el('span', { class: 'muted count' });
  var bar = el('div', { class: 'toolbar' },
    input('q', 'Search labels\u2026', 'search-q'),
    input('tag', 'Tag', 'search-tag'),
    input('process', 'Process', 'search-process'),
    this.countEl);
  this.tbody = el('tbody');
  this.table = el('table', { class: 'tasks' },
    el('thead', null, el('tr', null,
      el('th', { text: 'Task' }), el('th', { text: 'Started' }), el('th', { class: 'num', text: 'Duration' }),
      el('th', { class: 'num', text: 'Events' }), el('th', { text: 'Processes' }), el('th', { text: 'Tags' }))),
    this.tbody);
  this.more = el('button', { class: 'more', hidden: true, onclick: function () { self.load(true); } }, 'Load more');
  this.empty = el('div', { class: 'empty', hidden: true });
  this.main.appendChild(el('section', { class: 'page tasks-page' }, bar, this.table, this.empty, this.more));
  this.load();
  var self2 = this;
  this.ageTimer = setInterval(function () { self2.refreshAges(); }, 15000);
};

XT.TasksView.prototype.destroy = function () {
  clearInterval(this.ageTimer);
  clearTimeout(this.refetchTimer);
  clearTimeout(this.inputTimer);
};

XT.TasksView.prototype.syncHash = function () {
  var p = new URLSearchParams();
  Object.keys(this.filters).forEach(function (k) { if (this.filters[k]) p.set(k, this.filters[k]); }, this);
  var s = p.toString();
  history.replaceState(null, '', '#/' + (s ? '?' + s : ''));
};

XT.TasksView.prototype.url = function (offset) {
  var p = new URLSearchParams();
  Object.keys(this.filters).forEach(function (k) { if (this.filters[k]) p.set(k, this.filters[k]); }, this);
  p.set('limit', PAGE);
  p.set('offset', offset);
  return '/api/tasks?' + p.toString();
};

XT.TasksView.prototype.load = function (append) {
  var self = this, offset = append ? this.offset : 0;
  var seq = this.seq = (this.seq || 0) + 1;
  return XT.fetchJSON(this.url(offset)).then(function (list) {
    if (seq !== self.seq) return; // a newer query superseded this one
    if (!Array.isArray(list)) list = [];
    if (!append) { self.tasks = []; self.rows.clear(); XT.clear(self.tbody); }
    list.forEach(function (t) { self.upsert(t, false); });
    self.offset = offset + list.length;
    self.more.hidden = list.length < PAGE;
    self.updateCount();
  }).catch(function (err) {
    if (seq !== self.seq) return;
    self.empty.hidden = false;
    self.table.hidden = true;
    XT.clear(self.empty).appendChild(XT.el('div', { class: 'error', text: 'Could not load tasks: ' + err.message }));
  });
};

XT.TasksView.prototype.updateCount = function () {
  var n = this.tasks.length;
  this.countEl.textContent = n ? XT.formatCount(n) + (n === 1 ? ' task' : ' tasks') + (this.more.hidden ? '' : '+') : '';
  this.empty.hidden = n > 0;
  this.table.hidden = n === 0;
  if (!n) {
    XT.clear(this.empty).appendChild(XT.el('div', null,
      XT.el('div', { class: 'empty-title', text: this.filtered() ? 'No task matches these filters.' : 'No tasks yet.' }),
      XT.el('div', { class: 'muted', text: this.filtered() ? 'Clear the search to see every task.'
        : 'Run a program with the preload (scripts/xtrace-run) and its tasks appear here as they are reported.' })));
  }
};

function plural(n, one, many) {
  return XT.formatCount(n) + ' ' + (n === 1 ? one : many);
}

XT.TasksView.prototype.row = function (t) {
  var el = XT.el, href = '#/task/' + t.id;
  var procs = Array.isArray(t.processes) ? t.processes : [];
  var chips = el('td', { class: 'chips' });
  procs.slice(0, 4).forEach(function (p) { chips.appendChild(el('span', { class: 'chip', title: p, text: XT.truncate(p, 28) })); });
  if (procs.length > 4) chips.appendChild(el('span', { class: 'chip more-chip', text: '+' + (procs.length - 4) }));
  // A server that sends counts rather than names still gets a readable cell.
  if (typeof t.processes === 'number') {
    var hosts = typeof t.hosts === 'number' ? t.hosts : (Array.isArray(t.hosts) ? t.hosts.length : 0);
    chips.appendChild(el('span', { class: 'count-cell', text: plural(t.processes, 'process', 'processes') +
      (hosts ? ' on ' + plural(hosts, 'host', 'hosts') : '') }));
  }
  var tags = Array.isArray(t.tags) ? t.tags : [];
  var tagCell = el('td', { class: 'chips' });
  tags.slice(0, 5).forEach(function (g) { tagCell.appendChild(el('span', { class: 'chip tag', text: XT.truncate(g, 24) })); });
  var tr = el('tr', { 'data-task': t.id },
    el('td', { class: 'title-cell' },
      el('a', { class: 'task-title', href: href, text: XT.truncate(t.title || '(untitled task)', 110), title: t.title || '' }),
      el('div', { class: 'task-id mono', text: t.id })),
    el('td', { class: 'when' }, el('div', { text: XT.formatTime(t.first).slice(0, 23) }),
      el('div', { class: 'muted ago', 'data-first': t.first, text: XT.formatAgo(t.first) })),
    el('td', { class: 'num', text: XT.formatDuration((t.last || 0) - (t.first || 0)) }),
    el('td', { class: 'num', text: XT.formatCount(t.reports) }),
    chips, tagCell);
  tr.addEventListener('click', function (ev) {
    if (ev.target.closest('a')) return;
    location.hash = href;
  });
  return tr;
};

// Inserts or replaces one task row. Live updates go to the top, since the list
// is newest first; rows loaded from the API keep the server's order.
XT.TasksView.prototype.upsert = function (t, live) {
  if (!t || !XT.isTaskId(String(t.id))) return;
  var old = this.rows.get(t.id);
  var tr = this.row(t);
  if (old) {
    this.tbody.replaceChild(tr, old);
    var i = this.tasks.findIndex(function (x) { return x.id === t.id; });
    if (i >= 0) this.tasks[i] = t;
  } else if (live) {
    this.tbody.insertBefore(tr, this.tbody.firstChild);
    this.tasks.unshift(t);
  } else {
    this.tbody.appendChild(tr);
    this.tasks.push(t);
  }
  this.rows.set(t.id, tr);
  if (live) {
    tr.classList.add('flash');
    setTimeout(function () { tr.classList.remove('flash'); }, 1500);
  }
};

XT.TasksView.prototype.onTaskUpdate = function (t) {
  var self = this;
  if (!t || !XT.isTaskId(String(t.id))) return;
  if (!this.filtered() || this.rows.has(t.id)) {
    // With filters only the server knows whether a changed task now matches;
    // known rows are refreshed in place and new ones come with the next query.
    this.upsert(t, true);
    this.updateCount();
    return;
  }
  clearTimeout(this.refetchTimer);
  this.refetchTimer = setTimeout(function () { self.load(); }, 1000);
};

XT.TasksView.prototype.refreshAges = function () {
  Array.prototype.forEach.call(this.tbody.querySelectorAll('.ago'), function (d) {
    d.textContent = XT.formatAgo(+d.getAttribute('data-first'));
  });
};
