/* Unit tests for the views of one task that never hold the task in memory:
 * the merge walk over its chunks, the streamed compatibility answers, the
 * pages of the JSON API, the condensed view, and the field peek under them. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "condense.h"
#include "peek.h"
#include "query.h"
#include "queue.h"
#include "report.h"
#include "rowbin.h"
#include "store.h"
#include "taskiter.h"
#include "taskpage.h"

#include "store_fixture.h"

typedef struct ev {
  int64_t task, event, ts;
  int pid, tid;
  int64_t parents[3];
  const char *pname;
} ev;

static void add(xt__batch *b, ev e) {
  Pubsub__XTraceReportv4 m = PUBSUB__XTRACE_REPORTV4__INIT;
  m.has_task_id = m.has_event_id = m.has_timestamp = m.has_process_id = m.has_thread_id = 1;
  m.task_id = e.task;
  m.event_id = e.event;
  m.timestamp = e.ts;
  m.host = "h";
  m.process_id = e.pid;
  m.thread_id = e.tid;
  m.process_name = (char *)(e.pname ? e.pname : "prog");
  m.threadname = "t";
  char label[32];
  snprintf(label, sizeof label, "event %lld", (long long)e.event);
  m.label = label;
  while (m.n_parent_event_id < 3 && e.parents[m.n_parent_event_id]) m.n_parent_event_id++;
  m.parent_event_id = e.parents;
  uint8_t raw[512];
  size_t len = pubsub__xtrace_reportv4__pack(&m, raw);
  Pubsub__XTraceReportv4 *d;
  assert_int_equal(xt__report_decode(raw, len, &b->arena, &d), 0);
  assert_int_equal(xt__batch_add(b, d, xt__report_time(d, 0), raw, len), 0);
}

/* Each call is one transaction, so one chunk per task. */
static void commit(fx *f, const ev *v, size_t n) {
  xt__batch *b = xt__batch_new();
  for (size_t i = 0; i < n; i++) add(b, v[i]);
  assert_int_equal(xt__store_apply(f->s, b), 0);
  xt__batch_free(b);
}

#define COMMIT(f, ...)                                  \
  do {                                                  \
    const ev v_[] = {__VA_ARGS__};                      \
    commit(f, v_, sizeof v_ / sizeof *v_);              \
  } while (0)

/* Three chunks whose times overlap, with ties inside a chunk and across
 * chunks: the walk must give time order, then arrival order. */
static void store_overlapping(fx *f) {
  COMMIT(f, {7, 1, 1700000000000050, 1, 1, {0}, 0}, {7, 2, 1700000000000010, 1, 1, {0}, 0},
         {7, 3, 1700000000000030, 1, 1, {0}, 0}, {7, 4, 1700000000000030, 1, 1, {0}, 0});
  COMMIT(f, {7, 5, 1700000000000030, 2, 2, {0}, 0}, {7, 6, 1700000000000005, 2, 2, {0}, 0},
         {8, 50, 1700000000000001, 9, 9, {0}, 0});
  COMMIT(f, {7, 7, 1700000000000050, 1, 1, {0}, 0}, {7, 8, 1700000000000020, 2, 2, {0}, 0});
}

static void test_walk_gives_time_then_arrival_order_across_chunks(void **st) {
  fx *f = *st;
  store_overlapping(f);
  xt__task_iter *it;
  assert_int_equal(xt__task_iter_open(f->db, 7, &it), 0);
  assert_int_equal(xt__task_iter_total(it), 8);
  static const int64_t want[] = {6, 2, 8, 3, 4, 5, 1, 7};
  int64_t ts, prev = 0;
  const uint8_t *raw;
  uint32_t len;
  for (size_t i = 0; i < 8; i++) {
    assert_int_equal(xt__task_iter_next(it, &ts, &raw, &len), 1);
    xt__report_keys k;
    assert_int_equal(xt__report_peek(raw, len, &k), 0);
    assert_int_equal(k.event_id, want[i]);
    assert_true(ts >= prev);
    prev = ts;
  }
  assert_int_equal(xt__task_iter_next(it, &ts, &raw, &len), 0);
  xt__task_iter_close(it);
  assert_int_equal(xt__task_iter_open(f->db, 99, &it), 0);
  assert_int_equal(xt__task_iter_total(it), 0);
  assert_int_equal(xt__task_iter_next(it, &ts, &raw, &len), 0);
  xt__task_iter_close(it);
}

/* Eight chunks of 2.4 MB whose times all interleave (a report of each in
 * turn), more than the walk keeps in memory at once: it drops and reads
 * chunks again, and still gives every report once, in time order. */
static void test_walk_of_chunks_that_all_overlap_stays_in_order(void **st) {
  fx *f = *st;
  enum { CHUNKS = 8, PER = 20, LABEL = 120000 };
  char *label = malloc(LABEL + 1);
  uint8_t *raw = malloc(LABEL + 512);
  memset(label, 'x', LABEL);
  label[LABEL] = 0;
  for (int k = 0; k < CHUNKS; k++) {
    xt__batch *b = xt__batch_new();
    for (int j = 0; j < PER; j++) {
      Pubsub__XTraceReportv4 m = PUBSUB__XTRACE_REPORTV4__INIT;
      m.has_task_id = m.has_event_id = m.has_timestamp = 1;
      m.task_id = 9;
      m.event_id = 1 + j * CHUNKS + k;
      m.timestamp = 1700000000000000 + m.event_id;
      m.label = label;
      size_t len = pubsub__xtrace_reportv4__pack(&m, raw);
      Pubsub__XTraceReportv4 *d;
      assert_int_equal(xt__report_decode(raw, len, &b->arena, &d), 0);
      assert_int_equal(xt__batch_add(b, d, xt__report_time(d, 0), raw, len), 0);
    }
    assert_int_equal(xt__store_apply(f->s, b), 0);
    xt__batch_free(b);
  }
  free(label);
  free(raw);
  xt__task_iter *it;
  assert_int_equal(xt__task_iter_open(f->db, 9, &it), 0);
  int64_t ts;
  const uint8_t *p;
  uint32_t len;
  for (int64_t want = 1; want <= CHUNKS * PER; want++) {
    assert_int_equal(xt__task_iter_next(it, &ts, &p, &len), 1);
    xt__report_keys k;
    assert_int_equal(xt__report_peek(p, len, &k), 0);
    assert_int_equal(k.event_id, want);
    assert_int_equal(ts, 1700000000000000 + want);
  }
  assert_int_equal(xt__task_iter_next(it, &ts, &p, &len), 0);
  xt__task_iter_close(it);
}

/* What one buffer held before the answers were streamed. */
static int append(void *arg, const Pubsub__XTraceReportv4 *m, int64_t ts) {
  void **a = arg;
  xt__buf *b = a[0];
  int *n = a[1];
  if (*n >= 0 && (*n)++) xt__buf_putc(b, ',');
  if (*n >= 0)
    xt__report_json(b, m, ts);
  else
    xt__report_text(b, m, ts);
  return 0;
}

static char *whole(fx *f, const int64_t *ids, int n, int json) {
  xt__buf b;
  xt__buf_init(&b);
  if (json) xt__buf_putc(&b, '[');
  for (int i = 0; i < n; i++) {
    int count = json ? 0 : -1;
    void *a[] = {&b, &count};
    if (json) {
      xt__buf_puts(&b, i ? ",{\"id\":" : "{\"id\":");
      xt__json_id_hex(&b, ids[i]);
      xt__buf_puts(&b, ",\"reports\":[");
    }
    assert_true(xt__query_reports(f->db, ids[i], append, a) >= 0);
    if (json) xt__buf_puts(&b, "]}");
  }
  if (json) xt__buf_putc(&b, ']');
  return xt__buf_steal(&b, NULL);
}

static char *streamed(fx *f, const int64_t *ids, int n, int json, size_t step) {
  xt__location loc = {f->dir, NULL};
  xt__reader rd;
  assert_int_equal(xt__reader_open(&loc, &rd), 0);
  xt__report_stream *s;
  assert_int_equal(xt__report_stream_open(&rd, ids, n, json, &s), 0);
  xt__buf b;
  xt__buf_init(&b);
  char part[4096];
  ssize_t got;
  while ((got = xt__report_stream_read(s, part, step)) > 0) {
    assert_true((size_t)got <= step);
    xt__buf_put(&b, part, (size_t)got);
  }
  assert_int_equal(got, 0);
  xt__report_stream_close(s);
  return xt__buf_steal(&b, NULL);
}

static void test_stream_is_byte_for_byte_the_buffered_answer(void **st) {
  fx *f = *st;
  store_overlapping(f);
  const int64_t ids[] = {7, 99, 8};
  for (int json = 0; json < 2; json++) {
    char *want = whole(f, ids, 3, json);
    for (size_t step = 1; step <= 4096; step *= 8) {
      char *got = streamed(f, ids, 3, json, step);
      assert_string_equal(got, want);
      free(got);
    }
    free(want);
  }
  char *empty = streamed(f, ids, 0, 1, 100);
  assert_string_equal(empty, "[]");
  free(empty);
}

static char *page(fx *f, int64_t task, xt__report_page pg) {
  xt__buf b;
  xt__buf_init(&b);
  assert_int_equal(xt__query_report_page(f->db, task, &pg, &b), 0);
  return xt__buf_steal(&b, NULL);
}

static void test_pages_walk_the_task_and_filter_by_thread(void **st) {
  fx *f = *st;
  store_overlapping(f);
  char *p = page(f, 7, (xt__report_page){0, 3, NULL, 0, 0, 0, 0});
  assert_non_null(strstr(p, "\"offset\":0,\"limit\":3,\"total\":8,"));
  assert_non_null(strstr(p, "\"next\":3}"));
  assert_true(strstr(p, "\"EventID\":\"6\"") < strstr(p, "\"EventID\":\"2\""));
  assert_null(strstr(p, "\"EventID\":\"3\""));
  free(p);
  p = page(f, 7, (xt__report_page){6, 3, NULL, 0, 0, 0, 0});
  assert_non_null(strstr(p, "\"EventID\":\"1\""));
  assert_non_null(strstr(p, "\"EventID\":\"7\""));
  assert_non_null(strstr(p, "\"next\":null}"));
  free(p);
  /* Thread 2 of process 2: events 6, 8, 5 in time order. */
  p = page(f, 7, (xt__report_page){1, 1, "h", 1, 1, 2, 2});
  assert_non_null(strstr(p, "\"EventID\":\"8\""));
  assert_null(strstr(p, "\"EventID\":\"6\""));
  assert_non_null(strstr(p, "\"next\":2}"));
  free(p);
  p = page(f, 7, (xt__report_page){0, 10, "other", 0, 0, 0, 0});
  assert_non_null(strstr(p, "\"reports\":[],\"next\":null}"));
  free(p);
}

/* Process 1 (main thread 1, thread 11) spawns process 2 (thread 2), which
 * execs; thread 11's last event is joined by main, and so is process 2's
 * last, which names a parent reported after it (another host's clock): that
 * edge is resolved at the end. The last report repeats an event ID. */
static void test_condensed_view_counts_threads_edges_and_critical_path(void **st) {
  fx *f = *st;
  COMMIT(f, {5, 100, 1700000000000000, 1, 1, {0}, "server"}, {5, 101, 1700000000000010, 1, 11, {100}, "server"},
         {5, 102, 1700000000000020, 1, 11, {101}, "server"}, {5, 200, 1700000000000030, 2, 2, {100}, "sh -c job"},
         {5, 201, 1700000000000040, 2, 2, {200}, "job --run"});
  COMMIT(f, {5, 202, 1700000000000045, 2, 2, {201, 203}, "job --run"},
         {5, 203, 1700000000000050, 1, 11, {102}, "server"}, {5, 103, 1700000000000060, 1, 1, {203, 100, 202}, "server"},
         {5, 103, 1700000000000070, 1, 1, {0}, "server"});
  xt__buf b;
  xt__buf_init(&b);
  assert_int_equal(xt__condense_task(f->db, 5, &b), 0);
  char *got = xt__buf_steal(&b, NULL);
  assert_string_equal(got,
      "{\"id\":\"0000000000000005\",\"reports\":9,\"first\":1700000000000000,\"last\":1700000000000070,"
      "\"duplicates\":1,\"unresolved_parents\":0,\"threads_omitted_reports\":0,\"edges_omitted\":0,"
      "\"events_tracked\":8,\"processes\":["
      "{\"host\":\"h\",\"pid\":1,\"events\":6,\"first\":1700000000000000,\"last\":1700000000000070,\"programs\":["
      "{\"name\":\"server\",\"events\":6,\"first\":1700000000000000,\"last\":1700000000000070}]},"
      "{\"host\":\"h\",\"pid\":2,\"events\":3,\"first\":1700000000000030,\"last\":1700000000000045,\"programs\":["
      "{\"name\":\"sh -c job\",\"events\":1,\"first\":1700000000000030,\"last\":1700000000000030},"
      "{\"name\":\"job --run\",\"events\":2,\"first\":1700000000000040,\"last\":1700000000000045}]}],"
      "\"threads\":["
      "{\"process\":0,\"tid\":1,\"name\":\"t\",\"events\":3,\"first\":1700000000000000,\"last\":1700000000000070},"
      "{\"process\":0,\"tid\":11,\"name\":\"t\",\"events\":3,\"first\":1700000000000010,\"last\":1700000000000050},"
      "{\"process\":1,\"tid\":2,\"name\":\"t\",\"events\":3,\"first\":1700000000000030,\"last\":1700000000000045}],"
      "\"edges\":[{\"from\":0,\"to\":1,\"count\":1},{\"from\":0,\"to\":2,\"count\":1},"
      "{\"from\":1,\"to\":0,\"count\":1},{\"from\":1,\"to\":2,\"count\":1},{\"from\":2,\"to\":0,\"count\":1}],"
      "\"critical\":{\"events\":5,\"truncated\":false,\"segments\":["
      "{\"thread\":0,\"events\":1,\"first\":1700000000000000,\"last\":1700000000000000},"
      "{\"thread\":1,\"events\":3,\"first\":1700000000000010,\"last\":1700000000000050},"
      "{\"thread\":0,\"events\":1,\"first\":1700000000000060,\"last\":1700000000000060}]}}");
  /* Asked again: the kept answer, the same bytes. */
  xt__buf_init(&b);
  assert_int_equal(xt__condense_task(f->db, 5, &b), 0);
  char *again = xt__buf_steal(&b, NULL);
  assert_string_equal(again, got);
  free(again);
  free(got);
  /* A report more: a new answer, not the kept one. */
  COMMIT(f, {5, 300, 1700000000000080, 3, 3, {103}, "late"});
  xt__buf_init(&b);
  assert_int_equal(xt__condense_task(f->db, 5, &b), 0);
  got = xt__buf_steal(&b, NULL);
  assert_non_null(strstr(got, "\"reports\":10,"));
  assert_non_null(strstr(got, "{\"from\":0,\"to\":3,\"count\":1}"));
  free(got);
}

/* A store that answers a walk a page at a time (ClickHouse's shape): rows
 * sorted by (time, seq, event), copies adjacent, pages of PAGE rows after
 * the key asked for. */
#define PAGE 4
typedef struct fake_store {
  uint64_t key[32][3];
  int n, fetches, fail_at, closed;
} fake_store;

static int key_cmp(const uint64_t *a, const uint64_t *b) {
  for (int k = 0; k < 3; k++)
    if (a[k] != b[k]) return a[k] < b[k] ? -1 : 1;
  return 0;
}

static int fake_fetch(void *arg, const uint64_t *after, uint8_t **rows, size_t *len) {
  fake_store *fs = arg;
  if (++fs->fetches == fs->fail_at) return -EIO;
  int i = 0;
  while (after && i < fs->n && key_cmp(fs->key[i], after) <= 0) i++;
  xt__buf b;
  xt__buf_init(&b);
  int taken = 0;
  for (; i < fs->n && taken < PAGE; i++, taken++) {
    for (int k = 0; k < 3; k++) xt__rb_put_u64(&b, fs->key[i][k]);
    char data[16];
    int dl = snprintf(data, sizeof data, "r%llu", (unsigned long long)fs->key[i][2]);
    xt__rb_put_str(&b, data, (size_t)dl);
  }
  *rows = (uint8_t *)xt__buf_steal(&b, len);
  return 0;
}

static void fake_close(void *arg) { ((fake_store *)arg)->closed++; }

/* Walks and returns the data of each row, joined by spaces. */
static int walk_all(fake_store *fs, int64_t total, char *out, size_t cap) {
  xt__task_pager pg = {fake_fetch, fake_close, fs};
  xt__task_iter *it;
  assert_int_equal(xt__task_iter_paged(&pg, total, 7, &it), 0);
  assert_int_equal(xt__task_iter_total(it), total);
  assert_int_equal(xt__task_iter_version(it), 7);
  int64_t ts;
  const uint8_t *raw;
  uint32_t len;
  int rc;
  size_t o = 0;
  out[0] = 0;
  while ((rc = xt__task_iter_next(it, &ts, &raw, &len)) == 1)
    o += (size_t)snprintf(out + o, cap - o, "%s%.*s@%lld", o ? " " : "", (int)len, (const char *)raw, (long long)ts);
  xt__task_iter_close(it);
  assert_int_equal(fs->closed, 1);
  return rc;
}

static void test_paged_walk_skips_copies_across_pages_and_stops_at_its_count(void **st) {
  (void)st;
  /* Nine distinct rows; the 4th is stored three times, so its copies
   * straddle the first page's end, and the last once more. */
  fake_store fs = {.n = 12};
  const uint64_t rows[12][3] = {{10, 2, 1}, {10, 4, 2}, {20, 6, 3}, {30, 8, 4}, {30, 8, 4}, {30, 8, 4},
                                {30, 9, 5}, {40, 1, 6}, {50, 3, 7}, {60, 5, 8}, {70, 7, 9}, {70, 7, 9}};
  memcpy(fs.key, rows, sizeof rows);
  char got[512];
  assert_int_equal(walk_all(&fs, 9, got, sizeof got), 0);
  assert_string_equal(got, "r1@10 r2@10 r3@20 r4@30 r5@30 r6@40 r7@50 r8@60 r9@70");
  /* Pages of 4 rows after the last key walked: 4 + 4 (past r4's copies) +
   * the rest; the count ends the walk without asking again. */
  assert_int_equal(fs.fetches, 3);

  /* Counted at open: a row stored during the walk is not in it. */
  fs = (fake_store){.n = 12};
  memcpy(fs.key, rows, sizeof rows);
  assert_int_equal(walk_all(&fs, 5, got, sizeof got), 0);
  assert_string_equal(got, "r1@10 r2@10 r3@20 r4@30 r5@30");

  /* Rows counted but gone by the time they are read (retention): the walk
   * ends at the first empty page. */
  fs = (fake_store){.n = 12};
  memcpy(fs.key, rows, sizeof rows);
  assert_int_equal(walk_all(&fs, 20, got, sizeof got), 0);
  assert_string_equal(got, "r1@10 r2@10 r3@20 r4@30 r5@30 r6@40 r7@50 r8@60 r9@70");
  assert_int_equal(fs.fetches, 4);

  /* A store that fails mid-walk fails the walk, after what it gave. */
  fs = (fake_store){.n = 12, .fail_at = 2};
  memcpy(fs.key, rows, sizeof rows);
  assert_int_equal(walk_all(&fs, 9, got, sizeof got), -EIO);
  assert_string_equal(got, "r1@10 r2@10 r3@20 r4@30");

  /* An empty task asks nothing. */
  fs = (fake_store){.n = 0};
  assert_int_equal(walk_all(&fs, 0, got, sizeof got), 0);
  assert_string_equal(got, "");
  assert_int_equal(fs.fetches, 0);
}

#define T(name) cmocka_unit_test_setup_teardown(name, setup, teardown)

int main(void) {
  const struct CMUnitTest tests[] = {
      T(test_walk_gives_time_then_arrival_order_across_chunks), T(test_walk_of_chunks_that_all_overlap_stays_in_order),
      T(test_stream_is_byte_for_byte_the_buffered_answer), T(test_pages_walk_the_task_and_filter_by_thread),
      T(test_condensed_view_counts_threads_edges_and_critical_path),
      cmocka_unit_test(test_paged_walk_skips_copies_across_pages_and_stops_at_its_count),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
