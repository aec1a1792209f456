#include "queue.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

xt__batch *xt__batch_new(void) {
  xt__batch *b = calloc(1, sizeof *b);
  if (b) xt__arena_init(&b->arena);
  return b;
}

static int grow(void **p, size_t *cap, size_t need, size_t elem, size_t first) {
  if (need <= *cap) return 0;
  size_t c = *cap ? *cap : first;
  while (c < need) c *= 2;
  void *q = realloc(*p, c * elem);
  if (!q) return -ENOMEM;
  *p = q;
  *cap = c;
  return 0;
}

int xt__batch_add(xt__batch *b, Pubsub__XTraceReportv4 *msg, int64_t ts_us, const uint8_t *raw,
                  size_t raw_len) {
  uint8_t *copy;
  if (grow((void **)&b->items, &b->cap, b->n + 1, sizeof *b->items, 256) < 0 ||
      !(copy = xt__arena_alloc(&b->arena, raw_len)))
    return -ENOMEM;
  memcpy(copy, raw, raw_len);
  b->items[b->n++] = (xt__item){msg, ts_us, copy, raw_len};
  return 0;
}

/* The messages live in the arena: nothing to free one by one. */
void xt__batch_reset(xt__batch *b) {
  xt__arena_reset(&b->arena);
  b->n = 0;
  b->next = NULL;
}

void xt__batch_free(xt__batch *b) {
  if (!b) return;
  xt__arena_destroy(&b->arena);
  free(b->items);
  free(b);
}

size_t xt__batch_weight(const xt__batch *b) {
  return sizeof *b + b->cap * sizeof *b->items + b->arena.reserved;
}

int64_t xt__queue_clock_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* not_empty waits with a deadline on the monotonic clock, so that setting
 * the wall clock neither stretches nor skips a group commit. */
int xt__queue_init(xt__queue *q, size_t max_bytes) {
  memset(q, 0, sizeof *q);
  q->max_bytes = max_bytes;
  pthread_mutex_init(&q->mu, NULL);
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&q->not_empty, &ca);
  pthread_condattr_destroy(&ca);
  pthread_cond_init(&q->not_full, NULL);
  return 0;
}

void xt__queue_destroy(xt__queue *q) {
  for (xt__batch *b = q->head, *n; b; b = n) {
    n = b->next;
    xt__batch_free(b);
  }
  for (xt__batch *b = q->spare, *n; b; b = n) {
    n = b->next;
    xt__batch_free(b);
  }
  pthread_mutex_destroy(&q->mu);
  pthread_cond_destroy(&q->not_empty);
  pthread_cond_destroy(&q->not_full);
}

void xt__queue_push(xt__queue *q, xt__batch *b) {
  b->next = NULL;
  pthread_mutex_lock(&q->mu);
  /* An empty queue always takes the batch, so one batch larger than the bound
   * cannot block forever. */
  while (q->head && q->bytes >= q->max_bytes && !q->closed) pthread_cond_wait(&q->not_full, &q->mu);
  if (q->tail)
    q->tail->next = b;
  else
    q->head = b;
  q->tail = b;
  q->bytes += xt__batch_weight(b);
  /* A writer waiting for its group to grow needs waking only once it has:
   * during a trickle that is one wake-up per commit instead of one per
   * batch. */
  if (q->bytes >= q->wake_bytes) pthread_cond_signal(&q->not_empty);
  pthread_mutex_unlock(&q->mu);
}

/* A full queue always counts as enough: push blocks there, and a writer
 * waiting for more would stall ingest until its deadline. */
xt__batch *xt__queue_pop_group(xt__queue *q, int64_t deadline_ns, size_t enough) {
  if (enough > q->max_bytes) enough = q->max_bytes;
  pthread_mutex_lock(&q->mu);
  while (!q->closed) {
    if (!q->head) {
      q->wake_bytes = 0;
      pthread_cond_wait(&q->not_empty, &q->mu);
      continue;
    }
    if (q->bytes >= enough || xt__queue_clock_ns() >= deadline_ns) break;
    q->wake_bytes = enough;
    struct timespec ts = {(time_t)(deadline_ns / 1000000000), (long)(deadline_ns % 1000000000)};
    pthread_cond_timedwait(&q->not_empty, &q->mu, &ts);
  }
  q->wake_bytes = 0;
  xt__batch *list = q->head;
  q->head = q->tail = NULL;
  q->bytes = 0;
  pthread_cond_broadcast(&q->not_full);
  pthread_mutex_unlock(&q->mu);
  return list;
}

int xt__queue_ready(xt__queue *q, int64_t deadline_ns, size_t enough) {
  if (enough > q->max_bytes) enough = q->max_bytes;
  pthread_mutex_lock(&q->mu);
  int ready = q->closed || (q->head && (q->bytes >= enough || xt__queue_clock_ns() >= deadline_ns));
  pthread_mutex_unlock(&q->mu);
  return ready;
}

int xt__queue_wait_closed(xt__queue *q, int ms) {
  int64_t deadline = xt__queue_clock_ns() + (int64_t)ms * 1000000;
  struct timespec ts = {(time_t)(deadline / 1000000000), (long)(deadline % 1000000000)};
  pthread_mutex_lock(&q->mu);
  while (!q->closed && xt__queue_clock_ns() < deadline)
    pthread_cond_timedwait(&q->not_empty, &q->mu, &ts);
  int closed = q->closed;
  pthread_mutex_unlock(&q->mu);
  return closed;
}

void xt__queue_close(xt__queue *q) {
  pthread_mutex_lock(&q->mu);
  q->closed = 1;
  pthread_cond_broadcast(&q->not_empty);
  pthread_cond_broadcast(&q->not_full);
  pthread_mutex_unlock(&q->mu);
}

xt__batch *xt__queue_get_spare(xt__queue *q) {
  pthread_mutex_lock(&q->mu);
  xt__batch *b = q->spare;
  if (b) {
    q->spare = b->next;
    q->spare_bytes -= xt__batch_weight(b);
    b->next = NULL;
  }
  pthread_mutex_unlock(&q->mu);
  return b ? b : xt__batch_new();
}

/* Resetting an arena is a walk over a handful of blocks, so the writer does
 * it here, outside the lock. The spare list is bounded in bytes rather than
 * batches: a group commit during a trickle hands back dozens of small
 * batches, all worth keeping, while a few full ones hold megabytes each. */
void xt__queue_recycle(xt__queue *q, xt__batch *list) {
  while (list) {
    xt__batch *b = list;
    list = list->next;
    xt__batch_reset(b);
    size_t w = xt__batch_weight(b);
    pthread_mutex_lock(&q->mu);
    int keep = q->spare_bytes + w <= XT_QUEUE_SPARE_BYTES;
    if (keep) {
      b->next = q->spare;
      q->spare = b;
      q->spare_bytes += w;
    }
    pthread_mutex_unlock(&q->mu);
    if (!keep) xt__batch_free(b);
  }
}
