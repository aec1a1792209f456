/* The SQLite store. One writer thread owns the only writing connection and
 * commits each group of queued batches in one transaction, at most one
 * every 100 ms unless much is waiting (store.c says why); readers (HTTP
 * requests, export) open their own connections, which WAL lets run beside
 * the writer.
 *
 * Schema: chunks(task, first, n, labels, data) holds the reports of a task,
 * each serialized exactly as it was received (so every view can be rebuilt)
 * with its normalised time, a chunk per task per transaction (chunk.h), plus
 * the chunk's labels joined by newlines for the text search; tasks holds one
 * summary row per task, kept current in the same transaction as the chunks;
 * task_procs and task_tags hold the distinct (host, pid) pairs and tags of
 * each task. */
#ifndef XT_SERVER_STORE_H
#define XT_SERVER_STORE_H

#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>

#include "queue.h"

#define XT_DB_FILE "xtrace.db"

typedef struct xt__store xt__store;

/* Called by the writer after each commit with the tasks it changed; db is the
 * writer's connection, usable for reads during the call. */
typedef void (*xt__commit_fn)(void *arg, sqlite3 *db, const int64_t *tasks, size_t n);

/* Creates dir if needed, opens (or creates) the database in it. */
int xt__store_open(xt__store **out, const char *dir, xt__queue *q);
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
/* Writes a list of batches in one transaction (the writer thread's step;
 * tests call it directly). Returns 0, -EAGAIN when nothing was written and
 * trying again may succeed (disk full, I/O error, lock, memory), or -EIO. */
int xt__store_apply(xt__store *s, const xt__batch *list);

/* A read connection to the database in dir (query_only). -ENOENT if there
 * is no database. */
int xt__db_open_read(const char *dir, sqlite3 **out);

#endif
