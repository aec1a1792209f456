#include "queue.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define MAX_SPARE 16

xt__batch *xt__batch_new(void) { return calloc(1, sizeof(xt__batch)); }

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
  if (grow((void **)&b->items, &b->cap, b->n + 1, sizeof *b->items, 256) < 0 ||
      grow((void **)&b->arena, &b->arena_cap, b->arena_len + raw_len, 1, 65536) < 0) {
    pubsub__xtrace_reportv4__free_unpacked(msg, NULL);
    return -ENOMEM;
  }
  memcpy(b->arena + b->arena_len, raw, raw_len);
  b->items[b->n++] = (xt__item){msg, ts_us, b->arena_len, raw_len};
  b->arena_len += raw_len;
  return 0;
}

void xt__batch_reset(xt__batch *b) {
  for (size_t i = 0; i < b->n; i++) pubsub__xtrace_reportv4__free_unpacked(b->items[i].msg, NULL);
  b->n = 0;
  b->arena_len = 0;
  b->next = NULL;
}

void xt__batch_free(xt__batch *b) {
  if (!b) return;
  xt__batch_reset(b);
  free(b->items);
  free(b->arena);
  free(b);
}

/* What a batch counts against the queue's bound: its raw bytes plus an
 * estimate of the unpacked form, so tiny reports still add up. */
static size_t weight(const xt__batch *b) { return b->arena_len * 2 + b->n * 256; }

int xt__queue_init(xt__queue *q, size_t max_bytes) {
  memset(q, 0, sizeof *q);
  q->max_bytes = max_bytes;
  pthread_mutex_init(&q->mu, NULL);
  pthread_cond_init(&q->not_empty, NULL);
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
  q->bytes += weight(b);
  pthread_cond_signal(&q->not_empty);
  pthread_mutex_unlock(&q->mu);
}

xt__batch *xt__queue_pop_all(xt__queue *q) {
  pthread_mutex_lock(&q->mu);
  while (!q->head && !q->closed) pthread_cond_wait(&q->not_empty, &q->mu);
  xt__batch *list = q->head;
  q->head = q->tail = NULL;
  q->bytes = 0;
  pthread_cond_broadcast(&q->not_full);
  pthread_mutex_unlock(&q->mu);
  return list;
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
    q->n_spare--;
  }
  pthread_mutex_unlock(&q->mu);
  if (!b) return xt__batch_new();
  xt__batch_reset(b);
  return b;
}

/* The reports of a recycled batch are freed by whoever takes it next (the
 * ingest thread), not here: freeing is a large share of the writer's time and
 * the writer is the bottleneck. */
void xt__queue_recycle(xt__queue *q, xt__batch *list) {
  while (list) {
    xt__batch *b = list;
    list = list->next;
    pthread_mutex_lock(&q->mu);
    int keep = q->n_spare < MAX_SPARE;
    if (keep) {
      b->next = q->spare;
      q->spare = b;
      q->n_spare++;
    }
    pthread_mutex_unlock(&q->mu);
    if (!keep) xt__batch_free(b);
  }
}
