// Publishes X-Trace v4 reports to xtrace-server over TCP with the pubsub
// framing of DESIGN.md. The protobuf encoding of this one fixed message is
// written out by hand so the test needs no protobuf package.
'use strict';

const net = require('net');

function varint(out, v) {
  v = BigInt.asUintN(64, BigInt(v));
  while (v >= 0x80n) {
    out.push(Number(v & 0x7fn) | 0x80);
    v >>= 7n;
  }
  out.push(Number(v));
}

function tag(out, field, wire) {
  varint(out, (field << 3) | wire);
}

function sfixed64(out, field, v) {
  tag(out, field, 1);
  const b = Buffer.alloc(8);
  b.writeBigInt64LE(BigInt.asIntN(64, BigInt(v)));
  for (const x of b) out.push(x);
}

function string(out, field, s) {
  const b = Buffer.from(String(s), 'utf8');
  tag(out, field, 2);
  varint(out, b.length);
  for (const x of b) out.push(x);
}

function int(out, field, v) {
  tag(out, field, 0);
  varint(out, v);
}

// Field numbers of pubsub.XTraceReportv4 (xtrace/proto/xtrace_report.proto).
function encodeReport(r) {
  const out = [];
  sfixed64(out, 1, r.task_id);
  sfixed64(out, 2, r.event_id);
  for (const p of r.parent_event_id) sfixed64(out, 3, p);
  int(out, 4, r.timestamp);
  int(out, 5, r.hrt);
  string(out, 7, r.host);
  int(out, 8, r.process_id);
  string(out, 9, r.process_name);
  int(out, 10, r.thread_id);
  string(out, 11, r.thread_name);
  string(out, 12, r.agent);
  if (r.source) string(out, 13, r.source);
  string(out, 14, r.label);
  for (const k of r.key) string(out, 15, k);
  for (const v of r.value) string(out, 16, v);
  for (const t of r.tags) string(out, 17, t);
  return Buffer.from(out);
}

function frame(msg) {
  const topic = Buffer.from('xtrace');
  const head = Buffer.alloc(4);
  head.writeUInt32BE(topic.length);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(msg.length);
  return Buffer.concat([head, topic, len, msg]);
}

// Sends every report on one connection; resolves once all of it is handed to
// the kernel. Callers wait for /api/stats to count the reports as stored.
function publish(addr, reports) {
  const i = addr.lastIndexOf(':');
  const host = addr.slice(0, i), port = Number(addr.slice(i + 1));
  const data = Buffer.concat(reports.map((r) => frame(encodeReport(r))));
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host, port }, () => sock.end(data));
    sock.on('error', reject);
    sock.on('finish', () => { sock.destroy(); resolve(); });
    sock.resume();
  });
}

module.exports = { publish, encodeReport, frame };
