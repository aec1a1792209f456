#include "events.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "json.h"
#include "query.h"

/* More changed tasks than this in one commit are announced as one "reload"
 * rather than flooding the ring. */
#define MAX_PER_COMMIT 128

typedef struct entry {
  char *data;
  size_t len;
} entry;

struct xt__events {
  pthread_mutex_t mu;
  pthread_cond_t cond;
  entry ring[XT_EVENTS_RING];
  uint64_t head; /* sequence number of the next message */
  size_t clients, max_clients;
  int shutdown;
};

struct xt__sse_client {
  xt__events *e;
  uint64_t next;
  char *pending; /* the message being sent, and how much of it went out */
  size_t pending_len, pending_off;
};

int xt__events_new(xt__events **out, size_t max_clients) {
  xt__events *e = calloc(1, sizeof *e);
  if (!e) return -ENOMEM;
  pthread_mutex_init(&e->mu, NULL);
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&e->cond, &ca);
  pthread_condattr_destroy(&ca);
  e->max_clients = max_clients;
  *out = e;
  return 0;
}

void xt__events_free(xt__events *e) {
  if (!e) return;
  for (size_t i = 0; i < XT_EVENTS_RING; i++) free(e->ring[i].data);
  pthread_mutex_destroy(&e->mu);
  pthread_cond_destroy(&e->cond);
  free(e);
}

void xt__events_shutdown(xt__events *e) {
  pthread_mutex_lock(&e->mu);
  e->shutdown = 1;
  pthread_cond_broadcast(&e->cond);
  pthread_mutex_unlock(&e->mu);
}

void xt__events_publish(xt__events *e, const char *event, const char *json, size_t len) {
  pthread_mutex_lock(&e->mu);
  uint64_t seq = e->head;
  pthread_mutex_unlock(&e->mu);
  xt__buf b;
  xt__buf_init(&b);
  xt__buf_printf(&b, "id: %llu\nevent: %s\ndata: ", (unsigned long long)seq, event);
  xt__buf_put(&b, json, len);
  xt__buf_puts(&b, "\n\n");
  size_t n;
  char *msg = xt__buf_steal(&b, &n);
  if (!msg) return;
  pthread_mutex_lock(&e->mu);
  /* Only the writer thread publishes, so seq is still head here. */
  entry *slot = &e->ring[e->head % XT_EVENTS_RING];
  free(slot->data);
  slot->data = msg;
  slot->len = n;
  e->head++;
  pthread_cond_broadcast(&e->cond);
  pthread_mutex_unlock(&e->mu);
}

void xt__events_commit(void *arg, xt__reader *r, const int64_t *tasks, size_t n) {
  xt__events *e = arg;
  pthread_mutex_lock(&e->mu);
  size_t clients = e->clients;
  pthread_mutex_unlock(&e->mu);
  if (clients == 0 || n == 0) return;
  if (n > MAX_PER_COMMIT) {
    xt__events_publish(e, "reload", "{}", 2);
    return;
  }
  xt__buf b;
  xt__buf_init(&b);
  for (size_t i = 0; i < n; i++) {
    b.len = 0;
    if (xt__reader_task(r, tasks[i], &b) == 0 && !b.oom) xt__events_publish(e, "task", b.data, b.len);
  }
  xt__buf_free(&b);
}

size_t xt__events_clients(xt__events *e) {
  pthread_mutex_lock(&e->mu);
  size_t n = e->clients;
  pthread_mutex_unlock(&e->mu);
  return n;
}

xt__sse_client *xt__events_subscribe(xt__events *e) {
  xt__sse_client *c = calloc(1, sizeof *c);
  if (!c) return NULL;
  c->e = e;
  pthread_mutex_lock(&e->mu);
  if (e->clients >= e->max_clients || e->shutdown) {
    pthread_mutex_unlock(&e->mu);
    free(c);
    return NULL;
  }
  e->clients++;
  c->next = e->head;
  pthread_mutex_unlock(&e->mu);
  /* The first bytes tell the browser how soon to reconnect and flush the
   * response headers, so the client sees the stream open at once. */
  c->pending = strdup("retry: 2000\n: connected\n\n");
  c->pending_len = c->pending ? strlen(c->pending) : 0;
  return c;
}

void xt__events_unsubscribe(xt__sse_client *c) {
  if (!c) return;
  pthread_mutex_lock(&c->e->mu);
  c->e->clients--;
  pthread_mutex_unlock(&c->e->mu);
  free(c->pending);
  free(c);
}

/* Takes the client's next message from the ring, waiting up to the
 * keep-alive interval. Called with the lock held. */
static char *next_message(xt__sse_client *c, size_t *len) {
  xt__events *e = c->e;
  struct timespec dl;
  clock_gettime(CLOCK_MONOTONIC, &dl);
  dl.tv_sec += XT_EVENTS_KEEPALIVE_MS / 1000;
  while (c->next == e->head && !e->shutdown)
    if (pthread_cond_timedwait(&e->cond, &e->mu, &dl) == ETIMEDOUT) break;
  if (e->shutdown) return NULL;
  if (c->next == e->head) return strdup(": keep-alive\n\n");
  if (e->head - c->next > XT_EVENTS_RING) {
    c->next = e->head;
    return strdup("event: reload\ndata: {}\n\n");
  }
  entry *en = &e->ring[c->next++ % XT_EVENTS_RING];
  char *m = malloc(en->len);
  if (m) memcpy(m, en->data, en->len);
  *len = en->len;
  return m;
}

ssize_t xt__events_read(xt__sse_client *c, char *buf, size_t max) {
  if (!c->pending) {
    pthread_mutex_lock(&c->e->mu);
    size_t len = 0;
    char *m = next_message(c, &len);
    int down = c->e->shutdown;
    pthread_mutex_unlock(&c->e->mu);
    if (down) {
      free(m);
      return -1;
    }
    if (!m) return -1;
    c->pending = m;
    c->pending_len = len ? len : strlen(m);
    c->pending_off = 0;
  }
  size_t n = c->pending_len - c->pending_off;
  if (n > max) n = max;
  memcpy(buf, c->pending + c->pending_off, n);
  c->pending_off += n;
  if (c->pending_off == c->pending_len) {
    free(c->pending);
    c->pending = NULL;
  }
  return (ssize_t)n;
}
