#include "retain.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "chschema.h"
#include "log.h"
#include "stats.h"
#include "store.h"
#include "ticker.h"

/* Tasks per transaction: short enough that the writer's next commit waits
 * little for the lock. */
#define STEP_TASKS 8
/* Once over --max-db-bytes, trim to this share of it, so that retention does
 * not run again after every commit. */
#define TRIM_PERCENT 90
#define CHECK_MS 1000

static int64_t pragma(sqlite3 *db, const char *sql) {
  sqlite3_stmt *st;
  if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) return -EIO;
  int64_t v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -EIO;
  sqlite3_finalize(st);
  return v;
}

int64_t xt__retain_used_bytes(sqlite3 *db) {
  int64_t pages = pragma(db, "PRAGMA page_count"), free_pages = pragma(db, "PRAGMA freelist_count"),
          size = pragma(db, "PRAGMA page_size");
  if (pages < 0 || free_pages < 0 || size < 0) return -EIO;
  return (pages - free_pages) * size;
}

/* Every row of one task. The search index follows through the chunks'
 * delete trigger. */
static int delete_task(sqlite3 *db, int64_t id) {
  static const char *const sql[] = {"DELETE FROM chunks WHERE task = ?1", "DELETE FROM task_procs WHERE task = ?1",
                                    "DELETE FROM task_tags WHERE task = ?1", "DELETE FROM tasks WHERE id = ?1"};
  for (size_t i = 0; i < sizeof sql / sizeof *sql; i++) {
    sqlite3_stmt *st;
    if (sqlite3_prepare_v2(db, sql[i], -1, &st, NULL) != SQLITE_OK) return -EIO;
    sqlite3_bind_int64(st, 1, id);
    int rc = sqlite3_step(st);
    sqlite3_finalize(st);
    if (rc != SQLITE_DONE) return -EIO;
  }
  return 0;
}

/* The next task to delete, or 0 with *id unset. */
static int next_victim(sqlite3 *db, const xt__retain_limits *lim, int64_t now_us, int64_t target_bytes,
                       int64_t *id) {
  sqlite3_stmt *st;
  int by_age = lim->max_age_us > 0;
  if (by_age) {
    if (sqlite3_prepare_v2(db, "SELECT id FROM tasks WHERE last < ?1 ORDER BY last LIMIT 1", -1, &st, NULL) !=
        SQLITE_OK)
      return -EIO;
    sqlite3_bind_int64(st, 1, now_us - lim->max_age_us);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) *id = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    if (rc == SQLITE_ROW) return 1;
    if (rc != SQLITE_DONE) return -EIO;
  }
  if (target_bytes <= 0) return 0;
  int64_t used = xt__retain_used_bytes(db);
  if (used < 0) return -EIO;
  if (used <= target_bytes) return 0;
  if (sqlite3_prepare_v2(db, "SELECT id FROM tasks ORDER BY last LIMIT 1", -1, &st, NULL) != SQLITE_OK) return -EIO;
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) *id = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -EIO;
}

int xt__retain_step(sqlite3 *db, const xt__retain_limits *lim, int64_t now_us, int64_t target_bytes,
                    int max_tasks) {
  if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) return -EIO;
  int n = 0, rc = 0;
  int64_t id;
  while (n < max_tasks && (rc = next_victim(db, lim, now_us, target_bytes, &id)) == 1) {
    if ((rc = delete_task(db, id)) < 0) break;
    n++;
  }
  if (rc < 0 || sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
    xt__log("retain", "deleting old tasks: %s", sqlite3_errmsg(db));
    sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
    return -EIO;
  }
  atomic_fetch_add_explicit(&xt__g_stats.tasks_deleted, (uint64_t)n, memory_order_relaxed);
  return n;
}

struct xt__retain {
  sqlite3 *db;
  const xt__ch_url *ch; /* or ClickHouse */
  xt__retain_limits lim;
  pthread_t thread;
  xt__ticker tick;
};

static int64_t wall_us(void) {
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int pause_ms(xt__retain *r, int ms) { return xt__ticker_pause(&r->tick, ms); }

/* Drops old day partitions on every node; a node that cannot be reached is
 * tried again at the next check (the writer reports the outage). */
static void ch_step(xt__retain *r) {
  for (int i = 0; i < r->ch->nnodes; i++) {
    xt__ch *c;
    if (xt__ch_open(&c, r->ch, i, 30000) < 0) return;
    int n = xt__chschema_drop_before(c, r->ch, wall_us() - r->lim.max_age_us);
    if (n > 0) {
      atomic_fetch_add_explicit(&xt__g_stats.partitions_dropped, (unsigned)n, memory_order_relaxed);
      xt__log("retain", "dropped %d day partitions on %s", n, r->ch->nodes[i]);
    }
    xt__ch_close(c);
  }
}

/* Once a second: delete what is past the limits, a step at a time with a
 * short pause between steps so the writer gets the lock. */
static void *run(void *arg) {
  xt__retain *r = arg;
  pthread_setname_np(pthread_self(), "xt-retain");
  int64_t target = 0;
  while (!pause_ms(r, CHECK_MS)) {
    if (r->ch) {
      ch_step(r);
      continue;
    }
    if (r->lim.max_bytes > 0) {
      int64_t used = xt__retain_used_bytes(r->db);
      target = used > r->lim.max_bytes ? r->lim.max_bytes / 100 * TRIM_PERCENT : 0;
    }
    int n;
    while ((n = xt__retain_step(r->db, &r->lim, wall_us(), target, STEP_TASKS)) > 0)
      if (pause_ms(r, 5)) return NULL;
  }
  return NULL;
}

int xt__retain_start(xt__retain **out, const xt__location *loc, const xt__retain_limits *lim) {
  *out = NULL;
  if (lim->max_age_us <= 0 && lim->max_bytes <= 0) return 0;
  xt__retain *r = calloc(1, sizeof *r);
  if (!r) return -ENOMEM;
  r->lim = *lim;
  r->ch = loc->ch;
  char path[PATH_MAX];
  if (!r->ch) snprintf(path, sizeof path, "%s/%s", loc->dir, XT_DB_FILE);
  if (!r->ch && sqlite3_open_v2(path, &r->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
    sqlite3_close(r->db);
    free(r);
    return -EIO;
  }
  if (r->db) sqlite3_busy_timeout(r->db, 5000);
  xt__ticker_init(&r->tick);
  int rc = pthread_create(&r->thread, NULL, run, r);
  if (rc) {
    sqlite3_close(r->db);
    free(r);
    return -rc;
  }
  *out = r;
  return 0;
}

void xt__retain_stop(xt__retain *r) {
  if (!r) return;
  xt__ticker_stop(&r->tick);
  pthread_join(r->thread, NULL);
  sqlite3_close(r->db);
  xt__ticker_destroy(&r->tick);
  free(r);
}
