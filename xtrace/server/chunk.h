/* Reports are stored in chunks: one row per task per transaction holding all
 * of that task's reports from it, each as [8-byte big-endian time][4-byte
 * big-endian length][serialized report]. A row per report made SQLite's
 * per-row work the collector's bottleneck; reports of a task arrive together,
 * so a chunk typically holds dozens. */
#ifndef XT_SERVER_CHUNK_H
#define XT_SERVER_CHUNK_H

#include <stddef.h>
#include <stdint.h>

#include "json.h"

#define XT_CHUNK_ENTRY_HDR 12
/* A chunk is written out once it passes this size. */
#define XT_CHUNK_MAX_BYTES (4u << 20)

static inline void xt__chunk_put(xt__buf *b, int64_t ts, const uint8_t *raw, uint32_t len) {
  uint8_t h[XT_CHUNK_ENTRY_HDR];
  uint64_t t = (uint64_t)ts;
  for (int i = 0; i < 8; i++) h[i] = (uint8_t)(t >> (56 - 8 * i));
  for (int i = 0; i < 4; i++) h[8 + i] = (uint8_t)(len >> (24 - 8 * i));
  xt__buf_put(b, h, sizeof h);
  xt__buf_put(b, raw, len);
}

/* Reads the entry at p[0..n). Returns its size, 0 at the end, -1 if the
 * bytes are not a well-formed entry. */
static inline long xt__chunk_next(const uint8_t *p, size_t n, int64_t *ts, const uint8_t **raw, uint32_t *len) {
  if (n == 0) return 0;
  if (n < XT_CHUNK_ENTRY_HDR) return -1;
  uint64_t t = 0;
  uint32_t l = 0;
  for (int i = 0; i < 8; i++) t = t << 8 | p[i];
  for (int i = 0; i < 4; i++) l = l << 8 | p[8 + i];
  if (l > n - XT_CHUNK_ENTRY_HDR) return -1;
  *ts = (int64_t)t;
  *raw = p + XT_CHUNK_ENTRY_HDR;
  *len = l;
  return (long)(XT_CHUNK_ENTRY_HDR + l);
}

#endif
