/* Batches of decoded reports and the bounded queue that carries them from the
 * ingest thread to the writer thread. The bound is in bytes of raw reports:
 * when the writer falls behind, the ingest thread blocks in push, stops
 * reading its sockets, and TCP flow control slows the publishers down instead
 * of the server dropping reports or growing without limit. */
#ifndef XT_SERVER_QUEUE_H
#define XT_SERVER_QUEUE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "xtrace_report.pb-c.h"

typedef struct xt__item {
  Pubsub__XTraceReportv4 *msg; /* owned by the batch */
  int64_t ts_us;               /* normalised time */
  size_t raw_off, raw_len;     /* the serialized report inside the arena */
} xt__item;

typedef struct xt__batch {
  xt__item *items;
  size_t n, cap;
  uint8_t *arena;
  size_t arena_len, arena_cap;
  struct xt__batch *next;
} xt__batch;

xt__batch *xt__batch_new(void);
/* Takes ownership of msg (also on failure). Returns 0 or -ENOMEM. */
int xt__batch_add(xt__batch *b, Pubsub__XTraceReportv4 *msg, int64_t ts_us, const uint8_t *raw,
                  size_t raw_len);
/* Frees the reports and keeps the memory for reuse. */
void xt__batch_reset(xt__batch *b);
void xt__batch_free(xt__batch *b);
static inline const uint8_t *xt__item_raw(const xt__batch *b, const xt__item *it) {
  return b->arena + it->raw_off;
}

typedef struct xt__queue {
  pthread_mutex_t mu;
  pthread_cond_t not_empty, not_full;
  xt__batch *head, *tail;
  size_t bytes, max_bytes;
  xt__batch *spare; /* reset batches kept for reuse */
  size_t n_spare;
  int closed;
} xt__queue;

int xt__queue_init(xt__queue *q, size_t max_bytes);
void xt__queue_destroy(xt__queue *q);
/* Blocks while the queue holds max_bytes or more. */
void xt__queue_push(xt__queue *q, xt__batch *b);
/* Waits for batches and takes them all as a list (next-linked), in order.
 * Returns NULL once the queue is closed and empty. */
xt__batch *xt__queue_pop_all(xt__queue *q);
/* After close, pop_all drains what is left and then returns NULL. */
void xt__queue_close(xt__queue *q);
/* A reset batch from the spare list, or a new one (NULL without memory). */
xt__batch *xt__queue_get_spare(xt__queue *q);
/* Keeps a few batches of a popped list for reuse (get_spare resets them)
 * and frees the rest. */
void xt__queue_recycle(xt__queue *q, xt__batch *list);

#endif
