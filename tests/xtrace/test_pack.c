/* The client's direct report encoder against protobuf-c's packer: the same
 * bytes for the reports the client writes, for every field and edge of the
 * wire format (negative varints, string lengths across varint widths, NULL
 * and empty strings, multi-byte tags), and no write past the room given. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "client.h"
#include "xtrace_report.pb-c.h"

#define GUARD 0xA5

static void check_refused(const Pubsub__XTraceReportv4 *m, uint8_t *buf, size_t n, size_t cap) {
  memset(buf, GUARD, n + 1);
  assert_true(xt__report_pack(m, buf, cap) == SIZE_MAX);
  for (size_t i = cap; i <= n; i++) assert_int_equal(buf[i], GUARD);
}

/* Packs m both ways and compares; then checks that rooms smaller than the
 * report (every one for a small report, some for a large) are refused
 * without a byte written past them. */
static void check_same(const Pubsub__XTraceReportv4 *m) {
  size_t n = pubsub__xtrace_reportv4__get_packed_size(m);
  uint8_t *want = malloc(n + 1), *got = malloc(n + 1);
  assert_non_null(want);
  assert_non_null(got);
  assert_int_equal(pubsub__xtrace_reportv4__pack(m, want), n);
  assert_int_equal(xt__report_pack(m, got, n), n);
  assert_memory_equal(got, want, n);
  if (n <= 1024) {
    for (size_t cap = 0; cap < n; cap++) check_refused(m, got, n, cap);
  } else {
    size_t caps[] = {0, 1, n / 2, n - 2, n - 1};
    for (size_t i = 0; i < sizeof caps / sizeof caps[0]; i++) check_refused(m, got, n, caps[i]);
  }
  free(want);
  free(got);
}

static char *repeat(char c, size_t n) {
  char *s = malloc(n + 1);
  assert_non_null(s);
  memset(s, c, n);
  s[n] = '\0';
  return s;
}

static void test_client_shaped_report(void **state) {
  (void)state;
  int64_t parents[] = {0x1122334455667788, -1, 7};
  char *keys[] = {"exit_status", "fd"}, *values[] = {"0", "2"}, *tags[] = {"exit"};
  Pubsub__XTraceReportv4 m = PUBSUB__XTRACE_REPORTV4__INIT;
  m.has_task_id = m.has_event_id = m.has_timestamp = m.has_hrt = m.has_thread_id = 1;
  m.task_id = 0x0123456789abcdef;
  m.event_id = -0x0123456789abcdef;
  m.n_parent_event_id = 3;
  m.parent_event_id = parents;
  m.timestamp = 1764672000123456;
  m.hrt = 987654321012;
  m.thread_id = 4242;
  m.threadname = "worker-1";
  m.agent = "stderr";
  m.source = "libc.so.6+0x2a1c0 (fprintf)";
  m.label = "request 17 failed: connection refused";
  m.n_key = m.n_value = 2;
  m.key = keys;
  m.value = values;
  m.n_tags = 1;
  m.tags = tags;
  check_same(&m);
}

static void test_every_field_and_extreme(void **state) {
  (void)state;
  int64_t values[] = {0, 1, 127, 128, 16383, 16384, INT32_MAX, -1, INT32_MIN, INT64_MAX, INT64_MIN};
  for (size_t i = 0; i < sizeof values / sizeof values[0]; i++) {
    int64_t v = values[i];
    Pubsub__XTraceReportv4 m = PUBSUB__XTRACE_REPORTV4__INIT;
    m.has_task_id = m.has_event_id = m.has_timestamp = m.has_hrt = m.has_cycles = 1;
    m.has_process_id = m.has_thread_id = m.has_tenantclass = 1;
    m.task_id = m.event_id = m.timestamp = m.hrt = m.cycles = v;
    m.process_id = m.thread_id = m.tenantclass = (int32_t)v;
    m.host = "host";
    m.process_name = "prog --flag";
    check_same(&m);
  }
}

static void test_null_and_empty_strings(void **state) {
  (void)state;
  char *strs[] = {"", "a", ""};
  Pubsub__XTraceReportv4 m = PUBSUB__XTRACE_REPORTV4__INIT;
  check_same(&m); /* nothing set: an empty message */
  m.agent = "";
  m.label = "";
  m.n_key = m.n_value = m.n_tags = 3;
  m.key = m.value = m.tags = strs;
  check_same(&m);
}

static void test_string_length_widths(void **state) {
  (void)state;
  size_t lengths[] = {127, 128, 300, 16383, 16384, 70000};
  for (size_t i = 0; i < sizeof lengths / sizeof lengths[0]; i++) {
    char *s = repeat('x', lengths[i]);
    Pubsub__XTraceReportv4 m = PUBSUB__XTRACE_REPORTV4__INIT;
    m.label = s;
    m.tags = &s;
    m.n_tags = 1;
    check_same(&m);
    free(s);
  }
}

/* Reports of random shape, from a fixed seed so a failure repeats. */
static uint64_t rng_state = 0x9e3779b97f4a7c15;
static uint64_t rnd(void) {
  rng_state ^= rng_state << 13;
  rng_state ^= rng_state >> 7;
  rng_state ^= rng_state << 17;
  return rng_state;
}

static char *rnd_string(void) {
  size_t n = rnd() % 5 == 0 ? rnd() % 400 : rnd() % 40;
  char *s = malloc(n + 1);
  assert_non_null(s);
  for (size_t i = 0; i < n; i++) s[i] = (char)(1 + rnd() % 255); /* any byte but NUL */
  s[n] = '\0';
  return s;
}

static char *maybe_string(void) { return rnd() % 4 ? rnd_string() : NULL; }

static void test_random_reports(void **state) {
  (void)state;
  for (int round = 0; round < 2000; round++) {
    Pubsub__XTraceReportv4 m = PUBSUB__XTRACE_REPORTV4__INIT;
    int64_t parents[8];
    char *strs[3][6], *single[6];
    m.has_task_id = rnd() & 1, m.task_id = (int64_t)rnd();
    m.has_event_id = rnd() & 1, m.event_id = (int64_t)rnd();
    m.has_timestamp = rnd() & 1, m.timestamp = (int64_t)rnd() >> (rnd() % 64);
    m.has_hrt = rnd() & 1, m.hrt = (int64_t)rnd();
    m.has_cycles = rnd() & 1, m.cycles = -(int64_t)(rnd() % 1000);
    m.has_process_id = rnd() & 1, m.process_id = (int32_t)rnd();
    m.has_thread_id = rnd() & 1, m.thread_id = (int32_t)rnd();
    m.has_tenantclass = rnd() & 1, m.tenantclass = (int32_t)(rnd() % 3) - 1;
    m.n_parent_event_id = rnd() % 9;
    for (size_t i = 0; i < m.n_parent_event_id; i++) parents[i] = (int64_t)rnd();
    m.parent_event_id = parents;
    char **fields[] = {&m.host, &m.process_name, &m.threadname, &m.agent, &m.source, &m.label};
    for (size_t i = 0; i < 6; i++) *fields[i] = single[i] = maybe_string();
    size_t counts[3];
    for (size_t k = 0; k < 3; k++) {
      counts[k] = rnd() % 7;
      for (size_t i = 0; i < counts[k]; i++) strs[k][i] = rnd_string();
    }
    m.n_key = counts[0], m.key = strs[0];
    m.n_value = counts[1], m.value = strs[1];
    m.n_tags = counts[2], m.tags = strs[2];
    check_same(&m);
    for (size_t i = 0; i < 6; i++) free(single[i]);
    for (size_t k = 0; k < 3; k++)
      for (size_t i = 0; i < counts[k]; i++) free(strs[k][i]);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_client_shaped_report),   cmocka_unit_test(test_every_field_and_extreme),
      cmocka_unit_test(test_null_and_empty_strings), cmocka_unit_test(test_string_length_widths),
      cmocka_unit_test(test_random_reports),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
