/* The shim's table of registered method names under a program that
 * registers the same methods over and over (a grpc++ stub per request):
 * stubs_app, linked against the fake core, runs under the preload and
 * reports to an in-process collector. */
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

/* 100,000 registrations would keep about 19 MiB if each added a record. */
#define GROWTH_LIMIT_KB 4096

static listener *coll;
static char app_out[256];

/* As in test_callback_cq.c: the sanitizer runtime goes first for ASan and
 * after the library for TSan (tests/preload/lib.sh says why). */
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
  const char *san = getenv("XT_SANITIZE");
  char *exclude = san && strcmp(san, "address") == 0 ? "XTRACE_EXCLUDE_LIBS=libgrpc*,libasan*"
                                                     : "XTRACE_EXCLUDE_LIBS=libgrpc*";
  char *envp[] = {preload, server, exclude, "ASAN_OPTIONS=verify_asan_link_order=0:detect_leaks=0",
                  NULL};
  char *argv[] = {getenv("XT_STUBS_APP"), NULL};
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
  /* process start, two lines, the call and its completion, the callback's
   * line, process exit */
  listener_wait(coll, 7, 10000);
  return 0;
}

static int teardown(void **state) {
  (void)state;
  listener_stop(coll);
  return 0;
}

static void test_registering_again_keeps_no_new_record(void **state) {
  (void)state;
  long growth = -1;
  assert_int_equal(sscanf(app_out, "rss_growth_kb %ld", &growth), 1);
  if (growth > GROWTH_LIMIT_KB)
    fail_msg("the program grew by %ld KiB over 100,000 registrations", growth);
}

static void test_call_on_a_handle_registered_again_is_named(void **state) {
  (void)state;
  const char *want = "grpc call /main.Operator/PerformOp to ";
  size_t hits = 0;
  for (size_t i = 0; i < listener_count(coll); i++)
    hits += strncmp(listener_report(coll, i)->label, want, strlen(want)) == 0;
  assert_int_equal(hits, 1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_registering_again_keeps_no_new_record),
      cmocka_unit_test(test_call_on_a_handle_registered_again_is_named),
  };
  return cmocka_run_group_tests(tests, setup, teardown);
}
