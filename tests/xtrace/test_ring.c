/* The event ring on its own: order, bounds, wrap-around and reuse. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ring.h"

static int setup(void **state) {
  static xt__ring r;
  assert_int_equal(xt__ring_init(&r, 64u << 10), 0);
  *state = &r;
  return 0;
}

static int teardown(void **state) {
  xt__ring_destroy(*state);
  return 0;
}

static void put(xt__ring *r, const char *s) {
  size_t n = strlen(s);
  char *p = xt__ring_reserve(r, n);
  assert_non_null(p);
  memcpy(p, s, n);
  xt__ring_commit(p, n);
}

static uint64_t take(xt__ring *r, uint64_t pos, const char *want) {
  uint32_t len;
  uint64_t next;
  const char *p = xt__ring_peek(r, pos, &len, &next);
  assert_non_null(p);
  assert_int_equal(len, strlen(want));
  assert_memory_equal(p, want, len);
  return next;
}

static void test_records_come_out_in_order(void **state) {
  xt__ring *r = *state;
  put(r, "one");
  put(r, "two");
  uint64_t pos = take(r, 0, "one");
  pos = take(r, pos, "two");
  uint32_t len;
  uint64_t next;
  assert_null(xt__ring_peek(r, pos, &len, &next));
}

static void test_uncommitted_record_is_not_visible(void **state) {
  xt__ring *r = *state;
  char *p = xt__ring_reserve(r, 5);
  assert_non_null(p);
  uint32_t len;
  uint64_t next;
  assert_null(xt__ring_peek(r, 0, &len, &next));
  memcpy(p, "later", 5);
  xt__ring_commit(p, 5);
  take(r, 0, "later");
}

static void test_full_ring_refuses_and_recovers_after_release(void **state) {
  xt__ring *r = *state;
  size_t fitted = 0;
  char block[1000];
  memset(block, 'x', sizeof block);
  for (;;) {
    char *p = xt__ring_reserve(r, sizeof block);
    if (!p) break;
    memcpy(p, block, sizeof block);
    xt__ring_commit(p, sizeof block);
    fitted++;
  }
  assert_int_equal(fitted, r->size / (sizeof block + XT_RING_HDR));
  assert_null(xt__ring_reserve(r, 100));
  xt__ring_release(r, xt__ring_head(r));
  assert_non_null(xt__ring_reserve(r, sizeof block));
}

static void test_oversized_record_is_refused(void **state) {
  xt__ring *r = *state;
  assert_null(xt__ring_reserve(r, xt__ring_max_record(r) + 1));
  assert_non_null(xt__ring_reserve(r, xt__ring_max_record(r)));
}

/* Records of varied sizes cycled through the ring many times: each comes back
 * intact, none straddles the end, and stale bytes are never read as headers. */
static void test_wraparound_keeps_every_record_intact(void **state) {
  xt__ring *r = *state;
  uint64_t pos = 0;
  char buf[3000];
  for (unsigned i = 0; i < 5000; i++) {
    size_t n = 1 + (i * 7919u) % sizeof buf;
    char *p = xt__ring_reserve(r, n);
    assert_non_null(p);
    memset(p, (int)('a' + i % 26), n);
    xt__ring_commit(p, n);
    uint32_t len;
    uint64_t next;
    const char *got = xt__ring_peek(r, pos, &len, &next);
    assert_non_null(got);
    assert_int_equal(len, n);
    memset(buf, (int)('a' + i % 26), n);
    assert_memory_equal(got, buf, n);
    xt__ring_release(r, next);
    pos = next;
    assert_null(xt__ring_peek(r, pos, &len, &next));
  }
  assert_true(pos > 10 * r->size);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_records_come_out_in_order, setup, teardown),
      cmocka_unit_test_setup_teardown(test_uncommitted_record_is_not_visible, setup, teardown),
      cmocka_unit_test_setup_teardown(test_full_ring_refuses_and_recovers_after_release, setup, teardown),
      cmocka_unit_test_setup_teardown(test_oversized_record_is_refused, setup, teardown),
      cmocka_unit_test_setup_teardown(test_wraparound_keeps_every_record_intact, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
