/* A forked child forgets the parent's socket without closing a file the
 * application has put on its number. */
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "listener.h"
#include "xtrace/xtrace.h"

#define WAIT_MS 30000

/* The descriptor of the connection to port, or -1. */
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
  (void)state;
  listener *l = listener_start(0);
  assert_non_null(l);
  char server[64];
  snprintf(server, sizeof server, "127.0.0.1:%u", listener_port(l));
  xt_config cfg = {.server = server};
  assert_int_equal(xt_init(&cfg), 0);
  xt_task_start();
  xt_log("test", "connect", 7, NULL);
  assert_int_equal(xt_flush(WAIT_MS), 0);
  assert_int_equal(listener_wait(l, 1, WAIT_MS), 1);

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
  assert_true(is_dev_null(ours));
  close(ours);
  xt_shutdown();
  listener_stop(l);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_child_keeps_the_file_the_application_put_on_our_number),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
