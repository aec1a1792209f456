/* With the collector absent or restarting, calls return, drops are counted
 * and reported, and delivery resumes once it is back. */
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
#include <unistd.h>

#include <cmocka.h>

#include "listener.h"
#include "xtrace/xtrace.h"

#define WAIT_MS 30000

static uint16_t port;
static int port_holder = -1;

/* The collector's port, picked by the kernel and held for the whole test by
 * a socket that never listens: connecting to it is refused (the collector is
 * absent), no other program is given it, and the listeners, which set
 * SO_REUSEADDR as this socket does, can bind it while it is held. */
static int hold_port(void) {
  port_holder = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (port_holder < 0) return -1;
  int one = 1;
  setsockopt(port_holder, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof a;
  if (bind(port_holder, (struct sockaddr *)&a, sizeof a) ||
      getsockname(port_holder, (struct sockaddr *)&a, &len))
    return -1;
  port = ntohs(a.sin_port);
  return 0;
}

static int setup(void **state) {
  (void)state;
  if (hold_port()) return -1;
  char server[64];
  snprintf(server, sizeof server, "127.0.0.1:%u", port);
  xt_config cfg = {.server = server, .buffer_bytes = 64u << 10, .flush_ms = 200};
  return xt_init(&cfg);
}

static size_t count_label(listener *l, uint64_t task, const char *prefix) {
  size_t n = 0, total = listener_count(l);
  for (size_t i = 0; i < total; i++) {
    const test_report *r = listener_report(l, i);
    if ((uint64_t)r->task_id == task && strncmp(r->label, prefix, strlen(prefix)) == 0) n++;
  }
  return n;
}

static const test_report *find_dropped_report(listener *l) {
  for (size_t i = 0; i < listener_count(l); i++) {
    const test_report *r = listener_report(l, i);
    if (strcmp(r->key0, "dropped") == 0) return r;
  }
  return NULL;
}

/* The drops the collector was told of: each report carries the count since
 * the one before. */
static uint64_t dropped_reported(listener *l, uint64_t task) {
  uint64_t n = 0;
  for (size_t i = 0; i < listener_count(l); i++) {
    const test_report *r = listener_report(l, i);
    if (strcmp(r->key0, "dropped") == 0 && (uint64_t)r->task_id == task)
      n += strtoull(r->value0, NULL, 10);
  }
  return n;
}

static void wait_label(listener *l, uint64_t task, const char *prefix, size_t want) {
  for (int i = 0; i < WAIT_MS / 10 && count_label(l, task, prefix) < want; i++) usleep(10000);
}

/* Waits until the reporter is connected and has sent everything buffered, so
 * what follows is not dropped for lack of room. */
static void wait_link_up(uint64_t connects_before) {
  xt_stats st;
  for (int i = 0; i < WAIT_MS / 10; i++) {
    xt_get_stats(&st);
    if (st.connects > connects_before && xt_flush(10) == 0) return;
    usleep(10000);
  }
  fail_msg("the client did not reconnect");
}

static void emit(const char *prefix, int n) {
  char label[64];
  for (int i = 0; i < n; i++) {
    int len = snprintf(label, sizeof label, "%s %d", prefix, i);
    xt_log("test", label, (size_t)len, NULL);
  }
}

static void test_absent_collector_drops_counts_then_delivers(void **state) {
  (void)state;
  uint64_t task = xt_task_start();
  enum { SENT = 20000 }; /* far more than 64 KiB holds */
  emit("unsent", SENT);
  /* Drops leave the parents alone: they name the last recorded event. */
  uint64_t last_recorded = xt_context()->parents[0];
  xt_stats st;
  xt_get_stats(&st);
  assert_int_equal(xt_flush(100), -ENOTCONN); /* returns at once, no waiting */

  listener *l = listener_start(port);
  assert_non_null(l);
  wait_link_up(st.connects);
  emit("after", 100);
  wait_label(l, task, "after", 100);
  assert_int_equal(count_label(l, task, "after"), 100);
  /* The drop count itself is reported once the link is back. */
  for (int i = 0; i < WAIT_MS / 10 && !find_dropped_report(l); i++) usleep(10000);
  const test_report *d = find_dropped_report(l);
  assert_non_null(d);
  assert_int_equal((uint64_t)d->task_id, task);
  /* It hangs off the dropping thread's last recorded event, on that
   * thread, instead of floating as a root on thread 0. */
  assert_int_equal(d->nparents, 1);
  assert_int_equal((uint64_t)d->parents[0], last_recorded);
  assert_int_equal(d->tid, xt_thread_id());
  /* Every event is either delivered or counted as dropped, both as the
   * collector sees them: the buffered ones went out before "after" did, on
   * the same connection. */
  uint64_t delivered = count_label(l, task, "unsent ");
  uint64_t dropped = dropped_reported(l, task);
  assert_true(dropped > 0);
  assert_int_equal(delivered + dropped, SENT);
  /* It names its process, as every report does. */
  assert_int_equal(d->pid, getpid());
  assert_non_null(strstr(d->process_name, "test_client_outage"));
  assert_true(d->host[0] != '\0');
  listener_stop(l);
}

static void test_restarted_collector_gets_later_events(void **state) {
  (void)state;
  uint64_t task = xt_task_start();
  xt_stats st;
  xt_get_stats(&st);
  listener *l = listener_start(port);
  assert_non_null(l);
  emit("first", 10);
  wait_label(l, task, "first", 10);
  assert_int_equal(count_label(l, task, "first"), 10);
  listener_stop(l);

  emit("during", 10); /* may be lost with the old connection: not checked */
  xt_get_stats(&st);
  l = listener_start(port);
  assert_non_null(l);
  wait_link_up(st.connects);
  emit("later", 50);
  wait_label(l, task, "later", 50);
  assert_int_equal(count_label(l, task, "later"), 50);
  listener_stop(l);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_absent_collector_drops_counts_then_delivers),
      cmocka_unit_test(test_restarted_collector_gets_later_events),
  };
  int rc = cmocka_run_group_tests(tests, setup, NULL);
  xt_shutdown();
  close(port_holder);
  return rc;
}
