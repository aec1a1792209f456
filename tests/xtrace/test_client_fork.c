/* A forked child reports under its own PID through its own reporter, never
 * sends again what the parent had buffered, and forgets the parent's socket
 * without closing a file the application has put on its number. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "listener.h"
#include "xtrace/xtrace.h"

#define WAIT_MS 30000

/* One collector and one xt_init for the whole run: the client starts once
 * per process. */
static int setup(void **state) {
  listener *l = listener_start(0);
  if (!l)
    return -1;
  char server[64];
  snprintf(server, sizeof server, "127.0.0.1:%u", listener_port(l));
  xt_config cfg = {.server = server};
  *state = l;
  return xt_init(&cfg);
}

static int teardown(void **state) {
  xt_shutdown();
  listener_stop(*state);
  return 0;
}

static bool has_label(listener *l, const char *label) {
  for (size_t i = 0; i < listener_count(l); i++)
    if (strcmp(listener_report(l, i)->label, label) == 0) return true;
  return false;
}

static void test_forked_child_reports_own_pid_without_duplicates(void **state) {
  listener *l = *state;
  uint64_t task = xt_task_start();
  for (int i = 0; i < 200; i++) xt_log("test", "parent", 6, NULL);
  uint64_t last_parent_event = xt_context()->parents[0];
#ifdef __SANITIZE_ADDRESS__
  /* ASan's allocator (GCC 12) is not fork-safe: a fork while the listener
   * thread is in malloc leaves its lock held in the child. Let every thread
   * go quiet first; the other builds fork with the events still buffered. */
  assert_int_equal(xt_flush(WAIT_MS), 0);
  assert_int_equal(listener_wait(l, 200, WAIT_MS), 200);
#endif
  pid_t child = fork();
  if (child == 0) {
    for (int i = 0; i < 50; i++) xt_log("test", "child", 5, NULL);
    xt_log("test", "child done", 10, NULL);
    int rc = xt_flush(WAIT_MS);
    xt_shutdown();
    _exit(rc == 0 ? 0 : 1);
  }
  assert_true(child > 0);
  int status;
  assert_int_equal(waitpid(child, &status, 0), child);
  assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
  xt_log("test", "parent done", 11, NULL);
  assert_int_equal(xt_flush(WAIT_MS), 0);
  /* Each process's last event: a duplicate either sent would be in its
   * stream ahead of it, so once both are in, everything is. */
  for (int i = 0; i < WAIT_MS / 10 && !(has_label(l, "child done") && has_label(l, "parent done")); i++)
    usleep(10000);
  assert_int_equal(listener_count(l), 252);

  size_t parent_n = 0, child_n = 0;
  int64_t first_child_parent = 0;
  for (size_t i = 0; i < 252; i++) {
    const test_report *r = listener_report(l, i);
    assert_int_equal((uint64_t)r->task_id, task);
    for (size_t j = 0; j < i; j++) assert_true(listener_report(l, j)->event_id != r->event_id);
    if (strcmp(r->label, "parent done") == 0 || strcmp(r->label, "child done") == 0) continue;
    if (strcmp(r->label, "parent") == 0) {
      assert_int_equal(r->pid, getpid());
      parent_n++;
    } else {
      assert_string_equal(r->label, "child");
      assert_int_equal(r->pid, child);
      if (child_n++ == 0) first_child_parent = r->parents[0];
    }
  }
  assert_int_equal(parent_n, 200);
  assert_int_equal(child_n, 50);
  /* The child continues the task from where the parent stood at the fork. */
  assert_int_equal((uint64_t)first_child_parent, last_parent_event);
}

/* The descriptor of our connection to port, or -1. */
static int socket_to(uint16_t port) {
  for (int fd = 0; fd < 4096; fd++) {
    struct sockaddr_in a;
    socklen_t len = sizeof a;
    if (getpeername(fd, (struct sockaddr *)&a, &len) == 0 && a.sin_family == AF_INET &&
        ntohs(a.sin_port) == port)
      return fd;
  }
  return -1;
}

static bool is_dev_null(int fd) {
  struct stat st, null;
  return fstat(fd, &st) == 0 && stat("/dev/null", &null) == 0 && st.st_dev == null.st_dev &&
         st.st_ino == null.st_ino;
}

static void test_child_keeps_the_file_the_application_put_on_our_number(void **state) {
  listener *l = *state;
  xt_log("test", "connected", 9, NULL);
  assert_int_equal(xt_flush(WAIT_MS), 0);
  /* The application closes our socket's number and opens a file of its
   * own on it, then forks before the reporter has noticed. */
  int ours = socket_to(listener_port(l));
  assert_true(ours >= 0);
  int null = open("/dev/null", O_WRONLY);
  assert_true(null >= 0);
  assert_int_equal(dup2(null, ours), ours);
  close(null);
  pid_t child = fork();
  if (child == 0)
    _exit(is_dev_null(ours) ? 0 : 1);
  assert_true(child > 0);
  int status;
  assert_int_equal(waitpid(child, &status, 0), child);
  assert_true(WIFEXITED(status));
  assert_int_equal(WEXITSTATUS(status), 0);
  /* The parent's reporter, too, gives the number up without closing it and
   * reports over a new connection. The event is sent only once the reporter
   * has let go of our old number, and the flush's return is ordered after
   * that: the reporter probes the number no more when the test closes it. */
  xt_log("test", "reconnected", 11, NULL);
  assert_int_equal(xt_flush(WAIT_MS), 0);
  assert_true(is_dev_null(ours));
  close(ours);
}

int main(void) {
  /* In this order: the first counts every report the listener has. */
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_forked_child_reports_own_pid_without_duplicates),
      cmocka_unit_test(test_child_keeps_the_file_the_application_put_on_our_number),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
