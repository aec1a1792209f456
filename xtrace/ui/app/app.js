// Hash routing (#/ and #/task/<id>[/swimlane|/critical]), the live event
// stream shared by all views, and the collector's counters in the top bar.
'use strict';
var XT = window.XT || (window.XT = {});

(function () {
  var main = document.getElementById('main');
  var crumbs = document.getElementById('crumbs');
  var statsEl = document.getElementById('stats');
  var view = null;

  function setCrumbs(parts) {
    XT.clear(crumbs);
    parts.forEach(function (p, i) {
      if (i) crumbs.appendChild(XT.el('span', { class: 'sep', text: '/' }));
      crumbs.appendChild(p.href ? XT.el('a', { href: p.href, text: p.text }) : XT.el('span', { class: p.cls || null, text: p.text }));
    });
  }

  function route() {
    var h = location.hash.replace(/^#/, '') || '/';
    var q = h.indexOf('?');
    var path = q >= 0 ? h.slice(0, q) : h;
    var params = new URLSearchParams(q >= 0 ? h.slice(q + 1) : '');
    var m = /^\/task\/([^/]+)(?:\/(graph|swimlane|critical))?\/?$/.exec(path);
    if (m && XT.isTaskId(m[1])) {
      var tab = m[2] || 'graph';
      setCrumbs([{ href: '#/', text: 'Tasks' }, { text: m[1], cls: 'mono' }]);
      if (view instanceof XT.TaskPage && view.id === m[1]) { view.showTab(tab); return; }
      swap(new XT.TaskPage(main, m[1]), tab);
      return;
    }
    if (path === '/' || path === '') {
      setCrumbs([{ text: 'Tasks' }]);
      swap(new XT.TasksView(main, params));
      return;
    }
    setCrumbs([{ href: '#/', text: 'Tasks' }]);
    if (view) view.destroy();
    view = null;
    XT.clear(main).appendChild(XT.el('section', { class: 'page' },
      XT.el('div', { class: 'error', text: 'No such page: ' + h }),
      XT.el('a', { href: '#/', text: 'Back to the task list' })));
  }

  function swap(next, arg) {
    if (view) view.destroy();
    view = next;
    next.render(arg);
  }

  function connectEvents() {
    if (!window.EventSource) return;
    var live = XT.el('span', { class: 'live off', title: 'Live updates' }, 'live');
    statsEl.parentNode.insertBefore(live, statsEl);
    var src = new EventSource('/api/events');
    src.onopen = function () { live.className = 'live on'; };
    src.onerror = function () { live.className = 'live off'; };
    // The server names its messages "task"; unnamed ones are accepted too.
    var onTask = function (ev) {
      var t;
      try { t = JSON.parse(ev.data); } catch (err) { return; }
      if (view && view.onTaskUpdate) view.onTaskUpdate(t);
    };
    src.addEventListener('task', onTask);
    src.onmessage = onTask;
  }

  function pollStats() {
    XT.fetchJSON('/api/stats').then(function (s) {
      XT.clear(statsEl);
      var item = function (k, v) {
        statsEl.appendChild(XT.el('span', { class: 'stat' }, XT.el('b', { text: XT.formatCount(v) }), ' ' + k));
      };
      item('received', s.received);
      item('stored', s.stored);
      item('connections', s.connections);
      var rejected = 0;
      if (s.rejected && typeof s.rejected === 'object') {
        Object.keys(s.rejected).forEach(function (k) { rejected += Number(s.rejected[k]) || 0; });
      }
      if (rejected) item('rejected', rejected);
      // A store that cannot commit pauses ingest; what it had to give up is
      // lost for good. Both are shown so loss is never silent.
      if (s.store_errors) item('store errors', s.store_errors);
      if (s.reports_lost) item('reports lost', s.reports_lost);
      if (s.store_failing) {
        statsEl.appendChild(XT.el('span', { class: 'stat warn', text: 'store failing: ingest paused' }));
      }
    }).catch(function () { XT.clear(statsEl); });
  }

  window.addEventListener('hashchange', route);
  route();
  connectEvents();
  pollStats();
  setInterval(pollStats, 5000);
})();
