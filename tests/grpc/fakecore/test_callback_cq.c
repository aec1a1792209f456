/* The shim on callback completion queues: cbq_app, linked against the fake
 * core, runs under the preload and reports to an in-process collector. The
 * fake core runs every functor on a thread of its own, as core's executor
 * does, so each assertion below is about a context that crossed threads
 * through the shim's functor wrapper. */
#include <errno.h>
#include <setjmp.h>
#include <spawn.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "listener.h"

extern char **environ;

#define REPLY_EVENT 4242ull
#define IN_TASK 777777ull
#define IN_EVENT 888888ull

static listener *coll;
static char app_out[4096];

/* LD_PRELOAD for an uninstrumented program: a sanitizer build's runtime
 * goes first for ASan and after the library for TSan (tests/preload/lib.sh
 * says why). */
static void preload_value(char *out, size_t cap) {
  const char *lib = getenv("XT_PRELOAD_LIB"), *san = getenv("XT_SANITIZE");
  const char *rt = getenv("XT_SAN_RUNTIME");
  if (san && strcmp(san, "address") == 0)
    snprintf(out, cap, "LD_PRELOAD=%s:%s", rt, lib);
  else if (san && strcmp(san, "thread") == 0)
    snprintf(out, cap, "LD_PRELOAD=%s:%s", lib, rt);
  else
    snprintf(out, cap, "LD_PRELOAD=%s", lib);
}

static int run_app(void) {
  char preload[8192], server[64];
  preload_value(preload, sizeof preload);
  snprintf(server, sizeof server, "XTRACE_SERVER=127.0.0.1:%u", listener_port(coll));
  /* Under ASan the start routine the preload sees in pthread_create is the
   * runtime's own wrapper, in libasan: the fake core's thread (the only one
   * cbq_app has) is kept out of the task by that name instead. */
  const char *san = getenv("XT_SANITIZE");
  char *exclude = san && strcmp(san, "address") == 0 ? "XTRACE_EXCLUDE_LIBS=libgrpc*,libasan*"
                                                     : "XTRACE_EXCLUDE_LIBS=libgrpc*";
  char *envp[] = {preload, server, exclude, "ASAN_OPTIONS=verify_asan_link_order=0:detect_leaks=0",
                  "TSAN_OPTIONS=die_after_fork=0", NULL};
  char reply[24], task[24], event[24];
  snprintf(reply, sizeof reply, "%llu", REPLY_EVENT);
  snprintf(task, sizeof task, "%llu", IN_TASK);
  snprintf(event, sizeof event, "%llu", IN_EVENT);
  char *argv[] = {getenv("XT_CBQ_APP"), reply, task, event, NULL};
  int fds[2];
  if (!argv[0] || pipe(fds) < 0)
    return -1;
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
  posix_spawn_file_actions_addclose(&fa, fds[0]);
  pid_t pid;
  int rc = posix_spawn(&pid, argv[0], &fa, NULL, argv, envp);
  posix_spawn_file_actions_destroy(&fa);
  close(fds[1]);
  if (rc != 0)
    return -1;
  size_t n = 0;
  ssize_t r;
  while (n < sizeof app_out - 1 && (r = read(fds[0], app_out + n, sizeof app_out - 1 - n)) > 0)
    n += (size_t)r;
  app_out[n] = '\0';
  close(fds[0]);
  int status;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static int setup(void **state) {
  (void)state;
  coll = listener_start(0);
  if (!coll || run_app() != 0)
    return -1;
  /* Process start and exit, six lines on stderr, two gRPC events on each
   * side of the call (stdout, where the app prints the metadata, goes to a
   * pipe apart from stderr: not a log). A stray report makes the count
   * reach 12 without the exit event, which the tests then miss. */
  listener_wait(coll, 12, 10000);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  listener_stop(coll);
  return 0;
}

static const test_report *find(const char *label_prefix) {
  const test_report *found = NULL;
  for (size_t i = 0; i < listener_count(coll); i++) {
    const test_report *r = listener_report(coll, i);
    if (strncmp(r->label, label_prefix, strlen(label_prefix)) == 0) {
      assert_null(found); /* one report per label */
      found = r;
    }
  }
  if (!found)
    fail_msg("no report labelled '%s...'", label_prefix);
  return found;
}

static void assert_parents(const test_report *r, size_t n, ...) {
  va_list ap;
  va_start(ap, n);
  assert_int_equal(r->nparents, n);
  for (size_t i = 0; i < n; i++) {
    int64_t want = va_arg(ap, int64_t);
    int hit = 0;
    for (size_t j = 0; j < r->nparents; j++)
      hit |= r->parents[j] == want;
    if (!hit)
      fail_msg("'%s' lacks parent %lld", r->label, (long long)want);
  }
  va_end(ap);
}

/* The value printed by cbq_app for name. */
static const char *app_said(const char *name) {
  static char value[256];
  size_t n = strlen(name);
  for (const char *p = app_out; p && *p; p = strchr(p, '\n') ? strchr(p, '\n') + 1 : NULL) {
    if (strncmp(p, name, n) == 0 && p[n] == ' ') {
      size_t len = strcspn(p + n + 1, "\n");
      snprintf(value, sizeof value, "%.*s", (int)len, p + n + 1);
      return value;
    }
  }
  return "";
}

static void test_client_completion_runs_in_the_callers_task(void **state) {
  (void)state;
  const test_report *start = find("app start"), *call = find("grpc call /main.Operator/PerformOp");
  const test_report *done = find("grpc done /main.Operator/PerformOp: OK");
  const test_report *cb = find("client callback: ok 1 status 0");
  assert_true(call->task_id == start->task_id);
  assert_true(done->task_id == start->task_id);
  assert_true(cb->task_id == start->task_id);
  assert_int_not_equal(cb->tid, start->tid); /* it did run on the core's thread */
  assert_int_equal(done->tid, cb->tid);
  assert_parents(done, 2, call->event_id, (int64_t)REPLY_EVENT);
  assert_parents(cb, 1, done->event_id);
}

static void test_client_request_carries_the_callers_context(void **state) {
  (void)state;
  const test_report *call = find("grpc call /main.Operator/PerformOp");
  char want[64];
  snprintf(want, sizeof want, "%lld", (long long)call->task_id);
  assert_string_equal(app_said("xtrace_task_id"), want);
  /* The server's first event is to follow the client's "grpc call". */
  snprintf(want, sizeof want, "%lld", (long long)call->event_id);
  assert_string_equal(app_said("xtrace_event_id"), want);
  snprintf(want, sizeof want, "00-0000000000000000%016llx-%016llx-01",
           (unsigned long long)call->task_id, (unsigned long long)call->event_id);
  assert_string_equal(app_said("traceparent"), want);
}

static void test_new_call_is_adopted_on_the_core_thread(void **state) {
  (void)state;
  const test_report *recv = find("grpc receive"), *handling = find("handling call: ok 1");
  const test_report *reply = find("grpc reply"), *sent = find("reply sent: ok 1");
  assert_true(recv->task_id == (int64_t)IN_TASK);
  assert_parents(recv, 1, (int64_t)IN_EVENT);
  assert_true(handling->task_id == (int64_t)IN_TASK);
  assert_parents(handling, 1, recv->event_id);
  assert_true(reply->task_id == (int64_t)IN_TASK);
  assert_parents(reply, 1, handling->event_id);
  /* The reply's own completion continues from the reply. */
  assert_true(sent->task_id == (int64_t)IN_TASK);
  assert_parents(sent, 1, reply->event_id);
  char want[32];
  snprintf(want, sizeof want, "%lld", (long long)reply->event_id);
  assert_string_equal(app_said("trailing_event_id"), want);
}

static void test_core_thread_keeps_no_context(void **state) {
  (void)state;
  for (size_t i = 0; i < listener_count(coll); i++)
    assert_string_not_equal(listener_report(coll, i)->label, "core thread idle");
  /* The main thread stays in its own task: nothing of the server call. */
  const test_report *start = find("app start"), *fin = find("server call finished");
  assert_true(fin->task_id == start->task_id);
  assert_int_equal(fin->tid, start->tid);
  const test_report *client_fin = find("client call finished");
  assert_parents(client_fin, 1, find("grpc call /main.Operator/PerformOp")->event_id);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_client_completion_runs_in_the_callers_task),
      cmocka_unit_test(test_client_request_carries_the_callers_context),
      cmocka_unit_test(test_new_call_is_adopted_on_the_core_thread),
      cmocka_unit_test(test_core_thread_keeps_no_context),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
