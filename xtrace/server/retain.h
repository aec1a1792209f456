/* Retention: deletes the oldest tasks, each whole in one transaction, once
 * they are older than --retain-days or the database passes --max-db-bytes.
 * Its own thread and connection, in short transactions, so the writer waits
 * for it at most a few milliseconds at a time and ingest not at all. */
#ifndef XT_SERVER_RETAIN_H
#define XT_SERVER_RETAIN_H

#include <sqlite3.h>
#include <stdint.h>

#include "reader.h"

typedef struct xt__retain_limits {
  int64_t max_age_us; /* delete tasks whose last report is older (0: keep) */
  int64_t max_bytes;  /* keep the pages in use at most this (0: no bound) */
} xt__retain_limits;

/* Bytes of the database's pages in use (pages minus free pages), or -EIO. */
int64_t xt__retain_used_bytes(sqlite3 *db);

/* One step, in one transaction: deletes up to max_tasks tasks, least recently
 * active first: those past the age limit, else, while the pages in use pass
 * target_bytes (when set), the oldest. Returns the tasks deleted (0: none
 * to delete) or -EIO. */
int xt__retain_step(sqlite3 *db, const xt__retain_limits *lim, int64_t now_us, int64_t target_bytes,
                    int max_tasks);

typedef struct xt__retain xt__retain;

/* Starts the thread (nothing to do without limits: *out is NULL). With
 * ClickHouse only max_age_us applies: each node listed drops the day
 * partitions that end before it (counted in partitions_dropped). */
int xt__retain_start(xt__retain **out, const xt__location *loc, const xt__retain_limits *lim);
void xt__retain_stop(xt__retain *r);

#endif
