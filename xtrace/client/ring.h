/*
 * A bounded multi-producer, single-consumer byte ring. Producers (application
 * threads) reserve space with one CAS and publish a record by storing its
 * length with release order; the consumer (the reporter thread) reads records
 * in reservation order. No locks, no allocation, no syscalls on either side.
 */
#ifndef XTRACE_CLIENT_RING_H
#define XTRACE_CLIENT_RING_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#define XT_RING_ALIGN 8u
#define XT_RING_HDR 8u

typedef struct xt__ring {
  uint8_t *buf;
  size_t size; /* power of two */
  /* head and tail sit on their own cache lines: every producer writes head,
   * only the consumer writes tail. */
  _Alignas(64) _Atomic uint64_t head; /* next byte to reserve (monotonic) */
  _Alignas(64) _Atomic uint64_t tail; /* next byte to consume (monotonic) */
} xt__ring;

/* Maps a zeroed buffer of the largest power of two <= bytes (at least 64 KiB). */
int xt__ring_init(xt__ring *r, size_t bytes);
void xt__ring_destroy(xt__ring *r);

/* The largest record a producer may ask for. */
static inline size_t xt__ring_max_record(const xt__ring *r) { return r->size / 4; }

/* Reserves len payload bytes; returns where to write them, or NULL when the
 * ring is full (or len too large). The record must then be committed. */
void *xt__ring_reserve(xt__ring *r, size_t len);
void xt__ring_commit(void *payload, size_t len);

/* Consumer side. Returns the payload of the committed record at position pos
 * and its length, or NULL if the next record is not committed yet. *next is
 * the position after it (padding records are skipped). */
const void *xt__ring_peek(xt__ring *r, uint64_t pos, uint32_t *len, uint64_t *next);

/* Gives [tail, upto) back to producers. */
void xt__ring_release(xt__ring *r, uint64_t upto);

static inline uint64_t xt__ring_head(xt__ring *r) {
  return atomic_load_explicit(&r->head, memory_order_acquire);
}
static inline uint64_t xt__ring_tail(xt__ring *r) {
  return atomic_load_explicit(&r->tail, memory_order_acquire);
}

#endif
