/* Batches of decoded reports and the bounded queue that carries them from the
 * ingest thread to the writer thread. The bound is in bytes the batches hold
 * (their arenas and item arrays): when the writer falls behind, the ingest
 * thread blocks in push, stops reading its sockets, and TCP flow control
 * slows the publishers down instead of the server dropping reports or
 * growing without limit. */
#ifndef XT_SERVER_QUEUE_H
#define XT_SERVER_QUEUE_H

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

#include "arena.h"
#include "xtrace_report.pb-c.h"

typedef struct xt__item {
  Pubsub__XTraceReportv4 *msg; /* in the batch's arena */
  int64_t ts_us;               /* normalised time */
  const uint8_t *raw;          /* the serialized report, copied into the arena */
  size_t raw_len;
} xt__item;

typedef struct xt__batch {
  xt__item *items;
  size_t n, cap;
  xt__arena arena; /* the decoded reports and their serialized bytes */
  struct xt__batch *next;
} xt__batch;

xt__batch *xt__batch_new(void);
/* Adds a report decoded into b->arena (xt__report_decode(raw, len,
 * &b->arena, &msg)) and copies raw into the arena. Returns 0, or -ENOMEM
 * and keeps nothing: msg stays in the arena until the caller rewinds it to
 * where it was before the decode (the stream does) or resets the batch. */
int xt__batch_add(xt__batch *b, Pubsub__XTraceReportv4 *msg, int64_t ts_us, const uint8_t *raw,
                  size_t raw_len);
/* Drops the reports and keeps the memory for reuse. */
void xt__batch_reset(xt__batch *b);
void xt__batch_free(xt__batch *b);
/* What a batch holds in memory: what the queue's bound and the spare list's
 * are counted in. */
size_t xt__batch_weight(const xt__batch *b);

/* Memory kept in reset batches for reuse. A group commit during a trickle
 * hands back dozens of batches of a few KiB, a bulk one a few of megabytes;
 * this keeps all of the first and several of the second, so that in steady
 * state ingest allocates neither batches nor arena blocks. */
#define XT_QUEUE_SPARE_BYTES (16u << 20)

typedef struct xt__queue {
  pthread_mutex_t mu;
  pthread_cond_t not_empty, not_full;
  xt__batch *head, *tail;
  size_t bytes, max_bytes;
  size_t wake_bytes; /* push wakes the writer at this many bytes (0: at any) */
  xt__batch *spare; /* reset batches kept for reuse */
  size_t spare_bytes;
  int closed;
} xt__queue;

int xt__queue_init(xt__queue *q, size_t max_bytes);
void xt__queue_destroy(xt__queue *q);
/* Blocks while the queue holds max_bytes or more. */
void xt__queue_push(xt__queue *q, xt__batch *b);
/* Waits for batches and takes them all as a list (next-linked), in order,
 * once the queue holds `enough` bytes or more (a full queue always does),
 * or deadline_ns (xt__queue_clock_ns) has passed with a batch queued, or the
 * queue is closed. Returns NULL once the queue is closed and empty. */
xt__batch *xt__queue_pop_group(xt__queue *q, int64_t deadline_ns, size_t enough);
int64_t xt__queue_clock_ns(void);
/* 1 if pop_group with these arguments would return without waiting. */
int xt__queue_ready(xt__queue *q, int64_t deadline_ns, size_t enough);
/* Waits up to ms for the queue to be closed; returns 1 if it is. */
int xt__queue_wait_closed(xt__queue *q, int ms);
/* After close, pop_group takes what is left at once, then returns NULL. */
void xt__queue_close(xt__queue *q);
/* An empty batch from the spare list, or a new one (NULL without memory). */
xt__batch *xt__queue_get_spare(xt__queue *q);
/* Resets the batches of a popped list and keeps them for reuse, as many as
 * fit in XT_QUEUE_SPARE_BYTES; frees the rest. */
void xt__queue_recycle(xt__queue *q, xt__batch *list);

#endif
