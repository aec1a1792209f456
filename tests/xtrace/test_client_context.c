/* The calling thread's context through the client API, without a collector. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "xtrace/xtrace.h"

static int setup(void **state) {
  (void)state;
  xt_config cfg = {.server = "127.0.0.1:1"}; /* nothing listens there */
  return xt_init(&cfg);
}

static void test_no_task_means_no_event(void **state) {
  (void)state;
  xt_context_clear();
  assert_false(xt_in_task());
  assert_int_equal(xt_log("test", "x", 1, NULL), 0);
}

static void test_task_start_gives_fresh_root(void **state) {
  (void)state;
  uint64_t a = xt_task_start();
  xt_log("test", "x", 1, NULL);
  uint64_t b = xt_task_start();
  assert_true(a != 0 && b != 0 && a != b);
  assert_int_equal(xt_context()->task_id, b);
  assert_int_equal(xt_context()->nparents, 0);
}

static void test_event_becomes_sole_parent(void **state) {
  (void)state;
  xt_task_start();
  uint64_t e = xt_log("test", "x", 1, NULL);
  assert_true(e != 0);
  assert_int_equal(xt_context()->nparents, 1);
  assert_int_equal(xt_context()->parents[0], e);
}

static void test_join_adopts_task_when_thread_has_none(void **state) {
  (void)state;
  xt_context_clear();
  uint64_t parents[] = {11, 12};
  assert_int_equal(xt_join(77, parents, 2), 2);
  assert_int_equal(xt_context()->task_id, 77);
}

static void test_join_ignores_events_of_another_task(void **state) {
  (void)state;
  uint64_t task = xt_task_start();
  uint64_t e = xt_log("test", "x", 1, NULL);
  uint64_t foreign[] = {5};
  assert_int_equal(xt_join(task + 1, foreign, 1), 1);
  assert_int_equal(xt_context()->parents[0], e);
}

static void test_join_without_duplicates(void **state) {
  (void)state;
  uint64_t task = xt_task_start();
  uint64_t e = xt_log("test", "x", 1, NULL);
  uint64_t more[] = {e, 9, 9};
  assert_int_equal(xt_join(task, more, 3), 2);
}

static void test_set_copies_context(void **state) {
  (void)state;
  bg_context c;
  bg_context_clear(&c);
  c.task_id = 42;
  c.nparents = 1;
  c.parents[0] = 43;
  xt_context_set(&c);
  c.task_id = 0;
  assert_int_equal(xt_context()->task_id, 42);
  assert_int_equal(xt_context()->parents[0], 43);
}

static void *context_of_new_thread(void *arg) {
  (void)arg;
  return (void *)(uintptr_t)xt_context()->task_id;
}

static void test_new_thread_starts_without_context(void **state) {
  (void)state;
  xt_task_start();
  pthread_t th;
  void *task;
  pthread_create(&th, NULL, context_of_new_thread, NULL);
  pthread_join(th, &task);
  assert_null(task);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_no_task_means_no_event),
      cmocka_unit_test(test_task_start_gives_fresh_root),
      cmocka_unit_test(test_event_becomes_sole_parent),
      cmocka_unit_test(test_join_adopts_task_when_thread_has_none),
      cmocka_unit_test(test_join_ignores_events_of_another_task),
      cmocka_unit_test(test_join_without_duplicates),
      cmocka_unit_test(test_set_copies_context),
      cmocka_unit_test(test_new_thread_starts_without_context),
  };
  int rc = cmocka_run_group_tests(tests, setup, NULL);
  xt_shutdown();
  return rc;
}
