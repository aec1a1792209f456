#include "peek.h"

#include <errno.h>
#include <string.h>

/* Field numbers of pubsub.XTraceReportv4 (DESIGN.md). */
enum { F_EVENT = 2, F_PARENT = 3, F_HOST = 7, F_PID = 8, F_PNAME = 9, F_TID = 10, F_TNAME = 11 };

static int varint(const uint8_t **p, const uint8_t *end, uint64_t *out) {
  uint64_t v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (*p == end) return -EBADMSG;
    uint8_t b = *(*p)++;
    v |= (uint64_t)(b & 0x7f) << shift;
    if (!(b & 0x80)) {
      *out = v;
      return 0;
    }
  }
  return -EBADMSG;
}

static int64_t le64(const uint8_t *p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--) v = v << 8 | p[i];
  return (int64_t)v;
}

static void add_parent(xt__report_keys *k, int64_t v) {
  if (k->n_parents < XT_PEEK_MAX_PARENTS) k->parents[k->n_parents] = v;
  k->n_parents++;
}

int xt__report_peek(const uint8_t *raw, size_t len, xt__report_keys *k) {
  memset(k, 0, sizeof *k);
  const uint8_t *p = raw, *end = raw + len;
  while (p < end) {
    uint64_t key, v;
    if (varint(&p, end, &key) < 0) return -EBADMSG;
    unsigned field = (unsigned)(key >> 3), wire = (unsigned)(key & 7);
    switch (wire) {
    case 0:
      if (varint(&p, end, &v) < 0) return -EBADMSG;
      /* int32 is sent sign-extended to 64 bits; the low half is the value. */
      if (field == F_PID) k->process_id = (int32_t)(uint32_t)v;
      if (field == F_TID) k->thread_id = (int32_t)(uint32_t)v;
      break;
    case 1:
      if (end - p < 8) return -EBADMSG;
      if (field == F_EVENT) k->event_id = le64(p);
      if (field == F_PARENT) add_parent(k, le64(p));
      p += 8;
      break;
    case 2:
      if (varint(&p, end, &v) < 0 || v > (uint64_t)(end - p)) return -EBADMSG;
      if (field == F_HOST) k->host = (const char *)p, k->host_len = (uint32_t)v;
      if (field == F_PNAME) k->process_name = (const char *)p, k->process_name_len = (uint32_t)v;
      if (field == F_TNAME) k->thread_name = (const char *)p, k->thread_name_len = (uint32_t)v;
      if (field == F_PARENT) { /* packed, which a proto2 reader must accept too */
        if (v % 8) return -EBADMSG;
        for (uint64_t i = 0; i < v; i += 8) add_parent(k, le64(p + i));
      }
      p += v;
      break;
    case 5:
      if (end - p < 4) return -EBADMSG;
      p += 4;
      break;
    default:
      return -EBADMSG;
    }
  }
  return 0;
}
