/* Events emitted through the client reach a real TCP collector as X-Trace v4
 * reports with the right fields and causal parents. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "listener.h"
#include "xtrace/xtrace.h"

#define WAIT_MS 30000

static listener *collector;

static int setup(void **state) {
  (void)state;
  collector = listener_start(0);
  if (!collector) return -1;
  char server[64];
  snprintf(server, sizeof server, "127.0.0.1:%u", listener_port(collector));
  xt_config cfg = {.server = server, .buffer_bytes = 64u << 20};
  return xt_init(&cfg);
}

static int teardown(void **state) {
  (void)state;
  xt_shutdown();
  listener_stop(collector);
  return 0;
}

/* Reports of one task, in arrival order. */
static size_t reports_of(uint64_t task, const test_report **out, size_t cap) {
  size_t n = 0, total = listener_count(collector);
  for (size_t i = 0; i < total && n < cap; i++) {
    const test_report *r = listener_report(collector, i);
    if ((uint64_t)r->task_id == task) out[n++] = r;
  }
  return n;
}

static void wait_for_task(uint64_t task, size_t want, const test_report **out, size_t cap) {
  assert_int_equal(xt_flush(WAIT_MS), 0);
  for (int i = 0; i < WAIT_MS / 10 && reports_of(task, out, cap) < want; i++) usleep(10000);
  assert_int_equal(reports_of(task, out, cap), want);
}

static void test_event_carries_every_report_field(void **state) {
  (void)state;
  uint64_t task = xt_task_start();
  xt_kv kv[] = {{"method", "/main.Operator/PerformOp"}};
  const char *tags[] = {"main"};
  xt_event_info ev = {.agent = "test", .label = "hello world", .label_len = 11,
                      .caller = (const void *)test_event_carries_every_report_field,
                      .kv = kv, .nkv = 1, .tags = tags, .ntags = 1};
  struct timeval before;
  gettimeofday(&before, NULL);
  uint64_t id = xt_event(&ev);
  assert_true(id > 0 && id <= (uint64_t)INT64_MAX);
  const test_report *r[2];
  wait_for_task(task, 1, r, 2);
  assert_int_equal(r[0]->event_id, id);
  assert_int_equal(r[0]->nparents, 0);
  assert_string_equal(r[0]->label, "hello world");
  assert_string_equal(r[0]->agent, "test");
  assert_string_equal(r[0]->key0, "method");
  assert_string_equal(r[0]->value0, "/main.Operator/PerformOp");
  assert_string_equal(r[0]->tag0, "main");
  assert_int_equal(r[0]->pid, getpid());
  assert_int_equal(r[0]->tid, xt_thread_id());
  /* The function is static, so dladdr names the object and offset only. */
  assert_memory_equal(r[0]->source, "test_client_delivery+0x", strlen("test_client_delivery+0x"));
  assert_non_null(strstr(r[0]->process_name, "test_client_delivery"));
  char host[64];
  gethostname(host, sizeof host);
  assert_string_equal(r[0]->host, host);
  /* Microseconds since the epoch, not before the call. */
  int64_t before_us = (int64_t)before.tv_sec * 1000000 + before.tv_usec;
  assert_true(r[0]->timestamp >= before_us - 1000 && r[0]->timestamp < before_us + 60000000);
  assert_true(r[0]->hrt > 0);
}

static void test_source_names_object_and_exported_function(void **state) {
  (void)state;
  uint64_t task = xt_task_start();
  /* A library function no sanitizer runtime intercepts. */
  xt_log("test", "x", 1, (const void *)(uintptr_t)&_cmocka_run_group_tests);
  const test_report *r[1];
  wait_for_task(task, 1, r, 1);
  assert_memory_equal(r[0]->source, "libcmocka.so.0+0x", strlen("libcmocka.so.0+0x"));
  assert_non_null(strstr(r[0]->source, " (_cmocka_run_group_tests)"));
}

static void test_explicit_source_is_kept(void **state) {
  (void)state;
  uint64_t task = xt_task_start();
  xt_event_info ev = {.agent = "test", .label = "x", .label_len = 1, .source = "arith.c:42"};
  xt_event(&ev);
  const test_report *r[1];
  wait_for_task(task, 1, r, 1);
  assert_string_equal(r[0]->source, "arith.c:42");
}

/* A caller that has read the clock (a probe timing its call) gives that
 * time to the event instead of the event reading it again. */
static void test_event_keeps_a_given_time(void **state) {
  (void)state;
  uint64_t task = xt_task_start();
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  int64_t given = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec - 5000000000;
  xt_event_info ev = {.agent = "test", .label = "then", .label_len = 4, .mono_ns = given};
  xt_event(&ev);
  xt_log("test", "now", 3, NULL);
  const test_report *r[2];
  wait_for_task(task, 2, r, 2);
  assert_int_equal(r[0]->hrt, given);
  assert_true(r[1]->hrt >= given + 5000000000);
  /* The wall time moves with it: five seconds apart, to the microsecond. */
  int64_t apart_us = r[1]->timestamp - r[0]->timestamp;
  assert_true(apart_us >= 5000000 && apart_us < 5000000 + 60000000);
}

static void test_consecutive_events_chain_by_parent(void **state) {
  (void)state;
  uint64_t task = xt_task_start();
  uint64_t a = xt_log("test", "a", 1, NULL);
  uint64_t b = xt_log("test", "b", 1, NULL);
  const test_report *r[2];
  wait_for_task(task, 2, r, 2);
  assert_int_equal(r[1]->event_id, b);
  assert_int_equal(r[1]->nparents, 1);
  assert_int_equal(r[1]->parents[0], a);
}

static void test_long_label_is_cut_with_marker(void **state) {
  (void)state;
  uint64_t task = xt_task_start();
  char label[6000];
  memset(label, 'l', sizeof label);
  xt_log("test", label, sizeof label, NULL);
  const test_report *r[1];
  wait_for_task(task, 1, r, 1);
  size_t n = strlen(r[0]->label);
  assert_int_equal(n, XT_LABEL_MAX);
  assert_string_equal(r[0]->label + n - strlen(XT_CUT_MARKER), XT_CUT_MARKER);
}

static void test_nul_inside_label_does_not_truncate_it(void **state) {
  (void)state;
  uint64_t task = xt_task_start();
  xt_log("test", "ab\0cd", 5, NULL);
  const test_report *r[1];
  wait_for_task(task, 1, r, 1);
  assert_string_equal(r[0]->label, "ab\xEF\xBF\xBD" "cd");
}

static void test_join_past_threshold_emits_join_event(void **state) {
  (void)state;
  uint64_t task = xt_task_start();
  uint64_t first = xt_log("test", "before", 6, NULL);
  uint64_t others[BG_JOIN_THRESHOLD + 2];
  for (size_t i = 0; i < BG_JOIN_THRESHOLD + 2; i++) others[i] = 1000 + i;
  int n = xt_join(task, others, BG_JOIN_THRESHOLD + 2);
  assert_int_equal(n, 1); /* collapsed to the join event */
  const test_report *r[2];
  wait_for_task(task, 2, r, 2);
  assert_string_equal(r[1]->label, "join");
  assert_int_equal(r[1]->nparents, BG_JOIN_THRESHOLD + 3);
  assert_int_equal(r[1]->parents[0], first);
  assert_int_equal(xt_context()->parents[0], (uint64_t)r[1]->event_id);
}

#define THREADS 8
#define PER_THREAD 10000

static void *emit_many(void *arg) {
  uint64_t *task = arg;
  *task = xt_task_start();
  char label[32];
  for (int i = 0; i < PER_THREAD; i++) {
    int n = snprintf(label, sizeof label, "event %d", i);
    xt_log("test", label, (size_t)n, NULL);
  }
  return NULL;
}

static int label_number(const test_report *r) {
  int i = -1;
  sscanf(r->label, "event %d", &i);
  return i;
}

static int by_label_number(const void *a, const void *b) {
  int x = label_number(*(const test_report *const *)a), y = label_number(*(const test_report *const *)b);
  return (x > y) - (x < y);
}

/* Every event arrives, and within each thread's task each event's only parent
 * is the one labelled before it. Arrival order is not checked: when a send
 * times out the reporter resends on a new connection, and a collector may
 * read that before it drains the old one. The parents carry the order. */
static void test_eight_threads_ten_thousand_events_each_arrive_with_parents(void **state) {
  (void)state;
  pthread_t th[THREADS];
  uint64_t task[THREADS];
  for (int i = 0; i < THREADS; i++) pthread_create(&th[i], NULL, emit_many, &task[i]);
  for (int i = 0; i < THREADS; i++) pthread_join(th[i], NULL);
  xt_stats st;
  xt_get_stats(&st);
  assert_int_equal(st.dropped, 0);
  static const test_report *r[PER_THREAD + 1];
  for (int t = 0; t < THREADS; t++) {
    wait_for_task(task[t], PER_THREAD, r, PER_THREAD + 1);
    qsort(r, PER_THREAD, sizeof r[0], by_label_number);
    char want[32];
    for (int i = 0; i < PER_THREAD; i++) {
      snprintf(want, sizeof want, "event %d", i);
      assert_string_equal(r[i]->label, want);
      if (i == 0) {
        assert_int_equal(r[i]->nparents, 0);
      } else {
        assert_int_equal(r[i]->nparents, 1);
        assert_int_equal(r[i]->parents[0], r[i - 1]->event_id);
      }
    }
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_event_carries_every_report_field),
      cmocka_unit_test(test_source_names_object_and_exported_function),
      cmocka_unit_test(test_explicit_source_is_kept),
      cmocka_unit_test(test_event_keeps_a_given_time),
      cmocka_unit_test(test_consecutive_events_chain_by_parent),
      cmocka_unit_test(test_long_label_is_cut_with_marker),
      cmocka_unit_test(test_nul_inside_label_does_not_truncate_it),
      cmocka_unit_test(test_join_past_threshold_emits_join_event),
      cmocka_unit_test(test_eight_threads_ten_thousand_events_each_arrive_with_parents),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
