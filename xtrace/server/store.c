#include "store.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "stats.h"

/* Group commit. A transaction writes every page it touched to the WAL (16
 * KiB each: the task rows, their indexes, the chunk pages) however few
 * reports it holds, so a trickle of small batches committed one by one kept
 * the writer mostly in the kernel. The writer starts a commit at most this
 * often. 100 ms rather than 50: on the trickle benchmark (BENCHMARKS.md) it
 * wrote a quarter less to the WAL per report and took about a tenth less
 * CPU, and a report that shows within about 0.1 s still looks immediate in
 * the live UI; it also bounds what a kill -9 loses beyond the transaction in
 * flight. Longer would save less and start to show. ClickHouse gains the
 * same way: an INSERT makes a part on disk, and many small parts are what
 * it handles worst. */
#define XT_STORE_COMMIT_MS 100
/* ...unless this share of the queue's bound is waiting: a group of that
 * size (8 MiB with the default queue, some 16,000 reports) gains nothing
 * from waiting longer, and it stays far from the bound where ingest stalls. */
#define XT_STORE_COMMIT_SHARE 8

struct xt__store {
  const xt__store_ops *ops;
  void *impl;
  xt__queue *q;
  xt__commit_fn on_commit;
  void *on_commit_arg;
  int64_t commit_ns; /* least time between the starts of two commits */
  pthread_t thread;
  int started;
  atomic_int stopping; /* stop retrying failed commits */
};

static int store_new(xt__store **out, xt__queue *q, const xt__store_ops *ops, void *impl) {
  xt__store *s = calloc(1, sizeof *s);
  if (!s) {
    ops->free(impl);
    return -ENOMEM;
  }
  s->ops = ops;
  s->impl = impl;
  s->q = q;
  s->commit_ns = (int64_t)XT_STORE_COMMIT_MS * 1000000;
  *out = s;
  return 0;
}

int xt__store_open(xt__store **out, const char *dir, xt__queue *q) {
  void *impl;
  const xt__store_ops *ops;
  int rc = xt__sqlstore_new(&impl, dir, &ops);
  return rc < 0 ? rc : store_new(out, q, ops, impl);
}

int xt__store_open_clickhouse(xt__store **out, const xt__ch_url *u, xt__queue *q) {
  void *impl;
  const xt__store_ops *ops;
  int rc = xt__chstore_new(&impl, u, &ops);
  return rc < 0 ? rc : store_new(out, q, ops, impl);
}

void xt__store_on_commit(xt__store *s, xt__commit_fn fn, void *arg) {
  s->on_commit = fn;
  s->on_commit_arg = arg;
}

void xt__store_set_commit_interval(xt__store *s, int ms) { s->commit_ns = (int64_t)ms * 1000000; }

static size_t reports_in(const xt__batch *list) {
  size_t n = 0;
  for (; list; list = list->next) n += list->n;
  return n;
}

static int apply(xt__store *s, const xt__batch *list, int retry) {
  int rc = s->ops->apply(s->impl, list, retry);
  if (rc < 0) return rc;
  atomic_fetch_add_explicit(&xt__g_stats.stored, reports_in(list), memory_order_relaxed);
  atomic_fetch_add_explicit(&xt__g_stats.batches, 1, memory_order_relaxed);
  if (s->on_commit) {
    size_t n;
    const int64_t *tasks = s->ops->tasks(s->impl, &n);
    xt__reader r;
    s->ops->reader(s->impl, &r);
    if (r.ops) s->on_commit(s->on_commit_arg, &r, tasks, n);
    xt__reader_close(&r);
  }
  return 0;
}

int xt__store_apply(xt__store *s, const xt__batch *list) { return apply(s, list, 0); }

static void set_failing(int on) {
  atomic_store_explicit(&xt__g_stats.store_failing, on, memory_order_relaxed);
}

/* Commits a group, trying again while the failure may pass, so a full disk
 * or a cluster that is down loses nothing already accepted: meanwhile
 * ingest stops reading (store_failing), TCP holds the publishers back and
 * their own buffers drop and count what does not fit. Reports are lost (and
 * counted) only when the store refuses them for good, or when the server is
 * stopped before a commit succeeds. A retry stores nothing twice: a SQLite
 * transaction commits whole or not at all, and ClickHouse collapses rows
 * stored twice (chstore.c). */
static void store_group(xt__store *s, const xt__batch *list) {
  int wait_ms = 100, rc, retry = 0;
  while ((rc = apply(s, list, retry)) < 0) {
    retry = 1;
    atomic_fetch_add_explicit(&xt__g_stats.store_errors, 1, memory_order_relaxed);
    if (rc != -EAGAIN || atomic_load_explicit(&s->stopping, memory_order_relaxed) ||
        xt__queue_wait_closed(s->q, wait_ms)) {
      size_t n = reports_in(list);
      atomic_fetch_add_explicit(&xt__g_stats.reports_lost, n, memory_order_relaxed);
      xt__log("store", "%zu reports lost: %s", n,
              rc == -EAGAIN ? "stopped before a commit succeeded" : "the database refused them");
      break;
    }
    if (!atomic_load_explicit(&xt__g_stats.store_failing, memory_order_relaxed))
      xt__log("store", "commits failing: publishers are not read until one succeeds");
    set_failing(1);
    if (wait_ms < 2000) wait_ms *= 2;
  }
  if (rc == 0 && atomic_load_explicit(&xt__g_stats.store_failing, memory_order_relaxed))
    xt__log("store", "commit succeeded: reading publishers again");
  set_failing(0);
}

/* The first report after a quiet spell is committed at once (the last
 * commit is long past); the ones that follow wait for the interval to run
 * out, or for a large group. Closing the queue ends any wait, so shutdown
 * commits everything immediately. */
static void *writer(void *arg) {
  xt__store *s = arg;
  pthread_setname_np(pthread_self(), "xt-writer");
  size_t enough = s->q->max_bytes / XT_STORE_COMMIT_SHARE;
  int64_t last = INT64_MIN / 2;
  xt__batch *list;
  while ((list = xt__queue_pop_group(s->q, last + s->commit_ns, enough)) != NULL) {
    last = xt__queue_clock_ns();
    store_group(s, list);
    xt__queue_recycle(s->q, list);
    if (s->ops->idle) s->ops->idle(s->impl, s->q, last + s->commit_ns, enough);
  }
  return NULL;
}

int xt__store_start(xt__store *s) {
  int rc = pthread_create(&s->thread, NULL, writer, s);
  if (rc) return -rc;
  s->started = 1;
  return 0;
}

void xt__store_stop_retrying(xt__store *s) { atomic_store_explicit(&s->stopping, 1, memory_order_relaxed); }

void xt__store_join(xt__store *s) {
  if (!s->started) return;
  pthread_join(s->thread, NULL);
  s->started = 0;
}

void xt__store_free(xt__store *s) {
  if (!s) return;
  xt__store_join(s);
  s->ops->free(s->impl);
  free(s);
}
