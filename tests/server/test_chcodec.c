/* Unit tests for what the ClickHouse store writes and parses without a
 * server: the --store URL, RowBinary values and string literals. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "chconn.h"
#include "rowbin.h"

static void test_url_with_nodes_database_and_cluster(void **st) {
  (void)st;
  xt__ch_url u;
  const char *why = NULL;
  assert_int_equal(xt__ch_parse_url("clickhouse+http://127.0.0.1:8123,db2.example:9123/xt_1?cluster=two", &u, &why), 0);
  assert_int_equal(u.nnodes, 2);
  assert_string_equal(u.nodes[0], "127.0.0.1:8123");
  assert_string_equal(u.nodes[1], "db2.example:9123");
  assert_string_equal(u.db, "xt_1");
  assert_string_equal(u.cluster, "two");
}

static void test_url_without_cluster(void **st) {
  (void)st;
  xt__ch_url u;
  const char *why = NULL;
  assert_int_equal(xt__ch_parse_url("clickhouse+http://localhost:8123/traces", &u, &why), 0);
  assert_int_equal(u.nnodes, 1);
  assert_string_equal(u.db, "traces");
  assert_string_equal(u.cluster, "");
}

/* Names go into statements unquoted: anything but letters, digits and _
 * must be refused, as must a malformed node list. */
static void test_url_refuses_what_would_be_sql_or_not_a_node(void **st) {
  (void)st;
  static const char *bad[] = {
      "http://localhost:8123/xt",
      "clickhouse+http://localhost:8123",
      "clickhouse+http://localhost/xt",
      "clickhouse+http://localhost:80a/xt",
      "clickhouse+http://:8123/xt",
      "clickhouse+http://localhost:8123,/xt",
      "clickhouse+http://localhost:8123/",
      "clickhouse+http://localhost:8123/x;DROP",
      "clickhouse+http://localhost:8123/xt?cluster=a b",
      "clickhouse+http://localhost:8123/xt?cluster=",
      "clickhouse+http://localhost:8123/xt?shards=2",
      "clickhouse+http://user@localhost:8123/xt",
  };
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    xt__ch_url u;
    const char *why = NULL;
    if (xt__ch_parse_url(bad[i], &u, &why) != -EINVAL) fail_msg("accepted %s", bad[i]);
    assert_non_null(why);
  }
}

static void test_rowbinary_round_trip(void **st) {
  (void)st;
  xt__buf b;
  xt__buf_init(&b);
  char big[300];
  memset(big, 'x', sizeof big);
  xt__rb_put_u64(&b, UINT64_C(0x8000000000000001));
  xt__rb_put_i32(&b, -5);
  xt__rb_put_str(&b, "a\0b", 3);
  xt__rb_put_str(&b, big, sizeof big); /* a two-byte length */
  xt__rb_put_varint(&b, 0);
  assert_int_equal(b.len, 8 + 4 + 1 + 3 + 2 + sizeof big + 1);
  xt__rb r = {(const uint8_t *)b.data, (const uint8_t *)b.data + b.len, 0};
  assert_true(xt__rb_u64(&r) == UINT64_C(0x8000000000000001));
  assert_int_equal(xt__rb_i32(&r), -5);
  size_t n;
  const char *s = xt__rb_str(&r, &n);
  assert_int_equal(n, 3);
  assert_memory_equal(s, "a\0b", 3);
  s = xt__rb_str(&r, &n);
  assert_int_equal(n, sizeof big);
  assert_memory_equal(s, big, sizeof big);
  assert_int_equal(xt__rb_varint(&r), 0);
  assert_false(r.bad);
  assert_ptr_equal(r.p, r.end);
  xt__buf_free(&b);
}

/* An answer cut short (a dropped connection) is detected, never read past. */
static void test_rowbinary_truncated_string_is_bad(void **st) {
  (void)st;
  const uint8_t data[] = {10, 'a', 'b'};
  xt__rb r = {data, data + sizeof data, 0};
  size_t n;
  xt__rb_str(&r, &n);
  assert_true(r.bad);
  assert_int_equal(n, 0);
  const uint8_t u[] = {1, 2, 3};
  xt__rb r2 = {u, u + sizeof u, 0};
  xt__rb_u64(&r2);
  assert_true(r2.bad);
}

static void test_quote_escapes_backslash_and_quote(void **st) {
  (void)st;
  xt__buf b;
  xt__buf_init(&b);
  xt__ch_quote(&b, "it's a \\ path");
  xt__buf_putc(&b, 0);
  assert_string_equal(b.data, "'it\\'s a \\\\ path'");
  xt__buf_free(&b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_url_with_nodes_database_and_cluster),
      cmocka_unit_test(test_url_without_cluster),
      cmocka_unit_test(test_url_refuses_what_would_be_sql_or_not_a_node),
      cmocka_unit_test(test_rowbinary_round_trip),
      cmocka_unit_test(test_rowbinary_truncated_string_is_bad),
      cmocka_unit_test(test_quote_escapes_backslash_and_quote),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
