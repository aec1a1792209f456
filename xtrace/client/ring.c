#include "ring.h"

#include <errno.h>
#include <string.h>
#include <sys/mman.h>

/* A header word: the record length with COMMITTED set once the payload is
 * written. Zero means "reserved, not yet written". PADDING marks the unused
 * end of the buffer that a record too long to fit there skipped. */
#define COMMITTED 0x80000000u
#define PADDING 0x40000000u
#define LEN_MASK 0x3fffffffu

static size_t round_up(size_t n) { return (n + XT_RING_ALIGN - 1) & ~(size_t)(XT_RING_ALIGN - 1); }

int xt__ring_init(xt__ring *r, size_t bytes) {
  size_t size = 64u << 10;
  while (size * 2 <= bytes && size * 2 <= (size_t)LEN_MASK) size *= 2;
  /* mmap rather than malloc: the pages arrive zeroed (the consumer relies on
   * unused headers reading zero) and are only backed once touched. */
  void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (p == MAP_FAILED) return -errno;
  r->buf = p;
  r->size = size;
  atomic_store_explicit(&r->head, 0, memory_order_relaxed);
  atomic_store_explicit(&r->tail, 0, memory_order_relaxed);
  return 0;
}

void xt__ring_destroy(xt__ring *r) {
  if (r->buf) munmap(r->buf, r->size);
  r->buf = NULL;
  r->size = 0;
}

static _Atomic uint32_t *header_at(xt__ring *r, uint64_t pos) {
  return (_Atomic uint32_t *)(void *)(r->buf + (pos & (r->size - 1)));
}

void *xt__ring_reserve(xt__ring *r, size_t len) {
  if (!r->buf || len > xt__ring_max_record(r)) return NULL;
  size_t need = XT_RING_HDR + round_up(len);
  uint64_t head = atomic_load_explicit(&r->head, memory_order_relaxed);
  for (;;) {
    uint64_t tail = atomic_load_explicit(&r->tail, memory_order_acquire);
    size_t room_to_end = r->size - (size_t)(head & (r->size - 1));
    /* A record never wraps: if it does not fit before the end, the rest of
     * the buffer becomes a padding record and the record starts at 0. */
    size_t take = need <= room_to_end ? need : room_to_end + need;
    if (head + take - tail > r->size) {
      /* Full, unless head is stale: a producer preempted between its load
       * of head and its load of tail can see a tail that others have since
       * moved past that head, and the unsigned difference then looks
       * huge. Only a full ring seen with the current head drops. */
      uint64_t now = atomic_load_explicit(&r->head, memory_order_relaxed);
      if (now == head) return NULL;
      head = now;
      continue;
    }
    if (atomic_compare_exchange_weak_explicit(&r->head, &head, head + take, memory_order_acq_rel,
                                              memory_order_relaxed)) {
      if (take != need) {
        atomic_store_explicit(header_at(r, head), (uint32_t)room_to_end | PADDING | COMMITTED,
                              memory_order_release);
        head += room_to_end;
      }
      return r->buf + (head & (r->size - 1)) + XT_RING_HDR;
    }
  }
}

void xt__ring_commit(void *payload, size_t len) {
  _Atomic uint32_t *h = (_Atomic uint32_t *)(void *)((uint8_t *)payload - XT_RING_HDR);
  atomic_store_explicit(h, (uint32_t)len | COMMITTED, memory_order_release);
}

const void *xt__ring_peek(xt__ring *r, uint64_t pos, uint32_t *len, uint64_t *next) {
  for (;;) {
    if (pos == atomic_load_explicit(&r->head, memory_order_acquire)) return NULL;
    uint32_t h = atomic_load_explicit(header_at(r, pos), memory_order_acquire);
    if (!(h & COMMITTED)) return NULL;
    if (h & PADDING) {
      pos += h & LEN_MASK;
      continue;
    }
    *len = h & LEN_MASK;
    *next = pos + XT_RING_HDR + round_up(*len);
    return r->buf + (pos & (r->size - 1)) + XT_RING_HDR;
  }
}

void xt__ring_release(xt__ring *r, uint64_t upto) {
  uint64_t tail = atomic_load_explicit(&r->tail, memory_order_relaxed);
  /* Zero what was consumed: a later record may put its header anywhere in
   * it, and the consumer must read zero there until that record commits.
   * The release store of tail orders these writes before any producer's
   * reuse of the space. */
  while (tail < upto) {
    size_t off = (size_t)(tail & (r->size - 1));
    size_t chunk = r->size - off;
    if (chunk > upto - tail) chunk = (size_t)(upto - tail);
    memset(r->buf + off, 0, chunk);
    tail += chunk;
  }
  atomic_store_explicit(&r->tail, upto, memory_order_release);
}
