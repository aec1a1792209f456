/* The X-Trace v4 report's wire encoding, written directly: the bytes
 * protobuf-c's pubsub__xtrace_reportv4__pack writes for the same message
 * (fields in number order, proto2 rules: an optional scalar only when its
 * has_ flag is set, a string only when not NULL, repeated sfixed64
 * unpacked), in one pass and with the bound checked as it goes. The
 * generic packer walks the message descriptor field by field and sizes
 * everything twice when the room is not known; on the reporter it was two
 * thirds of the cost of an event. tests/xtrace/test_pack.c and the report
 * fuzzer hold it to protobuf-c's output byte for byte. */
#include <endian.h>
#include <stdint.h>
#include <string.h>

#include "client.h"
#include "xtrace_report.pb-c.h"

/* The cursor and the end of the room; p is NULL once something did not fit.
 * Each field checks its exact size once, then writes without checks. */
typedef struct out {
  uint8_t *p, *end;
} out;

static size_t varint_len(uint64_t v) { return v ? (size_t)(64 - __builtin_clzll(v) + 6) / 7 : 1; }

/* Tags of fields below 16 take one byte, the others (up to 2047) two. */
static size_t tag_len(unsigned field) { return field < 16 ? 1 : 2; }

static bool room(out *o, size_t n) {
  if (o->p && (size_t)(o->end - o->p) >= n) return true;
  o->p = NULL;
  return false;
}

static uint8_t *put_varint(uint8_t *p, uint64_t v) {
  while (v >= 0x80) {
    *p++ = (uint8_t)(v | 0x80);
    v >>= 7;
  }
  *p++ = (uint8_t)v;
  return p;
}

/* Wire types: 0 varint, 1 64-bit, 2 length-delimited. */
static uint8_t *put_tag(uint8_t *p, unsigned field, unsigned wire) {
  return put_varint(p, (uint64_t)(field << 3 | wire));
}

static void put_fixed64(out *o, unsigned field, int64_t v) {
  if (!room(o, tag_len(field) + 8)) return;
  uint64_t le = htole64((uint64_t)v);
  o->p = put_tag(o->p, field, 1);
  memcpy(o->p, &le, sizeof le);
  o->p += sizeof le;
}

/* int32 and int64 alike: a negative value is sign-extended to 64 bits,
 * ten bytes on the wire, as protobuf requires. */
static void put_int(out *o, unsigned field, int64_t v) {
  if (!room(o, tag_len(field) + varint_len((uint64_t)v))) return;
  o->p = put_varint(put_tag(o->p, field, 0), (uint64_t)v);
}

static void put_string(out *o, unsigned field, const char *s) {
  if (!s) return;
  size_t n = strlen(s);
  if (!room(o, tag_len(field) + varint_len(n) + n)) return;
  o->p = put_varint(put_tag(o->p, field, 2), n);
  memcpy(o->p, s, n);
  o->p += n;
}

static void put_strings(out *o, unsigned field, char *const *v, size_t n) {
  for (size_t i = 0; i < n; i++) put_string(o, field, v[i]);
}

size_t xt__report_pack(const Pubsub__XTraceReportv4 *r, uint8_t *buf, size_t cap) {
  out o = {buf, buf + cap};
  if (r->has_task_id) put_fixed64(&o, 1, r->task_id);
  if (r->has_event_id) put_fixed64(&o, 2, r->event_id);
  for (size_t i = 0; i < r->n_parent_event_id; i++) put_fixed64(&o, 3, r->parent_event_id[i]);
  if (r->has_timestamp) put_int(&o, 4, r->timestamp);
  if (r->has_hrt) put_int(&o, 5, r->hrt);
  if (r->has_cycles) put_int(&o, 6, r->cycles);
  put_string(&o, 7, r->host);
  if (r->has_process_id) put_int(&o, 8, r->process_id);
  put_string(&o, 9, r->process_name);
  if (r->has_thread_id) put_int(&o, 10, r->thread_id);
  put_string(&o, 11, r->threadname);
  put_string(&o, 12, r->agent);
  put_string(&o, 13, r->source);
  put_string(&o, 14, r->label);
  put_strings(&o, 15, r->key, r->n_key);
  put_strings(&o, 16, r->value, r->n_value);
  put_strings(&o, 17, r->tags, r->n_tags);
  if (r->has_tenantclass) put_int(&o, 18, r->tenantclass);
  return o.p ? (size_t)(o.p - buf) : SIZE_MAX;
}
