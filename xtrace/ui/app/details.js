// The side panel that shows every field of one event's report.
'use strict';
var XT = window.XT || (window.XT = {});

XT.Details = function (host, task, onSelect, onClose) {
  this.host = host;
  this.task = task;
  this.onSelect = onSelect;
  this.onClose = onClose;
};

XT.Details.prototype.show = function (e) {
  var el = XT.el, host = XT.clear(this.host), self = this, r = e.r;
  host.hidden = false;
  host.appendChild(el('div', { class: 'details-head' },
    el('span', { class: 'swatch', style: 'background:' + e.proc.color }),
    el('span', { class: 'details-kind', text: 'Event' }),
    el('button', { class: 'icon-button', title: 'Close', 'aria-label': 'Close details',
      onclick: function () { self.onClose(); } }, '\u00d7')));
  host.appendChild(el('pre', { class: 'details-label', text: e.label || '(no label)' }));

  var rows = [];
  var row = function (k, v, cls) { rows.push({ k: k, v: v, cls: cls }); };
  row('Time', XT.formatTime(e.ts));
  row('Since start', '+' + XT.formatDuration(e.t - this.task.start));
  row('Process', e.program + ' (pid ' + e.proc.pid + ')' + (e.proc.programs.length > 1 ? ', which ran ' + e.proc.name : ''));
  row('Command line', e.cmdline, 'mono');
  row('Thread', (e.thread.name ? e.thread.name + ' ' : '') + '(tid ' + e.thread.tid + ')');
  row('Host', r.Host);
  row('Agent', r.Agent);
  row('Source', r.Source, 'mono');
  row('Tags', Array.isArray(r.Tag) && r.Tag.length ? r.Tag.join(', ') : '\u2014');
  row('EventID', r.EventID, 'mono');
  row('TaskID', r.TaskID, 'mono');
  row('Timestamp', r.Timestamp, 'mono');
  row('HRT', r.HRT, 'mono');
  XT.customKeys(r).forEach(function (k) {
    var v = r[k];
    row(k, typeof v === 'object' ? JSON.stringify(v) : v, 'mono custom');
  });
  var dl = el('dl', { class: 'fields' });
  rows.forEach(function (x) {
    dl.appendChild(el('dt', { text: x.k, class: x.cls && x.cls.indexOf('custom') >= 0 ? 'custom' : null }));
    dl.appendChild(el('dd', { class: x.cls || null, text: x.v === undefined || x.v === '' ? '\u2014' : x.v }));
  });
  host.appendChild(dl);

  host.appendChild(this.relatives('Parents', e.parents, e.missingParents));
  host.appendChild(this.relatives('Children', e.children, []));
};

XT.Details.prototype.relatives = function (title, list, missing) {
  var el = XT.el, self = this;
  var box = el('div', { class: 'relatives' }, el('h3', { text: title + ' (' + (list.length + missing.length) + ')' }));
  if (!list.length && !missing.length) box.appendChild(el('div', { class: 'muted', text: 'none' }));
  list.slice(0, 200).forEach(function (p) {
    box.appendChild(el('button', { class: 'relative', title: p.label,
      onclick: function () { self.onSelect(p); } },
    el('span', { class: 'swatch', style: 'background:' + p.proc.color }),
    el('span', { class: 'relative-label', text: XT.truncate(p.label || '(no label)', 60) }),
    el('span', { class: 'relative-meta', text: p.program + ' \u00b7 ' + (p.thread.name || p.thread.tid) })));
  });
  if (list.length > 200) box.appendChild(el('div', { class: 'muted', text: (list.length - 200) + ' more' }));
  missing.forEach(function (id) {
    box.appendChild(el('div', { class: 'missing mono', text: id + ' (' + self.missingNote + ')' }));
  });
  return box;
};

// What a parent that is not in the model is: in a task drawn whole it was
// never reported; a page of a larger task says it is outside the page.
XT.Details.prototype.missingNote = 'not reported';

XT.Details.prototype.hide = function () {
  XT.clear(this.host).hidden = true;
};
