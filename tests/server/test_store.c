/* Unit tests for the store: batched writes, group commit, the per-task
 * summaries, the read-side queries, and the event ring that announces
 * changed tasks. */
#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "events.h"
#include "log.h"
#include "query.h"
#include "queue.h"
#include "report.h"
#include "retain.h"
#include "search.h"
#include "stats.h"
#include "store.h"

#include "store_fixture.h"

typedef struct rep {
  int64_t task, event, ts;
  const char *label, *host;
  int pid;
  const char *tag;
} rep;

/* A rep.host that leaves the field out; a negative rep.pid leaves ProcessID out. */
static const char NOHOST[] = "(none)";

static void add(xt__batch *b, rep r) {
  Pubsub__XTraceReportv4 m = PUBSUB__XTRACE_REPORTV4__INIT;
  m.has_task_id = m.has_event_id = m.has_timestamp = m.has_process_id = 1;
  m.task_id = r.task;
  m.event_id = r.event;
  m.timestamp = r.ts;
  m.label = (char *)r.label;
  m.host = r.host == NOHOST ? NULL : (char *)(r.host ? r.host : "h");
  if (r.pid < 0) m.has_process_id = 0, r.pid = 0;
  m.process_id = r.pid;
  m.process_name = "proc";
  char *tag = (char *)r.tag;
  if (tag) m.n_tags = 1, m.tags = &tag;
  uint8_t raw[512];
  size_t len = pubsub__xtrace_reportv4__pack(&m, raw);
  Pubsub__XTraceReportv4 *d;
  assert_int_equal(xt__report_decode(raw, len, &b->arena, &d), 0);
  assert_int_equal(xt__batch_add(b, d, xt__report_time(d, 0), raw, len), 0);
}

static void apply(fx *f, xt__batch *b) {
  assert_int_equal(xt__store_apply(f->s, b), 0);
  xt__batch_free(b);
}

static char *tasks_json(fx *f, xt__task_filter flt) {
  xt__buf b;
  xt__buf_init(&b);
  if (!flt.limit) flt.limit = 100;
  assert_int_equal(xt__query_tasks(f->db, &flt, &b), 0);
  return xt__buf_steal(&b, NULL);
}

static char *task_json(fx *f, int64_t id) {
  xt__buf b;
  xt__buf_init(&b);
  assert_int_equal(xt__query_task(f->db, id, &b), 0);
  return xt__buf_steal(&b, NULL);
}

static void expect_task(fx *f, int64_t id, const char *want) {
  char *got = task_json(f, id);
  assert_string_equal(got, want);
  free(got);
}

static void test_summary_counts_reports_processes_and_hosts(void **st) {
  fx *f = *st;
  xt__batch *b = xt__batch_new();
  add(b, (rep){1, 1, 1700000000000000, "a", "h1", 10, NULL});
  add(b, (rep){1, 2, 1700000000000010, "b", "h1", 10, NULL});
  add(b, (rep){1, 3, 1700000000000020, "c", "h1", 11, NULL});
  add(b, (rep){1, 4, 1700000000000030, "d", "h2", 10, NULL});
  apply(f, b);
  expect_task(f, 1, "{\"id\":\"0000000000000001\",\"title\":\"a\",\"reports\":4,\"processes\":3,\"hosts\":2,"
                    "\"first\":1700000000000000,\"last\":1700000000000030,\"tags\":[]}");
}

/* A Go client beside the preload on one machine sends no Host: that is not
 * a second host. A report without a ProcessID is not another process, and
 * one without a Host but with the PID of a process seen with one is that
 * process. */
static void test_reports_without_host_or_pid_add_no_host_or_process(void **st) {
  fx *f = *st;
  xt__batch *b = xt__batch_new();
  add(b, (rep){1, 1, 1700000000000000, "a", "vm", 10, NULL});
  add(b, (rep){1, 2, 1700000000000010, "b", NOHOST, 20, NULL});
  add(b, (rep){1, 3, 1700000000000020, "c", NOHOST, 10, NULL});
  add(b, (rep){1, 4, 1700000000000030, "d", "vm", -1, NULL});
  add(b, (rep){1, 5, 1700000000000040, "e", NOHOST, -1, NULL});
  apply(f, b);
  expect_task(f, 1, "{\"id\":\"0000000000000001\",\"title\":\"a\",\"reports\":5,\"processes\":2,\"hosts\":1,"
                    "\"first\":1700000000000000,\"last\":1700000000000040,\"tags\":[]}");
  /* Nothing but reports from nowhere: still one (unknown) host and process. */
  b = xt__batch_new();
  add(b, (rep){2, 1, 1700000000000000, "x", NOHOST, -1, NULL});
  apply(f, b);
  char *got = task_json(f, 2);
  assert_non_null(strstr(got, "\"reports\":1,\"processes\":1,\"hosts\":1,"));
  free(got);
}

static void test_title_is_earliest_label_across_batches(void **st) {
  fx *f = *st;
  xt__batch *b = xt__batch_new();
  add(b, (rep){5, 1, 1700000000000500, "late", NULL, 1, NULL});
  apply(f, b);
  b = xt__batch_new();
  add(b, (rep){5, 2, 1700000000000100, "early", NULL, 1, NULL});
  add(b, (rep){5, 3, 1700000000000900, "latest", NULL, 1, NULL});
  apply(f, b);
  char *got = task_json(f, 5);
  assert_non_null(strstr(got, "\"title\":\"early\",\"reports\":3,\"processes\":1,\"hosts\":1,"
                              "\"first\":1700000000000100,\"last\":1700000000000900"));
  free(got);
}

static void test_title_tie_goes_to_first_arrival(void **st) {
  fx *f = *st;
  xt__batch *b = xt__batch_new();
  add(b, (rep){6, 1, 1700000000000000, "first", NULL, 1, NULL});
  add(b, (rep){6, 2, 1700000000000000, "second", NULL, 1, NULL});
  apply(f, b);
  char *got = task_json(f, 6);
  assert_non_null(strstr(got, "\"title\":\"first\""));
  free(got);
}

static void test_tags_are_distinct_and_sorted(void **st) {
  fx *f = *st;
  xt__batch *b = xt__batch_new();
  add(b, (rep){7, 1, 1700000000000000, "x", NULL, 1, "zeta"});
  add(b, (rep){7, 2, 1700000000000001, "x", NULL, 1, "alpha"});
  add(b, (rep){7, 3, 1700000000000002, "x", NULL, 1, "zeta"});
  apply(f, b);
  char *got = task_json(f, 7);
  assert_non_null(strstr(got, "\"tags\":[\"alpha\",\"zeta\"]"));
  free(got);
}

static void test_many_processes_in_one_batch_are_all_counted(void **st) {
  fx *f = *st;
  xt__batch *b = xt__batch_new();
  for (int i = 0; i < 30; i++) add(b, (rep){8, i + 1, 1700000000000000 + i, "x", NULL, 100 + i % 20, NULL});
  apply(f, b);
  b = xt__batch_new();
  add(b, (rep){8, 99, 1700000000000100, "x", NULL, 100, NULL});
  add(b, (rep){8, 98, 1700000000000100, "x", NULL, 500, NULL});
  apply(f, b);
  char *got = task_json(f, 8);
  assert_non_null(strstr(got, "\"reports\":32,\"processes\":21,\"hosts\":1"));
  free(got);
}

/* Three tasks in a list of three batches; the first task has more processes
 * than the summary keeps in memory, so its rows are written while the list
 * is still being applied. */
static xt__batch *three_batches(void) {
  xt__batch *a = xt__batch_new(), *b = xt__batch_new(), *c = xt__batch_new();
  for (int i = 0; i < 12; i++) add(a, (rep){9, 1 + i, 1700000000000000 + i, "x", NULL, 100 + i, "t"});
  add(b, (rep){10, 20, 1700000000000100, "y", NULL, 1, "t"});
  add(c, (rep){11, 30, 1700000000000200, "z", NULL, 1, "t"});
  a->next = b;
  b->next = c;
  return a;
}

static void free_batches(xt__batch *list) {
  while (list) {
    xt__batch *next = list->next;
    xt__batch_free(list);
    list = next;
  }
}

static int64_t rows(sqlite3 *db, const char *table) {
  char sql[64];
  snprintf(sql, sizeof sql, "SELECT count(*) FROM %s", table);
  sqlite3_stmt *st;
  assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
  assert_int_equal(sqlite3_step(st), SQLITE_ROW);
  int64_t n = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  return n;
}

/* A failure in the middle of a list of batches (injected by a trigger, on
 * the second task's stored reports, after the first task's rows are
 * written) leaves nothing of any batch of the list behind. */
static void test_a_list_of_batches_is_one_transaction(void **st) {
  fx *f = *st;
  char path[128];
  snprintf(path, sizeof path, "%s/%s", f->dir, XT_DB_FILE);
  sqlite3 *rw;
  assert_int_equal(sqlite3_open_v2(path, &rw, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
  assert_int_equal(sqlite3_exec(rw,
                                "CREATE TRIGGER fail_task_10 BEFORE INSERT ON chunks WHEN NEW.task = 10"
                                " BEGIN SELECT RAISE(ABORT, 'injected failure'); END",
                                NULL, NULL, NULL),
                   SQLITE_OK);
  xt__batch *list = three_batches();
  assert_int_equal(xt__store_apply(f->s, list), -EIO);
  free_batches(list);
  static const char *const tables[] = {"tasks", "task_procs", "task_tags", "chunks"};
  for (size_t i = 0; i < sizeof tables / sizeof *tables; i++) assert_int_equal(rows(rw, tables[i]), 0);

  /* Without the failure the same list is stored whole, through the same store. */
  assert_int_equal(sqlite3_exec(rw, "DROP TRIGGER fail_task_10", NULL, NULL, NULL), SQLITE_OK);
  list = three_batches();
  assert_int_equal(xt__store_apply(f->s, list), 0);
  free_batches(list);
  assert_int_equal(rows(rw, "tasks"), 3);
  assert_int_equal(rows(rw, "task_procs"), 14);
  assert_int_equal(rows(rw, "task_tags"), 3);
  sqlite3_close(rw);
}

static void test_unknown_task_is_enoent(void **st) {
  fx *f = *st;
  xt__buf b;
  xt__buf_init(&b);
  assert_int_equal(xt__query_task(f->db, 12345, &b), -ENOENT);
  xt__buf_free(&b);
}

static void seed_three(fx *f) {
  xt__batch *b = xt__batch_new();
  add(b, (rep){0x10, 1, 1700000000000000, "oldest 100%", NULL, 1, "blue"});
  add(b, (rep){0x20, 2, 1700000000001000, "middle", NULL, 2, NULL});
  add(b, (rep){0x20, 3, 1700000000001001, "deep label", NULL, 2, "red"});
  add(b, (rep){0x30, 4, 1700000000002000, "newest", NULL, 3, NULL});
  apply(f, b);
}

static void expect_ids(fx *f, xt__task_filter flt, const char *want) {
  char *got = tasks_json(f, flt);
  /* Keep only the id values, in order. */
  char ids[256] = "";
  for (const char *p = got; (p = strstr(p, "\"id\":\"")) != NULL; p += 6) {
    strncat(ids, p + 6 + 14, 2);
    strcat(ids, " ");
  }
  assert_string_equal(ids, want);
  free(got);
}

static void test_tasks_are_listed_newest_first(void **st) {
  fx *f = *st;
  seed_three(f);
  expect_ids(f, (xt__task_filter){0}, "30 20 10 ");
}

static void test_tasks_limit_and_offset(void **st) {
  fx *f = *st;
  seed_three(f);
  expect_ids(f, (xt__task_filter){.limit = 1, .offset = 1}, "20 ");
  expect_ids(f, (xt__task_filter){.limit = 5, .offset = 3}, "");
}

static void test_q_matches_any_label_of_a_task(void **st) {
  fx *f = *st;
  seed_three(f);
  expect_ids(f, (xt__task_filter){.q = "deep"}, "20 ");
}

static void test_q_wildcards_match_only_themselves(void **st) {
  fx *f = *st;
  seed_three(f);
  expect_ids(f, (xt__task_filter){.q = "%"}, "10 ");
  expect_ids(f, (xt__task_filter){.q = "_"}, "");
  expect_ids(f, (xt__task_filter){.q = "'; DROP TABLE tasks; --"}, "");
  expect_ids(f, (xt__task_filter){0}, "30 20 10 ");
}

static sqlite3 *open_rw(fx *f) {
  char path[128];
  snprintf(path, sizeof path, "%s/%s", f->dir, XT_DB_FILE);
  sqlite3 *rw;
  assert_int_equal(sqlite3_open_v2(path, &rw, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK);
  return rw;
}

static void index_all(sqlite3 *db) {
  int n;
  while ((n = xt__search_index_step(db, 2)) > 0) {
  }
  assert_int_equal(n, 0);
  assert_int_equal(xt__search_lag(db), 0);
}

static void check_index(sqlite3 *db) {
  assert_int_equal(
      sqlite3_exec(db, "INSERT INTO labels_fts(labels_fts) VALUES('integrity-check')", NULL, NULL, NULL),
      SQLITE_OK);
}

/* Chunks the index has not reached yet are found by a scan; once indexed,
 * the same q finds the same tasks. */
static void test_q_finds_chunks_before_and_after_indexing(void **st) {
  fx *f = *st;
  seed_three(f);
  sqlite3 *rw = open_rw(f);
  assert_int_equal(xt__search_lag(rw), 3);
  expect_ids(f, (xt__task_filter){.q = "DEEP lab"}, "20 ");
  expect_ids(f, (xt__task_filter){.q = "middle\ndeep"}, "20 ");
  expect_ids(f, (xt__task_filter){.q = "100%"}, "10 ");
  index_all(rw);
  check_index(rw);
  expect_ids(f, (xt__task_filter){.q = "DEEP lab"}, "20 ");
  expect_ids(f, (xt__task_filter){.q = "middle\ndeep"}, "20 ");
  expect_ids(f, (xt__task_filter){.q = "100%"}, "10 ");
  expect_ids(f, (xt__task_filter){.q = "1_0"}, "");
  expect_ids(f, (xt__task_filter){.q = "e"}, "30 20 10 ");
  sqlite3_close(rw);
}

/* Text written behind the index's back is not found by a q of three
 * characters or more: such a q is answered from the index. A shorter q
 * cannot use trigrams and scans. */
static void test_q_is_answered_from_the_full_text_index(void **st) {
  fx *f = *st;
  seed_three(f);
  sqlite3 *rw = open_rw(f);
  index_all(rw);
  assert_int_equal(sqlite3_exec(rw, "UPDATE chunks SET labels = 'deep' WHERE task = 48", NULL, NULL, NULL),
                   SQLITE_OK);
  sqlite3_close(rw);
  expect_ids(f, (xt__task_filter){.q = "deep"}, "20 ");
  expect_ids(f, (xt__task_filter){.q = "ep"}, "30 20 ");
}

/* A q held by more chunks than the candidate bound walks the tasks newest
 * first; one held by a few collects their tasks. Both check the text
 * exactly: a chunk that holds every trigram of q but not q is no match. */
static void test_q_with_many_or_few_candidates(void **st) {
  fx *f = *st;
  xt__batch *b = xt__batch_new();
  char labels[2100][32];
  for (int i = 0; i < 2100; i++) {
    snprintf(labels[i], sizeof labels[i], "needle %d hay", i);
    add(b, (rep){0x1000 + i, 1, 1700000000000000 + i, labels[i], NULL, 1, NULL});
  }
  add(b, (rep){0x9000, 1, 1600000000000000, "xyz-abc", NULL, 1, NULL});
  apply(f, b);
  sqlite3 *rw = open_rw(f);
  index_all(rw);
  sqlite3_close(rw);
  char *got = tasks_json(f, (xt__task_filter){.q = "NEEDLE", .limit = 3});
  assert_non_null(strstr(got, "[{\"id\":\"0000000000001833\""));
  assert_non_null(strstr(got, "},{\"id\":\"0000000000001832\""));
  assert_non_null(strstr(got, "},{\"id\":\"0000000000001831\""));
  free(got);
  got = tasks_json(f, (xt__task_filter){.q = "needle 7 hay"});
  assert_non_null(strstr(got, "[{\"id\":\"0000000000001007\""));
  assert_null(strstr(got, "},{"));
  free(got);
  expect_ids(f, (xt__task_filter){.q = "abcxyz"}, "");
  expect_ids(f, (xt__task_filter){.q = "xyz-a"}, "00 ");
}

/* Deleting chunks takes their labels out of the index, and a chunk stored
 * after the last one was deleted does not take its rowid (which the index
 * has seen) but a new one, and is indexed. */
static void test_deleted_chunks_leave_the_index(void **st) {
  fx *f = *st;
  seed_three(f);
  sqlite3 *rw = open_rw(f);
  index_all(rw);
  assert_int_equal(sqlite3_exec(rw, "DELETE FROM chunks WHERE task IN (32, 48)", NULL, NULL, NULL), SQLITE_OK);
  check_index(rw);
  expect_ids(f, (xt__task_filter){.q = "deep"}, "");
  xt__batch *b = xt__batch_new();
  add(b, (rep){0x40, 9, 1700000000009000, "later label", NULL, 4, NULL});
  apply(f, b);
  assert_int_equal(xt__search_lag(rw), 1);
  index_all(rw);
  check_index(rw);
  expect_ids(f, (xt__task_filter){.q = "later"}, "40 ");
  sqlite3_close(rw);
}

static int64_t scalar_of(sqlite3 *db, const char *sql) {
  sqlite3_stmt *st;
  assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &st, NULL), SQLITE_OK);
  assert_int_equal(sqlite3_step(st), SQLITE_ROW);
  int64_t v = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  return v;
}

/* Tasks whose last report is past the age limit go, each with every row of
 * it (and its labels out of the search index); the others stay. */
static void test_retention_deletes_old_tasks_whole(void **st) {
  fx *f = *st;
  seed_three(f);
  sqlite3 *rw = open_rw(f);
  index_all(rw);
  xt__retain_limits lim = {.max_age_us = 1000};
  assert_int_equal(xt__retain_step(rw, &lim, 1700000000002500, 0, 8), 2);
  assert_int_equal(xt__retain_step(rw, &lim, 1700000000002500, 0, 8), 0);
  check_index(rw);
  assert_int_equal(scalar_of(rw, "SELECT count(*) FROM tasks"), 1);
  assert_int_equal(scalar_of(rw, "SELECT count(*) FROM chunks WHERE task <> 48"), 0);
  assert_int_equal(scalar_of(rw, "SELECT count(*) FROM task_procs WHERE task <> 48"), 0);
  assert_int_equal(scalar_of(rw, "SELECT count(*) FROM task_tags WHERE task <> 48"), 0);
  sqlite3_close(rw);
  expect_ids(f, (xt__task_filter){0}, "30 ");
  expect_ids(f, (xt__task_filter){.q = "deep"}, "");
}

/* Past the size bound, the least recently active tasks go first, whole,
 * until the pages in use are back under it. */
static void test_size_bound_deletes_least_recently_active_first(void **st) {
  fx *f = *st;
  char label[301];
  memset(label, 'x', 300);
  label[300] = 0;
  xt__batch *b = xt__batch_new();
  for (int t = 0; t < 60; t++)
    for (int i = 0; i < 40; i++) add(b, (rep){0x100 + t, i + 1, 1700000000000000 + t * 1000 + i, label, NULL, 1, NULL});
  apply(f, b);
  sqlite3 *rw = open_rw(f);
  index_all(rw);
  int64_t used = xt__retain_used_bytes(rw), target = used / 2;
  xt__retain_limits lim = {.max_bytes = target};
  int n = xt__retain_step(rw, &lim, 0, target, 1000);
  assert_true(n > 0 && n < 60);
  assert_true(xt__retain_used_bytes(rw) <= target);
  /* The survivors are the most recent tasks, each whole. */
  assert_int_equal(scalar_of(rw, "SELECT min(id) FROM tasks"), 0x100 + n);
  assert_int_equal(scalar_of(rw, "SELECT count(*) FROM tasks t WHERE reports <>"
                                 " (SELECT sum(n) FROM chunks c WHERE c.task = t.id)"),
                   0);
  assert_int_equal(scalar_of(rw, "SELECT count(DISTINCT task) FROM chunks"), 60 - n);
  check_index(rw);
  sqlite3_close(rw);
}

/* A database written before the index existed (schema version 2) is
 * searchable at once when the server opens it, and indexed like new data. */
static void test_older_database_is_indexed_when_opened(void **st) {
  (void)st;
  char dir[64] = "/tmp/xtstore.XXXXXX", path[128];
  assert_non_null(mkdtemp(dir));
  snprintf(path, sizeof path, "%s/%s", dir, XT_DB_FILE);
  sqlite3 *db;
  assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
  assert_int_equal(
      sqlite3_exec(db,
                   "CREATE TABLE chunks(task INTEGER NOT NULL, first INTEGER NOT NULL,"
                   " n INTEGER NOT NULL, labels TEXT NOT NULL, data BLOB NOT NULL);"
                   "CREATE INDEX chunks_task ON chunks(task);"
                   "CREATE TABLE tasks(id INTEGER PRIMARY KEY, title TEXT NOT NULL,"
                   " first INTEGER NOT NULL, last INTEGER NOT NULL, reports INTEGER NOT NULL,"
                   " processes INTEGER NOT NULL, hosts INTEGER NOT NULL);"
                   "CREATE INDEX tasks_first ON tasks(first);"
                   "CREATE TABLE task_procs(task INTEGER NOT NULL, host TEXT NOT NULL,"
                   " pid INTEGER NOT NULL, name TEXT NOT NULL, PRIMARY KEY(task, host, pid)) WITHOUT ROWID;"
                   "CREATE TABLE task_tags(task INTEGER NOT NULL, tag TEXT NOT NULL,"
                   " PRIMARY KEY(task, tag)) WITHOUT ROWID;"
                   "CREATE INDEX task_tags_tag ON task_tags(tag);"
                   "PRAGMA user_version=2;"
                   "INSERT INTO tasks VALUES(5, 'old', 1, 2, 2, 1, 1), (6, 'other', 3, 3, 1, 1, 1);"
                   "INSERT INTO chunks VALUES(5, 1, 2, 'old\nlegacy label', x''), (6, 3, 1, 'other', x'');",
                   NULL, NULL, NULL),
      SQLITE_OK);
  sqlite3_close(db);
  xt__queue q;
  xt__queue_init(&q, 1 << 20);
  xt__store *s;
  assert_int_equal(xt__store_open(&s, dir, &q), 0);
  fx f = {.db = NULL};
  assert_int_equal(xt__db_open_read(dir, &f.db), 0);
  expect_ids(&f, (xt__task_filter){.q = "legacy"}, "05 ");
  assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
  assert_int_equal(xt__search_lag(db), 2);
  index_all(db);
  check_index(db);
  expect_ids(&f, (xt__task_filter){.q = "legacy"}, "05 ");
  expect_ids(&f, (xt__task_filter){.q = "other"}, "06 ");
  sqlite3_close(db);
  sqlite3_close(f.db);
  xt__store_free(s);
  xt__queue_destroy(&q);
  char cmd[128];
  snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
  assert_int_equal(system(cmd), 0);
}

static void test_tag_and_process_filters(void **st) {
  fx *f = *st;
  seed_three(f);
  expect_ids(f, (xt__task_filter){.tag = "red"}, "20 ");
  expect_ids(f, (xt__task_filter){.tag = "re"}, "");
  expect_ids(f, (xt__task_filter){.process = "roc"}, "30 20 10 ");
  expect_ids(f, (xt__task_filter){.process = "nothing"}, "");
}

typedef struct seen {
  int n;
  int64_t ts[8];
  char labels[8][16];
} seen;

static int on_rep(void *arg, const Pubsub__XTraceReportv4 *m, int64_t ts) {
  seen *s = arg;
  s->ts[s->n] = ts;
  snprintf(s->labels[s->n++], 16, "%s", m->label);
  return 0;
}

static void test_reports_come_back_in_time_order(void **st) {
  fx *f = *st;
  xt__batch *b = xt__batch_new();
  add(b, (rep){0x40, 1, 1700000000000300, "third", NULL, 1, NULL});
  add(b, (rep){0x40, 2, 1700000000000, "first-ms", NULL, 1, NULL}); /* milliseconds */
  add(b, (rep){0x40, 3, 1700000000000200, "second", NULL, 1, NULL});
  apply(f, b);
  seen s = {0};
  assert_int_equal(xt__query_reports(f->db, 0x40, on_rep, &s), 3);
  assert_string_equal(s.labels[0], "first-ms");
  assert_int_equal(s.ts[0], 1700000000000000);
  assert_string_equal(s.labels[1], "second");
  assert_string_equal(s.labels[2], "third");
}

static void test_reports_survive_reopening(void **st) {
  fx *f = *st;
  xt__batch *b = xt__batch_new();
  add(b, (rep){0x50, 1, 1700000000000000, "kept", NULL, 1, NULL});
  apply(f, b);
  xt__store_free(f->s);
  assert_int_equal(xt__store_open(&f->s, f->dir, &f->q), 0);
  b = xt__batch_new();
  add(b, (rep){0x50, 2, 1700000000000001, "more", NULL, 1, NULL});
  apply(f, b);
  char *got = task_json(f, 0x50);
  assert_non_null(strstr(got, "\"title\":\"kept\",\"reports\":2"));
  free(got);
}

static void test_queue_hands_over_batches_in_order(void **st) {
  (void)st;
  xt__queue q;
  xt__queue_init(&q, 1 << 20);
  xt__batch *a = xt__queue_get_spare(&q), *b = xt__queue_get_spare(&q);
  add(a, (rep){1, 1, 1, "a", NULL, 1, NULL});
  add(b, (rep){1, 2, 2, "b", NULL, 1, NULL});
  xt__queue_push(&q, a);
  xt__queue_push(&q, b);
  xt__queue_close(&q);
  xt__batch *list = xt__queue_pop_group(&q, 0, 0);
  assert_ptr_equal(list, a);
  assert_ptr_equal(list->next, b);
  assert_null(xt__queue_pop_group(&q, 0, 0));
  xt__queue_recycle(&q, list);
  xt__batch *reused = xt__queue_get_spare(&q);
  assert_int_equal(reused->n, 0);
  xt__batch_free(reused);
  xt__queue_destroy(&q);
}

/* Group commit: the queue side. A wait that is broken would not return
 * early but late (an hour), so these tests fail by timing out, never by a
 * measured duration. */

#define HOUR_NS (INT64_C(3600) * 1000000000)

static xt__batch *batch_of(int n) {
  xt__batch *b = xt__batch_new();
  for (int i = 0; i < n; i++) add(b, (rep){1, i + 1, 1700000000000000, "x", NULL, 1, NULL});
  return b;
}

static size_t count(const xt__batch *list) {
  size_t n = 0;
  for (; list; list = list->next) n++;
  return n;
}

static void free_list(xt__batch *list) {
  for (xt__batch *n; list; list = n) {
    n = list->next;
    xt__batch_free(list);
  }
}

static void test_group_waits_for_its_deadline(void **st) {
  (void)st;
  xt__queue q;
  xt__queue_init(&q, 1 << 20);
  xt__queue_push(&q, batch_of(1));
  xt__queue_push(&q, batch_of(1));
  int64_t deadline = xt__queue_clock_ns() + 30 * 1000000;
  xt__batch *list = xt__queue_pop_group(&q, deadline, 1 << 20);
  assert_true(xt__queue_clock_ns() >= deadline);
  assert_int_equal(count(list), 2);
  free_list(list);
  xt__queue_destroy(&q);
}

static void test_group_that_is_big_enough_is_taken_before_its_deadline(void **st) {
  (void)st;
  xt__queue q;
  xt__queue_init(&q, 64 << 20);
  xt__batch *b = batch_of(10);
  size_t w = xt__batch_weight(b);
  xt__queue_push(&q, b);
  xt__batch *list = xt__queue_pop_group(&q, xt__queue_clock_ns() + HOUR_NS, w);
  assert_ptr_equal(list, b);
  free_list(list);
  xt__queue_destroy(&q);
}

/* Otherwise push would block on the bound while the writer waits. */
static void test_full_queue_is_always_big_enough(void **st) {
  (void)st;
  xt__queue q;
  xt__batch *b = batch_of(10);
  xt__queue_init(&q, xt__batch_weight(b));
  xt__queue_push(&q, b);
  xt__batch *list = xt__queue_pop_group(&q, xt__queue_clock_ns() + HOUR_NS, SIZE_MAX);
  assert_ptr_equal(list, b);
  free_list(list);
  xt__queue_destroy(&q);
}

typedef struct popper {
  xt__queue *q;
  int64_t deadline;
  size_t enough;
  xt__batch *got;
  pthread_t t;
  _Atomic pid_t tid;
  atomic_bool done;
} popper;

static void *pop_thread(void *arg) {
  popper *p = arg;
  atomic_store(&p->tid, gettid());
  p->got = xt__queue_pop_group(p->q, p->deadline, p->enough);
  atomic_store(&p->done, true);
  return NULL;
}

static void start_popper(popper *p, xt__queue *q, int64_t deadline, size_t enough) {
  *p = (popper){.q = q, .deadline = deadline, .enough = enough};
  assert_int_equal(pthread_create(&p->t, NULL, pop_thread, p), 0);
}

static void pause_ms(long ms) {
  struct timespec ts = {0, ms * 1000000};
  nanosleep(&ts, NULL);
}

/* The kernel's word for a thread: R running, S asleep (here: on the queue's
 * condition variable, the only thing it can block on), ... */
static char thread_state(pid_t tid) {
  char path[64], buf[256];
  snprintf(path, sizeof path, "/proc/self/task/%d/stat", (int)tid);
  FILE *fp = fopen(path, "r");
  if (!fp) return '?';
  size_t n = fread(buf, 1, sizeof buf - 1, fp);
  fclose(fp);
  buf[n] = '\0';
  const char *close_paren = strrchr(buf, ')');
  return close_paren && close_paren[1] == ' ' ? close_paren[2] : '?';
}

/* Until the popper is waiting inside pop_group (or has returned, which the
 * test's assertions then catch): the push that follows comes after the
 * wait began, not before it. */
static void wait_until_waiting(popper *p) {
  for (int i = 0; i < 10000; i++) {
    if (atomic_load(&p->done)) return;
    pid_t tid = atomic_load(&p->tid);
    if (tid && thread_state(tid) == 'S') return;
    pause_ms(1);
  }
  fail_msg("the popper neither waited nor returned");
}

/* The writer waits with push told to wake it only at `enough` bytes: the
 * batch that gets there must wake it. */
static void test_push_that_fills_the_group_wakes_the_writer(void **st) {
  (void)st;
  xt__queue q;
  xt__queue_init(&q, 64 << 20);
  xt__batch *first = batch_of(1);
  size_t w = xt__batch_weight(first);
  xt__queue_push(&q, first);
  popper p;
  start_popper(&p, &q, xt__queue_clock_ns() + HOUR_NS, 3 * w);
  wait_until_waiting(&p);
  xt__queue_push(&q, batch_of(1));
  xt__queue_push(&q, batch_of(1));
  pthread_join(p.t, NULL);
  assert_int_equal(count(p.got), 3);
  free_list(p.got);
  xt__queue_destroy(&q);
}

static void test_close_ends_the_wait_and_hands_over_the_rest(void **st) {
  (void)st;
  xt__queue q;
  xt__queue_init(&q, 1 << 20);
  xt__queue_push(&q, batch_of(1));
  popper p;
  start_popper(&p, &q, xt__queue_clock_ns() + HOUR_NS, 1 << 20);
  wait_until_waiting(&p);
  xt__queue_close(&q);
  pthread_join(p.t, NULL);
  assert_int_equal(count(p.got), 1);
  free_list(p.got);
  assert_null(xt__queue_pop_group(&q, xt__queue_clock_ns() + HOUR_NS, 1 << 20));
  xt__queue_destroy(&q);
}

static void test_empty_queue_waits_for_a_batch_even_past_the_deadline(void **st) {
  (void)st;
  xt__queue q;
  xt__queue_init(&q, 1 << 20);
  popper p;
  start_popper(&p, &q, 0, 1 << 20);
  wait_until_waiting(&p);
  xt__batch *b = batch_of(1);
  xt__queue_push(&q, b);
  pthread_join(p.t, NULL);
  assert_ptr_equal(p.got, b);
  free_list(p.got);
  xt__queue_destroy(&q);
}

/* Group commit: the writer. With a long interval the grouping is
 * deterministic: the first batch is committed at once (no commit yet), the
 * ones after it wait, and closing the queue commits them together. */

static void wait_stored(uint64_t want) {
  for (int i = 0; i < 2000 && atomic_load(&xt__g_stats.stored) < want; i++) pause_ms(5);
  assert_true(atomic_load(&xt__g_stats.stored) >= want);
}

static void test_writer_groups_batches_and_commits_them_at_close(void **st) {
  fx *f = *st;
  uint64_t stored = atomic_load(&xt__g_stats.stored), commits = atomic_load(&xt__g_stats.batches);
  xt__store_set_commit_interval(f->s, 600000);
  assert_int_equal(xt__store_start(f->s), 0);
  xt__queue_push(&f->q, batch_of(1));
  wait_stored(stored + 1);
  /* Small batches, together well under an eighth of the 1 MiB bound. */
  size_t queued = 0;
  for (int i = 0; i < 3; i++) {
    xt__batch *b = batch_of(2);
    queued += xt__batch_weight(b);
    xt__queue_push(&f->q, b);
  }
  assert_true(queued < (1u << 20) / 8);
  xt__queue_close(&f->q);
  xt__store_join(f->s);
  /* Two commits in all: the three small batches went in one, so none was
   * committed on its own before the close. */
  assert_int_equal(atomic_load(&xt__g_stats.stored), stored + 7);
  assert_int_equal(atomic_load(&xt__g_stats.batches), commits + 2);
  expect_ids(f, (xt__task_filter){0}, "01 ");
}

static void test_writer_commits_a_large_group_without_waiting(void **st) {
  fx *f = *st;
  uint64_t stored = atomic_load(&xt__g_stats.stored);
  xt__store_set_commit_interval(f->s, 600000);
  assert_int_equal(xt__store_start(f->s), 0);
  xt__queue_push(&f->q, batch_of(1));
  wait_stored(stored + 1);
  /* More than an eighth of the fixture's 1 MiB bound. */
  xt__batch *big = batch_of(1000);
  assert_true(xt__batch_weight(big) > (1u << 20) / 8);
  xt__queue_push(&f->q, big);
  wait_stored(stored + 1001);
  xt__queue_close(&f->q);
  xt__store_join(f->s);
}

/* Event ring. */

static char *read_msg(xt__sse_client *c) {
  static char buf[4096];
  size_t n = 0;
  /* A message ends with a blank line. */
  while (n < 4 || memcmp(buf + n - 2, "\n\n", 2) != 0) {
    ssize_t k = xt__events_read(c, buf + n, sizeof buf - 1 - n);
    if (k < 0) return NULL;
    n += (size_t)k;
  }
  buf[n] = 0;
  return buf;
}

static void test_events_deliver_published_messages(void **st) {
  (void)st;
  xt__events *e;
  assert_int_equal(xt__events_new(&e, 4), 0);
  xt__sse_client *c = xt__events_subscribe(e);
  assert_non_null(c);
  assert_string_equal(read_msg(c), "retry: 2000\n: connected\n\n");
  xt__events_publish(e, "task", "{\"id\":1}", 8);
  assert_string_equal(read_msg(c), "id: 0\nevent: task\ndata: {\"id\":1}\n\n");
  xt__events_unsubscribe(c);
  xt__events_free(e);
}

static void test_events_lagging_client_is_told_to_reload(void **st) {
  (void)st;
  xt__events *e;
  assert_int_equal(xt__events_new(&e, 4), 0);
  xt__sse_client *c = xt__events_subscribe(e);
  read_msg(c);
  for (int i = 0; i < XT_EVENTS_RING + 5; i++) xt__events_publish(e, "task", "{}", 2);
  assert_string_equal(read_msg(c), "event: reload\ndata: {}\n\n");
  xt__events_unsubscribe(c);
  xt__events_free(e);
}

static void test_events_refuse_clients_past_the_limit(void **st) {
  (void)st;
  xt__events *e;
  assert_int_equal(xt__events_new(&e, 1), 0);
  xt__sse_client *c = xt__events_subscribe(e);
  assert_non_null(c);
  assert_null(xt__events_subscribe(e));
  xt__events_unsubscribe(c);
  c = xt__events_subscribe(e);
  assert_non_null(c);
  xt__events_unsubscribe(c);
  xt__events_free(e);
}

static void test_events_end_at_shutdown(void **st) {
  (void)st;
  xt__events *e;
  assert_int_equal(xt__events_new(&e, 1), 0);
  xt__sse_client *c = xt__events_subscribe(e);
  read_msg(c);
  xt__events_shutdown(e);
  char buf[16];
  assert_int_equal(xt__events_read(c, buf, sizeof buf), -1);
  xt__events_unsubscribe(c);
  xt__events_free(e);
}

static void test_commit_publishes_changed_task_summaries(void **st) {
  fx *f = *st;
  xt__events *e;
  assert_int_equal(xt__events_new(&e, 1), 0);
  xt__store_on_commit(f->s, xt__events_commit, e);
  xt__sse_client *c = xt__events_subscribe(e);
  read_msg(c);
  xt__batch *b = xt__batch_new();
  add(b, (rep){0x60, 1, 1700000000000000, "live", NULL, 1, NULL});
  apply(f, b);
  char *m = read_msg(c);
  assert_non_null(strstr(m, "event: task\ndata: {\"id\":\"0000000000000060\",\"title\":\"live\""));
  xt__events_unsubscribe(c);
  xt__store_on_commit(f->s, NULL, NULL);
  xt__events_free(e);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void) {
  xt__log_quiet(1);
  const struct CMUnitTest tests[] = {
      T(test_summary_counts_reports_processes_and_hosts),
      T(test_reports_without_host_or_pid_add_no_host_or_process),
      T(test_title_is_earliest_label_across_batches),
      T(test_title_tie_goes_to_first_arrival),
      T(test_tags_are_distinct_and_sorted),
      T(test_many_processes_in_one_batch_are_all_counted),
      T(test_a_list_of_batches_is_one_transaction),
      T(test_unknown_task_is_enoent),
      T(test_tasks_are_listed_newest_first),
      T(test_tasks_limit_and_offset),
      T(test_q_matches_any_label_of_a_task),
      T(test_q_wildcards_match_only_themselves),
      T(test_q_finds_chunks_before_and_after_indexing),
      T(test_q_is_answered_from_the_full_text_index),
      T(test_q_with_many_or_few_candidates),
      T(test_deleted_chunks_leave_the_index),
      cmocka_unit_test(test_older_database_is_indexed_when_opened),
      T(test_retention_deletes_old_tasks_whole),
      T(test_size_bound_deletes_least_recently_active_first),
      T(test_tag_and_process_filters),
      T(test_reports_come_back_in_time_order),
      T(test_reports_survive_reopening),
      cmocka_unit_test(test_queue_hands_over_batches_in_order),
      cmocka_unit_test(test_events_deliver_published_messages),
      cmocka_unit_test(test_events_lagging_client_is_told_to_reload),
      cmocka_unit_test(test_events_refuse_clients_past_the_limit),
      cmocka_unit_test(test_events_end_at_shutdown),
      T(test_commit_publishes_changed_task_summaries),
      cmocka_unit_test(test_group_waits_for_its_deadline),
      cmocka_unit_test(test_group_that_is_big_enough_is_taken_before_its_deadline),
      cmocka_unit_test(test_full_queue_is_always_big_enough),
      cmocka_unit_test(test_push_that_fills_the_group_wakes_the_writer),
      cmocka_unit_test(test_close_ends_the_wait_and_hands_over_the_rest),
      cmocka_unit_test(test_empty_queue_waits_for_a_batch_even_past_the_deadline),
      T(test_writer_groups_batches_and_commits_them_at_close),
      T(test_writer_commits_a_large_group_without_waiting),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
