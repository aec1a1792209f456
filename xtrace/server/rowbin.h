/* ClickHouse's RowBinary format, the exact one for bytes: integers little
 * endian at their width, strings as a LEB128 length and the bytes, arrays
 * as a LEB128 count and the elements, tuples as their elements in order.
 * Writing appends to an xt__buf; reading walks a buffer and turns sticky
 * `bad` on at the first value that runs past its end. */
#ifndef XT_SERVER_ROWBIN_H
#define XT_SERVER_ROWBIN_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "json.h"

static inline void xt__rb_put_varint(xt__buf *b, uint64_t v) {
  uint8_t p[10];
  size_t n = 0;
  do {
    p[n] = (uint8_t)(v & 0x7f);
    v >>= 7;
    if (v) p[n] |= 0x80;
    n++;
  } while (v);
  xt__buf_put(b, p, n);
}

static inline void xt__rb_put_u64(xt__buf *b, uint64_t v) {
  uint8_t p[8];
  for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
  xt__buf_put(b, p, 8);
}

static inline void xt__rb_put_i32(xt__buf *b, int32_t v) {
  uint8_t p[4];
  uint32_t u = (uint32_t)v;
  for (int i = 0; i < 4; i++) p[i] = (uint8_t)(u >> (8 * i));
  xt__buf_put(b, p, 4);
}

static inline void xt__rb_put_str(xt__buf *b, const void *s, size_t n) {
  xt__rb_put_varint(b, n);
  xt__buf_put(b, s, n);
}

typedef struct xt__rb {
  const uint8_t *p, *end;
  int bad;
} xt__rb;

static inline uint64_t xt__rb_varint(xt__rb *r) {
  uint64_t v = 0;
  for (int shift = 0; shift < 64; shift += 7) {
    if (r->p >= r->end) break;
    uint8_t c = *r->p++;
    v |= (uint64_t)(c & 0x7f) << shift;
    if (!(c & 0x80)) return v;
  }
  r->bad = 1;
  return 0;
}

static inline uint64_t xt__rb_u64(xt__rb *r) {
  if (r->end - r->p < 8) return r->bad = 1, 0;
  uint64_t v = 0;
  for (int i = 0; i < 8; i++) v |= (uint64_t)r->p[i] << (8 * i);
  r->p += 8;
  return v;
}

static inline int32_t xt__rb_i32(xt__rb *r) {
  if (r->end - r->p < 4) return r->bad = 1, 0;
  uint32_t v = 0;
  for (int i = 0; i < 4; i++) v |= (uint32_t)r->p[i] << (8 * i);
  r->p += 4;
  return (int32_t)v;
}

/* A string in place: *n bytes at the returned pointer (not terminated). */
static inline const char *xt__rb_str(xt__rb *r, size_t *n) {
  uint64_t len = xt__rb_varint(r);
  if (r->bad || len > (uint64_t)(r->end - r->p)) {
    r->bad = 1;
    *n = 0;
    return "";
  }
  const char *s = (const char *)r->p;
  r->p += len;
  *n = (size_t)len;
  return s;
}

#endif
