// Small helpers shared by every view. Everything that puts data on the page goes
// through el()/svg() with textContent, never innerHTML: labels are log lines and
// may hold markup.
'use strict';
var XT = window.XT || (window.XT = {});

XT.SVGNS = 'http://www.w3.org/2000/svg';

// el('div', {class: 'x', onclick: f}, child, 'text', ...)
XT.el = function (tag, attrs) {
  var node = document.createElement(tag);
  XT.fill(node, attrs, Array.prototype.slice.call(arguments, 2));
  return node;
};

XT.svg = function (tag, attrs) {
  var node = document.createElementNS(XT.SVGNS, tag);
  XT.fill(node, attrs, Array.prototype.slice.call(arguments, 2));
  return node;
};

XT.fill = function (node, attrs, children) {
  if (attrs) {
    Object.keys(attrs).forEach(function (k) {
      var v = attrs[k];
      if (v === undefined || v === null || v === false) return;
      if (k.slice(0, 2) === 'on' && typeof v === 'function') node.addEventListener(k.slice(2), v);
      else if (k === 'text') node.textContent = String(v);
      else node.setAttribute(k, v === true ? '' : String(v));
    });
  }
  children.forEach(function (c) {
    if (c === undefined || c === null || c === false) return;
    node.appendChild(typeof c === 'object' ? c : document.createTextNode(String(c)));
  });
};

XT.clear = function (node) {
  while (node.firstChild) node.removeChild(node.firstChild);
  return node;
};

XT.truncate = function (s, n) {
  s = String(s === undefined || s === null ? '' : s);
  return s.length > n ? s.slice(0, n - 1) + '\u2026' : s;
};

XT.fetchJSON = function (url) {
  return fetch(url, { headers: { Accept: 'application/json' } }).then(function (r) {
    if (!r.ok) {
      return r.text().then(function (body) {
        throw new Error(r.status + ' ' + r.statusText + (body ? ': ' + body.slice(0, 200) : ''));
      });
    }
    return r.json();
  });
};

XT.pad = function (n, w) {
  var s = String(n);
  while (s.length < w) s = '0' + s;
  return s;
};

// Epoch microseconds -> "2024-05-01 12:34:56.789012" in local time.
XT.formatTime = function (us) {
  if (!isFinite(us) || us <= 0) return '\u2014';
  var d = new Date(Math.floor(us / 1000));
  var micro = Math.floor(us % 1e6);
  return d.getFullYear() + '-' + XT.pad(d.getMonth() + 1, 2) + '-' + XT.pad(d.getDate(), 2) + ' ' +
    XT.pad(d.getHours(), 2) + ':' + XT.pad(d.getMinutes(), 2) + ':' + XT.pad(d.getSeconds(), 2) +
    '.' + XT.pad(micro, 6);
};

// A duration in microseconds, in the unit a person reads fastest.
XT.formatDuration = function (us) {
  if (!isFinite(us)) return '\u2014';
  var a = Math.abs(us);
  var sign = us < 0 ? '\u2212' : '';
  if (a < 1000) return sign + Math.round(a) + ' \u00b5s';
  if (a < 1e6) return sign + (a / 1000).toFixed(a < 1e4 ? 2 : 1) + ' ms';
  if (a < 60e6) return sign + (a / 1e6).toFixed(a < 1e7 ? 3 : 2) + ' s';
  return sign + Math.floor(a / 60e6) + ' min ' + ((a % 60e6) / 1e6).toFixed(0) + ' s';
};

XT.formatAgo = function (us) {
  var s = (Date.now() * 1000 - us) / 1e6;
  if (!isFinite(s)) return '';
  if (s < 5) return 'just now';
  if (s < 60) return Math.floor(s) + ' s ago';
  if (s < 3600) return Math.floor(s / 60) + ' min ago';
  if (s < 86400) return Math.floor(s / 3600) + ' h ago';
  return Math.floor(s / 86400) + ' d ago';
};

XT.formatCount = function (n) {
  return Number(n || 0).toLocaleString('en-US');
};

// Task IDs in URLs are 16 hex digits; anything else never reaches the API.
XT.isTaskId = function (s) {
  return /^[0-9a-f]{16}$/.test(s);
};

// Ten distinguishable hues, then generated ones, so a task with many processes
// still gets a stable colour per process.
XT.palette = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#b07aa1', '#edc948',
  '#9c755f', '#ff9da7', '#6b8e23'];
XT.colorFor = function (i) {
  if (i < XT.palette.length) return XT.palette[i];
  return d3.hsl((i * 137.508) % 360, 0.55, 0.5).formatHex();
};
XT.tint = function (color, k) {
  var c = d3.rgb(color);
  return d3.rgb(c.r + (255 - c.r) * k, c.g + (255 - c.g) * k, c.b + (255 - c.b) * k).formatHex();
};
