#include "reader.h"

#include <errno.h>

#include "store.h"
#include "taskiter.h"

static int sq_tasks(void *h, const xt__task_filter *f, xt__buf *out) { return xt__query_tasks(h, f, out); }
static int sq_task(void *h, int64_t task, xt__buf *out) { return xt__query_task(h, task, out); }
static long sq_reports(void *h, int64_t task, xt__report_cb fn, void *arg) {
  return xt__query_reports(h, task, fn, arg);
}
static int sq_iter(void *h, int64_t task, xt__task_iter **out) { return xt__task_iter_open(h, task, out); }
static void sq_close(void *h) { sqlite3_close(h); }
static void sq_keep(void *h) { (void)h; }

static const xt__reader_ops sqlite_ops = {sq_tasks, sq_task, sq_reports, sq_iter, sq_close};
static const xt__reader_ops sqlite_borrowed_ops = {sq_tasks, sq_task, sq_reports, sq_iter, sq_keep};

int xt__reader_open(const xt__location *loc, xt__reader *out) {
  if (loc->ch) return xt__chquery_open(loc->ch, out);
  sqlite3 *db;
  int rc = xt__db_open_read(loc->dir, &db);
  if (rc < 0) return rc;
  *out = (xt__reader){&sqlite_ops, db};
  return 0;
}

void xt__reader_sqlite(sqlite3 *db, xt__reader *out) { *out = (xt__reader){&sqlite_borrowed_ops, db}; }

void xt__reader_close(xt__reader *r) {
  if (r->ops) r->ops->close(r->h);
  r->ops = NULL;
}
