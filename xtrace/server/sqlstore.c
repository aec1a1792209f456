/* The SQLite backend of the writer (store.h has the schema). */
#include <errno.h>
#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "log.h"
#include "search.h"
#include "stats.h"
#include "store.h"
#include "summary.h"

typedef struct sqlstore {
  sqlite3 *db;
  sqlite3_stmt *begin, *commit, *rollback;
  xt__summary *sum;
} sqlstore;

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS chunks(task INTEGER NOT NULL, first INTEGER NOT NULL,"
    " n INTEGER NOT NULL, labels TEXT NOT NULL, data BLOB NOT NULL);"
    "CREATE INDEX IF NOT EXISTS chunks_task ON chunks(task);"
    "CREATE TABLE IF NOT EXISTS tasks(id INTEGER PRIMARY KEY, title TEXT NOT NULL,"
    " first INTEGER NOT NULL, last INTEGER NOT NULL, reports INTEGER NOT NULL,"
    " processes INTEGER NOT NULL, hosts INTEGER NOT NULL);"
    "CREATE INDEX IF NOT EXISTS tasks_first ON tasks(first);"
    /* Retention deletes the least recently active tasks first. */
    "CREATE INDEX IF NOT EXISTS tasks_last ON tasks(last);"
    "CREATE TABLE IF NOT EXISTS task_procs(task INTEGER NOT NULL, host TEXT NOT NULL,"
    " pid INTEGER NOT NULL, name TEXT NOT NULL, PRIMARY KEY(task, host, pid)) WITHOUT ROWID;"
    "CREATE TABLE IF NOT EXISTS task_tags(task INTEGER NOT NULL, tag TEXT NOT NULL,"
    " PRIMARY KEY(task, tag)) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS task_tags_tag ON task_tags(tag);"
    "PRAGMA user_version=3;";


static int db_path(const char *dir, char *out, size_t n) {
  int k = snprintf(out, n, "%s/%s", dir, XT_DB_FILE);
  return k < 0 || (size_t)k >= n ? -ENAMETOOLONG : 0;
}

static int exec(sqlite3 *db, const char *sql) {
  char *err = NULL;
  if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
    xt__log("store", "%s: %s", sql, err ? err : sqlite3_errmsg(db));
    sqlite3_free(err);
    return -EIO;
  }
  return 0;
}

/* Creates or upgrades the schema in one transaction. Version 2 had no
 * full-text index: its chunks are below no watermark, so the writer indexes
 * them in the background like new ones, and search scans them until then. */
static int create_schema(sqlite3 *db) {
  if (exec(db, "BEGIN IMMEDIATE") < 0) return -EIO;
  if (exec(db, schema) == 0 && exec(db, xt__search_schema) == 0 && exec(db, "COMMIT") == 0) return 0;
  exec(db, "ROLLBACK");
  return -EIO;
}

static int prepare(sqlite3 *db, const char *sql, sqlite3_stmt **st) {
  if (sqlite3_prepare_v3(db, sql, -1, SQLITE_PREPARE_PERSISTENT, st, NULL) != SQLITE_OK) {
    xt__log("store", "prepare %s: %s", sql, sqlite3_errmsg(db));
    return -EIO;
  }
  return 0;
}

static void sq_free(void *impl) {
  sqlstore *s = impl;
  if (!s) return;
  xt__summary_free(s->sum);
  sqlite3_finalize(s->begin);
  sqlite3_finalize(s->commit);
  sqlite3_finalize(s->rollback);
  if (s->db) sqlite3_close(s->db);
  free(s);
}

static int step(sqlite3_stmt *st) {
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : -EIO;
}

static int apply_all(sqlstore *s, const xt__batch *list, size_t *count) {
  for (const xt__batch *b = list; b; b = b->next) {
    for (size_t i = 0; i < b->n; i++) {
      const xt__item *it = &b->items[i];
      if (xt__summary_add(s->sum, it->msg, it->ts_us, it->raw, it->raw_len) < 0) return -EIO;
      (*count)++;
    }
  }
  return xt__summary_flush(s->sum);
}

/* Failures that may pass (a full disk, an I/O error, a lock, memory): the
 * same transaction is worth trying again. */
static int transient(int code) {
  switch (code & 0xff) {
  case SQLITE_FULL: case SQLITE_IOERR: case SQLITE_BUSY: case SQLITE_LOCKED: case SQLITE_NOMEM:
  case SQLITE_CANTOPEN: case SQLITE_READONLY: case SQLITE_PROTOCOL: case SQLITE_OK:
    return 1;
  default:
    return 0;
  }
}

/* One transaction: it commits whole or not at all, so a retry (the same
 * list) stores nothing twice and needs nothing kept from the failed try. */
static int sq_apply(void *impl, const xt__batch *list, int retry) {
  (void)retry;
  sqlstore *s = impl;
  size_t count = 0;
  xt__summary_reset(s->sum);
  if (step(s->begin) < 0) {
    xt__log("store", "begin: %s", sqlite3_errmsg(s->db));
    return transient(sqlite3_extended_errcode(s->db)) ? -EAGAIN : -EIO;
  }
  if (apply_all(s, list, &count) < 0 || step(s->commit) < 0) {
    /* SQLITE_OK here means the failure was ours (memory). */
    int code = sqlite3_extended_errcode(s->db);
    xt__log("store", "batch of %zu reports not stored: %s", count, sqlite3_errmsg(s->db));
    step(s->rollback);
    return transient(code) ? -EAGAIN : -EIO;
  }
  return 0;
}

static const int64_t *sq_tasks(void *impl, size_t *n) {
  sqlstore *s = impl;
  return xt__summary_tasks(s->sum, n);
}

static void sq_reader(void *impl, xt__reader *out) {
  sqlstore *s = impl;
  xt__reader_sqlite(s->db, out);
}

/* Chunks per step of the search index: some 1,600 labels in bulk, a few
 * milliseconds of work, so a group that becomes ready waits little. */
#define INDEX_STEP_CHUNKS 16

static void note_lag(sqlstore *s) {
  long long lag = xt__search_lag(s->db);
  if (lag >= 0) atomic_store_explicit(&xt__g_stats.search_lag, lag, memory_order_relaxed);
}

/* Fills the search index in the writer's spare time: step by step until it
 * has caught up or the next group is ready to commit (pop_group would not
 * wait), so ingest never waits for the index. Under a sustained flood it
 * falls behind, and search scans the chunks it has not reached. */
static void sq_idle(void *impl, xt__queue *q, int64_t deadline, size_t enough) {
  sqlstore *s = impl;
  while (!xt__queue_ready(q, deadline, enough))
    if (xt__search_index_step(s->db, INDEX_STEP_CHUNKS) <= 0) break;
  note_lag(s);
}

static const xt__store_ops sqlite_ops = {sq_apply, sq_tasks, sq_reader, sq_idle, sq_free};

int xt__sqlstore_new(void **impl, const char *dir, const xt__store_ops **ops) {
  char path[PATH_MAX];
  if (db_path(dir, path, sizeof path) < 0) return -ENAMETOOLONG;
  if (mkdir(dir, 0755) < 0 && errno != EEXIST) return -errno;
  sqlstore *s = calloc(1, sizeof *s);
  if (!s) return -ENOMEM;
  int rc = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
  if (rc != SQLITE_OK) {
    xt__log("store", "cannot open %s: %s", path, s->db ? sqlite3_errmsg(s->db) : "out of memory");
    sq_free(s);
    return -EIO;
  }
  sqlite3_busy_timeout(s->db, 5000);
  /* WAL: readers never block the writer and a crash leaves the last committed
   * transaction intact. synchronous=NORMAL syncs the WAL at each checkpoint
   * rather than each commit: a killed process loses nothing committed, a power
   * cut may lose the last commits but never corrupts the file. */
  if (exec(s->db, "PRAGMA page_size=16384; PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
                  "PRAGMA cache_size=-65536; PRAGMA wal_autocheckpoint=8192;"
                  "PRAGMA journal_size_limit=134217728;") < 0 ||
      create_schema(s->db) < 0 ||
      prepare(s->db, "BEGIN IMMEDIATE", &s->begin) < 0 || prepare(s->db, "COMMIT", &s->commit) < 0 ||
      prepare(s->db, "ROLLBACK", &s->rollback) < 0 || xt__summary_new(&s->sum, s->db) < 0) {
    sq_free(s);
    return -EIO;
  }
  *impl = s;
  *ops = &sqlite_ops;
  return 0;
}

int xt__db_open_read(const char *dir, sqlite3 **out) {
  char path[PATH_MAX];
  if (db_path(dir, path, sizeof path) < 0) return -ENAMETOOLONG;
  sqlite3 *db = NULL;
  if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
    sqlite3_close(db);
    return -ENOENT;
  }
  sqlite3_busy_timeout(db, 5000);
  sqlite3_exec(db, "PRAGMA query_only=1", NULL, NULL, NULL);
  *out = db;
  return 0;
}
