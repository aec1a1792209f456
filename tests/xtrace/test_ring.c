/* The event ring on its own: order, bounds, wrap-around and reuse, and many
 * producers at once against one consumer (run under TSan too). */
#include <pthread.h>
#include <sched.h>
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
  /* The 64 KiB asked for, less a little per record for its bookkeeping: no
   * more payload than the ring's bytes, and no more than 10% lost. */
  assert_true(fitted * sizeof block <= 64u << 10);
  assert_true(fitted * sizeof block >= (64u << 10) / 10 * 9);
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

/* Producers that each write a numbered sequence of records, of lengths and
 * bytes that follow from (producer, number), waiting whenever the ring is
 * full; the consumer must see every record once, whole, and each producer's
 * records in the order it wrote them. */
enum { PRODUCERS = 4, PER_PRODUCER = 20000, MAX_EXTRA = 300 };

typedef struct producer {
  xt__ring *r;
  uint32_t id;
} producer;

static size_t record_len(uint32_t seq) { return 8 + (seq * 7919u) % MAX_EXTRA; }
static uint8_t record_byte(uint32_t id, uint32_t seq, size_t i) {
  return (uint8_t)(id * 31u + seq * 7u + i);
}

static void *produce(void *arg) {
  producer *pr = arg;
  for (uint32_t seq = 0; seq < PER_PRODUCER; seq++) {
    size_t n = record_len(seq);
    uint8_t *p;
    while (!(p = xt__ring_reserve(pr->r, n))) sched_yield();
    memcpy(p, &pr->id, 4);
    memcpy(p + 4, &seq, 4);
    for (size_t i = 8; i < n; i++) p[i] = record_byte(pr->id, seq, i);
    xt__ring_commit(p, n);
  }
  return NULL;
}

static void test_many_producers_one_consumer_every_record_once_intact(void **state) {
  xt__ring *r = *state;
  pthread_t t[PRODUCERS];
  producer pr[PRODUCERS];
  for (uint32_t i = 0; i < PRODUCERS; i++) {
    pr[i] = (producer){r, i};
    assert_int_equal(pthread_create(&t[i], NULL, produce, &pr[i]), 0);
  }
  uint32_t next_seq[PRODUCERS] = {0};
  uint64_t pos = xt__ring_tail(r);
  for (size_t got = 0; got < (size_t)PRODUCERS * PER_PRODUCER;) {
    uint32_t len;
    uint64_t next;
    const uint8_t *p = xt__ring_peek(r, pos, &len, &next);
    if (!p) {
      sched_yield();
      continue;
    }
    uint32_t id, seq;
    assert_true(len >= 8);
    memcpy(&id, p, 4);
    memcpy(&seq, p + 4, 4);
    assert_in_range(id, 0, PRODUCERS - 1);
    assert_int_equal(seq, next_seq[id]); /* none lost, repeated or reordered */
    assert_int_equal(len, record_len(seq));
    for (size_t i = 8; i < len; i++)
      if (p[i] != record_byte(id, seq, i)) fail_msg("producer %u record %u: byte %zu", id, seq, i);
    next_seq[id]++;
    got++;
    pos = next;
    xt__ring_release(r, pos);
  }
  for (int i = 0; i < PRODUCERS; i++) pthread_join(t[i], NULL);
  for (int i = 0; i < PRODUCERS; i++) assert_int_equal(next_seq[i], PER_PRODUCER);
  uint32_t len;
  uint64_t next;
  assert_null(xt__ring_peek(r, pos, &len, &next));
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_records_come_out_in_order, setup, teardown),
      cmocka_unit_test_setup_teardown(test_uncommitted_record_is_not_visible, setup, teardown),
      cmocka_unit_test_setup_teardown(test_full_ring_refuses_and_recovers_after_release, setup, teardown),
      cmocka_unit_test_setup_teardown(test_oversized_record_is_refused, setup, teardown),
      cmocka_unit_test_setup_teardown(test_wraparound_keeps_every_record_intact, setup, teardown),
      cmocka_unit_test_setup_teardown(test_many_producers_one_consumer_every_record_once_intact, setup,
                                      teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
