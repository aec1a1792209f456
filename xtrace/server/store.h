/* The writer: one thread takes groups of queued batches and hands each to
 * the store's backend in one write, at most one every 100 ms unless much is
 * waiting (store.c says why), trying a failed write again until it succeeds
 * (ingest meanwhile stops reading, so publishers feel the backpressure).
 *
 * Backends (xt__store_ops):
 *  - SQLite (sqlstore.c, the default): one writing connection, a
 *    transaction per group. Schema: chunks(task, first, n, labels, data)
 *    holds the reports of a task, each serialized exactly as it was
 *    received (so every view can be rebuilt) with its normalised time, a
 *    chunk per task per transaction (chunk.h), plus the chunk's labels
 *    joined by newlines for the text search; tasks holds one summary row
 *    per task, kept current in the same transaction as the chunks;
 *    task_procs and task_tags hold the distinct (host, pid) pairs and tags
 *    of each task. Readers open their own connections, which WAL lets run
 *    beside the writer.
 *  - ClickHouse (chstore.c): an INSERT per group over HTTP; schema there. */
#ifndef XT_SERVER_STORE_H
#define XT_SERVER_STORE_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "chconn.h"
#include "queue.h"
#include "reader.h"

#define XT_DB_FILE "xtrace.db"

typedef struct xt__store xt__store;

/* Called by the writer after each commit with the tasks it changed; r reads
 * through the writer's connection, usable during the call. */
typedef void (*xt__commit_fn)(void *arg, xt__reader *r, const int64_t *tasks, size_t n);

typedef struct xt__store_ops {
  /* Writes every report of the list at once. retry: the same list as the
   * call before, which failed. Returns 0, -EAGAIN when trying again may
   * succeed, or -EIO when the store refuses the reports for good. */
  int (*apply)(void *impl, const xt__batch *list, int retry);
  /* The tasks the last successful apply changed. */
  const int64_t *(*tasks)(void *impl, size_t *n);
  /* A reader on the writer's own connection. */
  void (*reader)(void *impl, xt__reader *out);
  /* Background work between writes until xt__queue_ready(q, deadline,
   * enough); NULL when there is none. */
  void (*idle)(void *impl, xt__queue *q, int64_t deadline, size_t enough);
  void (*free)(void *impl);
} xt__store_ops;

/* SQLite: creates dir if needed, opens (or creates) the database in it. */
int xt__store_open(xt__store **out, const char *dir, xt__queue *q);
/* ClickHouse: nothing is contacted before the first write, which creates
 * the schema if it is missing (chstore.c), so a cluster that is down at
 * start delays storage instead of stopping the server. */
int xt__store_open_clickhouse(xt__store **out, const xt__ch_url *u, xt__queue *q);
void xt__store_on_commit(xt__store *s, xt__commit_fn fn, void *arg);
/* The least time between the starts of two commits while little is queued
 * (default 100 ms); tests lengthen it to see the grouping. Before start. */
void xt__store_set_commit_interval(xt__store *s, int ms);
/* Starts the writer thread; it runs until the queue is closed and drained. */
int xt__store_start(xt__store *s);
/* From now on a commit that fails is not tried again: its reports are
 * counted lost, so that shutdown ends even while the disk is full. */
void xt__store_stop_retrying(xt__store *s);
void xt__store_join(xt__store *s);
void xt__store_free(xt__store *s);
/* Writes a list of batches at once (the writer thread's step; tests call it
 * directly). Returns 0, -EAGAIN when nothing was stored for good and trying
 * again may succeed (disk full, I/O error, lock, memory, a node down), or
 * -EIO. */
int xt__store_apply(xt__store *s, const xt__batch *list);

/* The SQLite backend's operations (sqlstore.c). */
int xt__sqlstore_new(void **impl, const char *dir, const xt__store_ops **ops);
/* The ClickHouse backend's operations (chstore.c). */
int xt__chstore_new(void **impl, const xt__ch_url *u, const xt__store_ops **ops);

/* A read connection to the SQLite database in dir (query_only). -ENOENT if
 * there is no database. */
int xt__db_open_read(const char *dir, sqlite3 **out);

#endif
