/* With the collector absent or restarting, calls return, drops are counted
 * and reported, and delivery resumes once it is back. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "listener.h"
#include "xtrace/xtrace.h"

#define WAIT_MS 30000

static uint16_t port;

static int setup(void **state) {
  (void)state;
  /* Learn a free port, then leave it closed: the collector starts absent. */
  listener *probe = listener_start(0);
  if (!probe) return -1;
  port = listener_port(probe);
  listener_stop(probe);
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
  emit("unsent", 20000); /* far more than 64 KiB holds */
  /* Drops leave the parents alone: they name the last recorded event. */
  uint64_t last_recorded = xt_context()->parents[0];
  xt_stats st;
  xt_get_stats(&st);
  assert_true(st.dropped > 0);
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
  char want[32];
  snprintf(want, sizeof want, "%llu", (unsigned long long)st.dropped);
  assert_string_equal(d->value0, want);
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
  return rc;
}
