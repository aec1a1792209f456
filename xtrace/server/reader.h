/* The read side of the store interface: what the HTTP API, the event stream
 * and --export ask of a store, whichever it is. A reader is a short-lived
 * handle (one per HTTP request) with a backend's operations behind it:
 * SQLite (a query_only connection to the database in a directory, query.c)
 * or ClickHouse (an HTTP connection to the cluster, chquery.c). */
#ifndef XT_SERVER_READER_H
#define XT_SERVER_READER_H

#include <stddef.h>
#include <stdint.h>

#include "chconn.h"
#include "json.h"
#include "query.h"

struct xt__task_iter;

typedef struct xt__reader_ops {
  /* The task list as a JSON array (query.h: xt__query_tasks). */
  int (*tasks)(void *h, const xt__task_filter *f, xt__buf *out);
  /* One task summary object; -ENOENT if the task is unknown. */
  int (*task)(void *h, int64_t task, xt__buf *out);
  /* The reports of a task in time order, then arrival order. */
  long (*reports)(void *h, int64_t task, xt__report_cb fn, void *arg);
  /* A walk over them (taskiter.h), closed before the reader. */
  int (*iter)(void *h, int64_t task, struct xt__task_iter **out);
  void (*close)(void *h);
} xt__reader_ops;

typedef struct xt__reader {
  const xt__reader_ops *ops;
  void *h;
} xt__reader;

/* Where the reports are: a SQLite directory, or a ClickHouse URL (ch set). */
typedef struct xt__location {
  const char *dir;
  const xt__ch_url *ch;
} xt__location;

/* -ENOENT: no SQLite database in the directory; -ENOMEM. */
int xt__reader_open(const xt__location *loc, xt__reader *out);
void xt__reader_close(xt__reader *r);
/* A reader on a connection someone else owns (the writer's); closing it
 * leaves the connection open. */
void xt__reader_sqlite(sqlite3 *db, xt__reader *out);

static inline int xt__reader_tasks(xt__reader *r, const xt__task_filter *f, xt__buf *out) {
  return r->ops->tasks(r->h, f, out);
}
static inline int xt__reader_task(xt__reader *r, int64_t task, xt__buf *out) { return r->ops->task(r->h, task, out); }
static inline long xt__reader_reports(xt__reader *r, int64_t task, xt__report_cb fn, void *arg) {
  return r->ops->reports(r->h, task, fn, arg);
}
static inline int xt__reader_iter(xt__reader *r, int64_t task, struct xt__task_iter **out) {
  return r->ops->iter(r->h, task, out);
}

/* ClickHouse readers (chquery.c): on a connection of their own, or on one
 * someone else owns (the writer's). u must outlive the reader. */
int xt__chquery_open(const xt__ch_url *u, xt__reader *out);
int xt__chquery_borrow(const xt__ch_url *u, xt__ch *c, xt__reader *out);
/* The connection of a ClickHouse reader. */
xt__ch *xt__chquery_conn(xt__reader *r);

#endif
