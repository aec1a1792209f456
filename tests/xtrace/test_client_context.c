/* The calling thread's context through the client API, without a collector. */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <unistd.h>

#include <cmocka.h>

#include "client.h"
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

/* Reading the context of a thread that never had one maps nothing: most
 * threads of a traced program (the C library's, gRPC's) only ever ask. */
static void *only_reads(void *arg) {
  (void)arg;
  bool in_task = xt_in_task() || xt_context_peek()->task_id != 0;
  uint64_t ev = xt_log("test", "x", 1, NULL);
  xt_context_clear();
  return in_task || ev || xt__self.ctx ? (void *)1 : NULL;
}

static void test_reading_threads_get_no_context_block(void **state) {
  (void)state;
  xt_task_start();
  pthread_t th;
  void *bad = (void *)1;
  assert_int_equal(pthread_create(&th, NULL, only_reads, NULL), 0);
  pthread_join(th, &bad);
  assert_null(bad);
}

static void *starts_task(void *arg) {
  (void)arg;
  xt_task_start();
  xt_log("test", "x", 1, NULL);
  return xt_context();
}

static void *context_at_start(void *arg) {
  *(uint64_t *)arg = xt_context()->task_id;
  return xt_context();
}

/* The block goes with its thread: a program that runs a thread per request
 * must not keep 9 KiB for each. The next thread gets it back, empty. */
static void test_exited_thread_gives_its_context_back(void **state) {
  (void)state;
  pthread_t th;
  void *first = NULL, *second = NULL;
  uint64_t task = 1;
  assert_int_equal(pthread_create(&th, NULL, starts_task, NULL), 0);
  pthread_join(th, &first);
  assert_int_equal(pthread_create(&th, NULL, context_at_start, &task), 0);
  pthread_join(th, &second);
  assert_non_null(first);
  assert_ptr_equal(first, second);
  assert_int_equal(task, 0);
}

static uint64_t handler_task;

static void start_in_handler(int sig) {
  (void)sig;
  handler_task = xt_task_start();
  xt_log("test", "in handler", 10, NULL);
}

/* A thread's first write to its context can come from a signal handler;
 * the block it maps there is the thread's from then on. */
static void *signalled(void *arg) {
  (void)arg;
  pthread_kill(pthread_self(), SIGUSR1);
  const bg_context *c = xt_context_peek();
  return c->task_id == handler_task && c->nparents == 1 ? (void *)c : NULL;
}

static void test_first_context_from_a_signal_handler(void **state) {
  (void)state;
  struct sigaction sa = {.sa_handler = start_in_handler}, old;
  sigemptyset(&sa.sa_mask);
  assert_int_equal(sigaction(SIGUSR1, &sa, &old), 0);
  pthread_t th;
  void *ok = NULL;
  assert_int_equal(pthread_create(&th, NULL, signalled, NULL), 0);
  pthread_join(th, &ok);
  sigaction(SIGUSR1, &old, NULL);
  assert_non_null(ok);
  assert_true(handler_task != 0);
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
      cmocka_unit_test(test_reading_threads_get_no_context_block),
      cmocka_unit_test(test_exited_thread_gives_its_context_back),
      cmocka_unit_test(test_first_context_from_a_signal_handler),
  };
  int rc = cmocka_run_group_tests(tests, setup, NULL);
  xt_shutdown();
  return rc;
}
