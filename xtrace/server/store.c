#include "store.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "log.h"
#include "stats.h"
#include "search.h"
#include "summary.h"

/* Group commit. A transaction writes every page it touched to the WAL (16
 * KiB each: the task rows, their indexes, the chunk pages) however few
 * reports it holds, so a trickle of small batches committed one by one kept
 * the writer mostly in the kernel. The writer starts a commit at most this
 * often. 100 ms rather than 50: on the trickle benchmark (BENCHMARKS.md) it
 * wrote a quarter less to the WAL per report and took about a tenth less
 * CPU, and a report that shows within about 0.1 s still looks immediate in
 * the live UI; it also bounds what a kill -9 loses beyond the transaction in
 * flight. Longer would save less and start to show. */
#define XT_STORE_COMMIT_MS 100
/* ...unless this share of the queue's bound is waiting: a group of that
 * size (8 MiB with the default queue, some 16,000 reports) gains nothing
 * from waiting longer, and it stays far from the bound where ingest stalls. */
#define XT_STORE_COMMIT_SHARE 8

struct xt__store {
  sqlite3 *db;
  sqlite3_stmt *begin, *commit, *rollback;
  xt__summary *sum;
  xt__queue *q;
  xt__commit_fn on_commit;
  void *on_commit_arg;
  int64_t commit_ns; /* least time between the starts of two commits */
  pthread_t thread;
  int started;
  atomic_int stopping; /* stop retrying failed commits */
};

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

int xt__store_open(xt__store **out, const char *dir, xt__queue *q) {
  char path[PATH_MAX];
  if (db_path(dir, path, sizeof path) < 0) return -ENAMETOOLONG;
  if (mkdir(dir, 0755) < 0 && errno != EEXIST) return -errno;
  xt__store *s = calloc(1, sizeof *s);
  if (!s) return -ENOMEM;
  s->q = q;
  s->commit_ns = (int64_t)XT_STORE_COMMIT_MS * 1000000;
  int rc = sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
  if (rc != SQLITE_OK) {
    xt__log("store", "cannot open %s: %s", path, s->db ? sqlite3_errmsg(s->db) : "out of memory");
    xt__store_free(s);
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
    xt__store_free(s);
    return -EIO;
  }
  *out = s;
  return 0;
}

void xt__store_on_commit(xt__store *s, xt__commit_fn fn, void *arg) {
  s->on_commit = fn;
  s->on_commit_arg = arg;
}

void xt__store_set_commit_interval(xt__store *s, int ms) { s->commit_ns = (int64_t)ms * 1000000; }

static int step(sqlite3_stmt *st) {
  int rc = sqlite3_step(st);
  sqlite3_reset(st);
  return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : -EIO;
}

static int apply_all(xt__store *s, const xt__batch *list, size_t *count) {
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

int xt__store_apply(xt__store *s, const xt__batch *list) {
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
  atomic_fetch_add_explicit(&xt__g_stats.stored, count, memory_order_relaxed);
  atomic_fetch_add_explicit(&xt__g_stats.batches, 1, memory_order_relaxed);
  if (s->on_commit) {
    size_t n;
    const int64_t *tasks = xt__summary_tasks(s->sum, &n);
    s->on_commit(s->on_commit_arg, s->db, tasks, n);
  }
  return 0;
}

/* Chunks per step of the search index: some 1,600 labels in bulk, a few
 * milliseconds of work, so a group that becomes ready waits little. */
#define INDEX_STEP_CHUNKS 16

static void note_lag(xt__store *s) {
  long long lag = xt__search_lag(s->db);
  if (lag >= 0) atomic_store_explicit(&xt__g_stats.search_lag, lag, memory_order_relaxed);
}

/* Fills the search index in the writer's spare time: step by step until it
 * has caught up or the next group is ready to commit (pop_group would not
 * wait), so ingest never waits for the index. Under a sustained flood it
 * falls behind, and search scans the chunks it has not reached. */
static void index_until_ready(xt__store *s, int64_t deadline, size_t enough) {
  while (!xt__queue_ready(s->q, deadline, enough))
    if (xt__search_index_step(s->db, INDEX_STEP_CHUNKS) <= 0) break;
  note_lag(s);
}

static size_t reports_in(const xt__batch *list) {
  size_t n = 0;
  for (; list; list = list->next) n += list->n;
  return n;
}

static void set_failing(int on) {
  atomic_store_explicit(&xt__g_stats.store_failing, on, memory_order_relaxed);
}

/* Commits a group, trying again while the failure may pass, so a full disk
 * loses nothing already accepted: meanwhile ingest stops reading
 * (store_failing), TCP holds the publishers back and their own buffers drop
 * and count what does not fit. Reports are lost (and counted) only when the
 * database refuses them for good, or when the server is stopped before a
 * commit succeeds. A transaction either commits whole or not at all, so a
 * retry stores nothing twice. */
static void store_group(xt__store *s, const xt__batch *list) {
  int wait_ms = 100, rc;
  while ((rc = xt__store_apply(s, list)) < 0) {
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
    index_until_ready(s, last + s->commit_ns, enough);
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
  xt__summary_free(s->sum);
  sqlite3_finalize(s->begin);
  sqlite3_finalize(s->commit);
  sqlite3_finalize(s->rollback);
  if (s->db) sqlite3_close(s->db);
  free(s);
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
