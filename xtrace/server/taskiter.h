/* The reports of one task, one at a time, in time order and then arrival
 * order, without holding the task in memory.
 *
 * This is the one read primitive every view of a task is built on (the
 * compatibility endpoints, the pages of the JSON API, the condensed view):
 * a store backend that can walk a task's reports in this order implements
 * these functions and gets every task view. */
#ifndef XT_SERVER_TASKITER_H
#define XT_SERVER_TASKITER_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

typedef struct xt__task_iter xt__task_iter;

/* Starts walking a task (an unknown task walks nothing): the task as it is
 * now; reports stored later are not in the walk. The iterator reads through
 * db until closed, but holds no read transaction open between calls.
 * Returns 0 or a negative errno. */
int xt__task_iter_open(sqlite3 *db, int64_t task, xt__task_iter **out);

/* A walk over rows another store reads a page at a time (ClickHouse,
 * chquery.c): RowBinary rows of (time UInt64, seq UInt64, event UInt64,
 * data String) sorted by (time, seq, event). A row stored twice is an exact
 * copy, adjacent in that order, and is walked once.
 *
 * fetch reads the page of rows that follow the key `after` (the (time, seq,
 * event) of the row walked last; NULL for the first page) into *rows, which
 * the walk then owns (malloc'd, or NULL with *len 0 when none follow). A
 * page starts past every copy of the row before it, so what is held is one
 * page however long the task.
 *
 * total and version are the store's, counted before the walk (see
 * xt__task_iter_total and _version); the walk stops after total rows, so
 * that, as on SQLite, reports stored meanwhile are not in it, and no page
 * is asked for past the last. It also stops at an empty page (rows dropped
 * by retention meanwhile). close releases arg when the walk is closed (or
 * at once, if this fails). Returns 0 or -ENOMEM. */
typedef struct xt__task_pager {
  int (*fetch)(void *arg, const uint64_t *after, uint8_t **rows, size_t *len);
  void (*close)(void *arg);
  void *arg;
} xt__task_pager;
int xt__task_iter_paged(const xt__task_pager *pg, int64_t total, int64_t version, xt__task_iter **out);

/* The number of stored reports of the task, counted at open. */
int64_t xt__task_iter_total(const xt__task_iter *it);

/* A value that, with the total, changes whenever the task's stored reports
 * do: what a cache of a view of the task is keyed on. */
int64_t xt__task_iter_version(const xt__task_iter *it);

/* The next report: returns 1 and sets its stored time and serialized bytes
 * (valid until the next call), 0 after the last, or a negative errno. */
int xt__task_iter_next(xt__task_iter *it, int64_t *ts, const uint8_t **raw, uint32_t *len);

void xt__task_iter_close(xt__task_iter *it);

#endif
