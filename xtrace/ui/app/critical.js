// The critical path panel: the chain of events that decides the task's
// end-to-end latency, with how long each step took and where it ran.
'use strict';
var XT = window.XT || (window.XT = {});

XT.CriticalPanel = function (host, task, steps, onSelect) {
  this.host = host;
  this.task = task;
  this.steps = steps;
  this.onSelect = onSelect;
};

XT.CriticalPanel.prototype.render = function () {
  var el = XT.el, self = this, steps = this.steps;
  var host = XT.clear(this.host);
  var total = steps.length ? steps[steps.length - 1].event.t - steps[0].event.t : 0;
  var longest = 0;
  steps.forEach(function (s) { if (s.delta > longest) longest = s.delta; });
  var procs = new Set(steps.map(function (s) { return s.event.proc; }));

  host.appendChild(el('div', { class: 'crit-summary' },
    el('div', { class: 'crit-total', text: XT.formatDuration(total) }),
    el('div', { class: 'muted', text: steps.length + ' steps across ' + procs.size +
      (procs.size === 1 ? ' process' : ' processes') + ', from the first event to the last' })));

  var list = el('ol', { class: 'crit-steps' });
  steps.forEach(function (s, i) {
    var e = s.event;
    var share = longest > 0 ? s.delta / longest : 0;
    var changed = i > 0 && steps[i - 1].event.proc !== e.proc;
    list.appendChild(el('li', { class: 'crit-step' + (changed ? ' hop' : ''), 'data-i': e.index, 'data-event': e.id,
      onclick: function () { self.onSelect(e); } },
    el('div', { class: 'crit-times' },
      el('span', { class: 'crit-delta', text: i ? '+' + XT.formatDuration(s.delta) : 'start' }),
      el('span', { class: 'crit-offset muted', text: 'at ' + XT.formatDuration(s.offset) })),
    el('div', { class: 'crit-bar' }, el('span', { style: 'width:' + (share * 100).toFixed(1) + '%;background:' + e.proc.color })),
    el('div', { class: 'crit-label', text: XT.truncate(e.label || '(no label)', 90), title: e.label }),
    el('div', { class: 'crit-where muted' },
      el('span', { class: 'swatch', style: 'background:' + e.proc.color }),
      e.program + ':' + e.proc.pid + ' \u00b7 ' + (e.thread.name || 'tid') + ' ' + e.thread.tid)));
  });
  host.appendChild(list);
};

XT.CriticalPanel.prototype.select = function (e) {
  Array.prototype.forEach.call(this.host.querySelectorAll('.crit-step'), function (li) {
    li.classList.toggle('selected', e && +li.getAttribute('data-i') === e.index);
  });
};
