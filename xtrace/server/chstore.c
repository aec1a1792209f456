/* The ClickHouse backend of the writer. Schema, created on every node of
 * the URL when the first write finds it missing (names ending in _local
 * only with a cluster; without one the tables carry the plain names):
 *
 *  reports_local  one row per report: its serialized bytes (so every view
 *                 is rebuilt exactly), its time in epoch microseconds (a
 *                 UInt64: 18.16 has no DateTime64), event ID, an arrival
 *                 sequence, and the columns listing and search read (host,
 *                 pid, process, label, tags). ReplacingMergeTree ordered by
 *                 (task, time, event), partitioned by day number
 *                 (time / 86400e6, no time zone involved): a row stored
 *                 twice, by an INSERT tried again after a timeout, has the
 *                 same key and collapses; readers ask for FINAL, so it is
 *                 never seen twice even before the merge.
 *  tasks_local    the per-task summary the task list reads without
 *                 scanning reports: AggregatingMergeTree of (task, day)
 *                 states filled by a materialized view on reports_local.
 *                 Every state is idempotent (min, max, argMin, distinct
 *                 sets, the exact count of distinct (time, event)), so a
 *                 duplicate INSERT changes no summary either.
 *  reports, tasks with a cluster: Distributed tables over the local ones,
 *                 sharded by a hash of the task ID (IDs are random but a
 *                 client may keep some bits fixed, as a plain modulo would
 *                 see), so a task lives on one shard, its duplicates too,
 *                 which FINAL then collapses.
 *
 * Only syntax that ClickHouse 18.16 (Debian 12) and current releases both
 * accept: new-style MergeTree clauses, no DateTime64, no
 * SimpleAggregateFunction, no ON CLUSTER (it needs ZooKeeper). */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "chschema.h"
#include "log.h"
#include "rowbin.h"
#include "stats.h"
#include "store.h"

/* An INSERT of a group (at most some 16,000 reports, 8 MiB) takes well
 * under a second; this bounds a node that accepts and then hangs. */
#define INSERT_TIMEOUT_MS 30000

typedef struct chstore {
  xt__ch_url url;
  xt__ch *c;
  int schema_ok;
  xt__buf rows;    /* RowBinary of the list being written */
  uint64_t seq;    /* arrival order, from the clock at start */
  int64_t *tasks;  /* distinct tasks of the list */
  size_t ntasks, cap;
} chstore;

static void ch_free(void *impl) {
  chstore *s = impl;
  if (!s) return;
  xt__ch_close(s->c);
  xt__buf_free(&s->rows);
  free(s->tasks);
  free(s);
}

static int failing(void) { return atomic_load_explicit(&xt__g_stats.store_failing, memory_order_relaxed); }

/* Logged once per episode: while commits keep failing (store_failing) the
 * same reason is not repeated for every try. */
static void report(const char *what, const xt__ch *c) {
  if (!failing()) xt__log("clickhouse", "%s: %s", what, xt__ch_error(c));
}

static int create_schema(chstore *s) {
  for (int i = 0; i < s->url.nnodes; i++) {
    xt__ch *c;
    if (xt__ch_open(&c, &s->url, i, INSERT_TIMEOUT_MS) < 0) return -ENOMEM;
    int rc = xt__chschema_create(c, &s->url);
    if (rc < 0) report("creating the schema", c);
    xt__ch_close(c);
    if (rc < 0) return -EAGAIN;
  }
  s->schema_ok = 1;
  return 0;
}

static int cmp_task(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return x < y ? -1 : x > y;
}

static const char *str(const char *s) { return s ? s : ""; }

static void put_row(chstore *s, const xt__item *it) {
  const Pubsub__XTraceReportv4 *m = it->msg;
  xt__buf *b = &s->rows;
  xt__rb_put_u64(b, (uint64_t)m->task_id);
  xt__rb_put_u64(b, (uint64_t)it->ts_us);
  xt__rb_put_u64(b, (uint64_t)m->event_id);
  xt__rb_put_u64(b, s->seq++);
  xt__rb_put_str(b, str(m->host), strlen(str(m->host)));
  xt__rb_put_i32(b, m->process_id);
  xt__rb_put_str(b, str(m->process_name), strlen(str(m->process_name)));
  xt__rb_put_str(b, str(m->label), strlen(str(m->label)));
  xt__rb_put_varint(b, m->n_tags);
  for (size_t i = 0; i < m->n_tags; i++) xt__rb_put_str(b, str(m->tags[i]), strlen(str(m->tags[i])));
  xt__rb_put_str(b, it->raw, it->raw_len);
}

/* The rows of a list and its distinct tasks; built once per list, so a
 * retry sends the very same rows (same sequence numbers) again. */
static int encode(chstore *s, const xt__batch *list) {
  s->rows.len = 0;
  s->ntasks = 0;
  for (const xt__batch *b = list; b; b = b->next)
    for (size_t i = 0; i < b->n; i++) {
      put_row(s, &b->items[i]);
      if (s->ntasks == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 1024;
        int64_t *p = realloc(s->tasks, cap * sizeof *p);
        if (!p) return -ENOMEM;
        s->tasks = p;
        s->cap = cap;
      }
      s->tasks[s->ntasks++] = b->items[i].msg->task_id;
    }
  if (s->rows.oom) return -ENOMEM;
  qsort(s->tasks, s->ntasks, sizeof *s->tasks, cmp_task);
  size_t n = 0;
  for (size_t i = 0; i < s->ntasks; i++)
    if (n == 0 || s->tasks[n - 1] != s->tasks[i]) s->tasks[n++] = s->tasks[i];
  s->ntasks = n;
  return 0;
}

/* Every failure is worth trying again: the rows are well-formed by
 * construction, so an error is a node or a shard that is down, busy or
 * out of disk. */
static int ch_apply(void *impl, const xt__batch *list, int retry) {
  chstore *s = impl;
  if (!retry || s->rows.oom) {
    xt__buf_free(&s->rows);
    if (encode(s, list) < 0) {
      if (!failing()) xt__log("clickhouse", "no memory for a batch of rows");
      return -EAGAIN;
    }
  }
  if (!s->schema_ok && create_schema(s) < 0) return -EAGAIN;
  char sql[160];
  snprintf(sql, sizeof sql, "INSERT INTO %s.reports FORMAT RowBinary", s->url.db);
  int rc = xt__ch_exec(s->c, sql, s->rows.data, s->rows.len, NULL);
  if (rc < 0) {
    report("insert", s->c);
    /* The tables may have been dropped under us: look again next time. */
    if (rc == -EIO && strstr(xt__ch_error(s->c), "doesn't exist")) s->schema_ok = 0;
    return -EAGAIN;
  }
  return 0;
}

static const int64_t *ch_tasks(void *impl, size_t *n) {
  chstore *s = impl;
  *n = s->ntasks;
  return s->tasks;
}

static void ch_reader(void *impl, xt__reader *out) {
  chstore *s = impl;
  if (xt__chquery_borrow(&s->url, s->c, out) < 0) *out = (xt__reader){0};
}

static const xt__store_ops clickhouse_ops = {ch_apply, ch_tasks, ch_reader, NULL, ch_free};

int xt__chstore_new(void **impl, const xt__ch_url *u, const xt__store_ops **ops) {
  chstore *s = calloc(1, sizeof *s);
  if (!s) return -ENOMEM;
  s->url = *u;
  xt__buf_init(&s->rows);
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  /* Arrival order across restarts of this collector: a sequence that
   * starts at the clock in nanoseconds keeps growing. */
  s->seq = (uint64_t)now.tv_sec * 1000000000u + (uint64_t)now.tv_nsec;
  int rc = xt__ch_open(&s->c, u, 0, INSERT_TIMEOUT_MS);
  if (rc < 0) {
    ch_free(s);
    return rc;
  }
  *impl = s;
  *ops = &clickhouse_ops;
  return 0;
}
