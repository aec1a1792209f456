/* What the client knows of the collector's reachability, and what it waits
 * for: a collector not reached is never waited for, a failed connect is
 * passed on to children and believed for a while, then probed again. Each
 * test runs in a child process of its own: the client starts once per
 * process, and these tests start it in different states. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "client.h"
#include "listener.h"

#define WAIT_MS 30000

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Runs fn in a child and asserts it returned 0 (a failed check inside
 * exits with the line number). */
#define CHECK(cond)                                                                                \
  do {                                                                                             \
    if (!(cond)) {                                                                                 \
      fprintf(stderr, "%s:%d: %s\n", __FILE__, __LINE__, #cond);                                   \
      _exit(1);                                                                                    \
    }                                                                                              \
  } while (0)

static void run_child(void (*fn)(void *), void *arg) {
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    fn(arg);
    _exit(0);
  }
  int st;
  assert_int_equal(waitpid(pid, &st, 0), pid);
  assert_true(WIFEXITED(st));
  assert_int_equal(WEXITSTATUS(st), 0);
}

static void init_for(uint16_t port) {
  char server[64];
  snprintf(server, sizeof server, "127.0.0.1:%u", port);
  xt_config cfg = {.server = server, .flush_ms = 5000};
  CHECK(xt_init(&cfg) == 0);
}

/* A listener that drops connection attempts: backlog 0 holds one
 * connection, the one made here, and the kernel drops every later SYN. */
typedef struct dropper {
  int lfd, filler;
  uint16_t port;
} dropper;

static void dropper_start(dropper *d) {
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof a;
  d->lfd = socket(AF_INET, SOCK_STREAM, 0);
  assert_true(d->lfd >= 0);
  assert_int_equal(bind(d->lfd, (struct sockaddr *)&a, sizeof a), 0);
  assert_int_equal(listen(d->lfd, 0), 0);
  assert_int_equal(getsockname(d->lfd, (struct sockaddr *)&a, &len), 0);
  d->port = ntohs(a.sin_port);
  d->filler = socket(AF_INET, SOCK_STREAM, 0);
  assert_int_equal(connect(d->filler, (struct sockaddr *)&a, sizeof a), 0);
}

static void dropper_stop(dropper *d) {
  close(d->filler);
  close(d->lfd);
}

static void dropping_child(void *arg) {
  dropper *d = arg;
  init_for(d->port);
  xt_task_start();
  xt_log("test", "lost", 4, NULL);
  /* The connect is pending (the reporter gives it a second): a flush asked
   * for less than that returns at once instead of running out its time. */
  CHECK(xt_flush(800) == -ENOTCONN);
  CHECK(atomic_load(&xt__g.link) != XT__LINK_UP);
  /* Once the connect times out, the failure is there to pass on. */
  char env[64] = "";
  for (int i = 0; i < WAIT_MS / 10 && xt_link_env(env, sizeof env) == 0; i++) usleep(10000);
  CHECK(strncmp(env, XT_LINK_ENV "=", sizeof XT_LINK_ENV) == 0);
  long long since = atoll(env + sizeof XT_LINK_ENV);
  CHECK(since > 0 && since <= now_ms());
  CHECK(xt_flush(WAIT_MS) == -ENOTCONN);
  /* A fork child knows it too, and does not start a reporter of its own. */
  pid_t pid = fork();
  if (pid == 0) {
    xt_log("test", "child", 5, NULL);
    CHECK(atomic_load(&xt__g.reporter) == XT__REPORTER_NONE);
    CHECK(xt_flush(WAIT_MS) == -ENOTCONN);
    _exit(0);
  }
  int st;
  CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
}

static void test_dropping_collector_is_not_waited_for(void **state) {
  (void)state;
  dropper d;
  dropper_start(&d);
  run_child(dropping_child, &d);
  dropper_stop(&d);
}

static void inherited_down_child(void *arg) {
  listener *l = arg;
  char since[24];
  snprintf(since, sizeof since, "%lld", (long long)now_ms());
  setenv(XT_LINK_ENV, since, 1);
  init_for(listener_port(l));
  xt_task_start();
  xt_log("test", "quiet", 5, NULL);
  /* Believed: no reporter, so no connection, and nothing to wait for. */
  CHECK(atomic_load(&xt__g.reporter) == XT__REPORTER_NONE);
  CHECK(xt_flush(WAIT_MS) == -ENOTCONN);
  /* Passed on unchanged to this process's children. */
  char env[64];
  CHECK(xt_link_env(env, sizeof env) > 0);
  CHECK(strcmp(env + sizeof XT_LINK_ENV, since) == 0);
}

static void test_inherited_down_collector_is_not_tried(void **state) {
  (void)state;
  listener *l = listener_start(0);
  assert_non_null(l);
  run_child(inherited_down_child, l);
  listener_stop(l);
}

static void stale_down_child(void *arg) {
  listener *l = arg;
  char since[24];
  snprintf(since, sizeof since, "%lld", (long long)(now_ms() - XT__DOWN_TRUST_MS - 1));
  setenv(XT_LINK_ENV, since, 1);
  init_for(listener_port(l));
  xt_task_start();
  xt_log("test", "probed", 6, NULL);
  CHECK(xt_flush(WAIT_MS) == 0);
  /* Reached: nothing to pass on any more. */
  char env[64];
  CHECK(xt_link_env(env, sizeof env) == 0);
}

static void test_old_failure_is_probed_again(void **state) {
  (void)state;
  listener *l = listener_start(0);
  assert_non_null(l);
  run_child(stale_down_child, l);
  assert_int_equal(listener_wait(l, 1, WAIT_MS), 1);
  assert_string_equal(listener_report(l, 0)->label, "probed");
  listener_stop(l);
}

static void exit_flush_child(void *arg) {
  listener *l = arg;
  init_for(listener_port(l));
  xt_task_start();
  xt_log("test", "parent", 6, NULL);
  CHECK(xt_flush(WAIT_MS) == 0);
  pid_t pid = fork();
  if (pid == 0) {
    /* A fork child with nothing sent yet leaves through _exit: its exit
     * event is recorded and, with no reporter here, dropped and counted
     * rather than starting one. */
    xt_event_info ev = {.agent = "test", .label = "exit", .label_len = 4};
    xt_exit_flush(&ev, 0);
    xt_stats st;
    xt_get_stats(&st);
    CHECK(st.dropped == 1);
    CHECK(atomic_load(&xt__g.reporter) == XT__REPORTER_NONE);
    CHECK(xt_log("test", "after", 5, NULL) == 0);
    _exit(0);
  }
  int st;
  CHECK(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0);
  /* In a process whose reporter has reached the collector, the exit event
   * is sent: xt_exit_flush waits for that. */
  xt_event_info ev = {.agent = "test", .label = "bye", .label_len = 3};
  xt_exit_flush(&ev, WAIT_MS);
  CHECK(xt__g.sent_pos >= xt__ring_head(&xt__g.ring));
}

static void test_exit_flush_starts_no_reporter(void **state) {
  (void)state;
  listener *l = listener_start(0);
  assert_non_null(l);
  run_child(exit_flush_child, l);
  assert_int_equal(listener_wait(l, 2, WAIT_MS), 2);
  assert_string_equal(listener_report(l, 1)->label, "bye");
  listener_stop(l);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_dropping_collector_is_not_waited_for),
      cmocka_unit_test(test_inherited_down_collector_is_not_tried),
      cmocka_unit_test(test_old_failure_is_probed_again),
      cmocka_unit_test(test_exit_flush_starts_no_reporter),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
