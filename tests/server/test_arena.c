/* Unit tests for the block arena that the ingest thread decodes reports into,
 * for decoding and streaming into it, and for batches that carry it to the
 * writer and back. */
#include <errno.h>
#include <setjmp.h>
#include <stdalign.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "arena.h"
#include "log.h"
#include "queue.h"
#include "report.h"
#include "stream.h"
#include "xtrace/frame.h"

#if defined(__SANITIZE_ADDRESS__)
#define HAVE_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define HAVE_ASAN 1
#endif
#endif
#ifdef HAVE_ASAN
#include <sanitizer/asan_interface.h>
#endif

static int aligned(const void *p) { return (uintptr_t)p % alignof(max_align_t) == 0; }

static void test_allocations_are_aligned_and_disjoint(void **st) {
  (void)st;
  xt__arena a;
  xt__arena_init(&a);
  enum { N = 2000 };
  unsigned char *p[N];
  for (int i = 0; i < N; i++) {
    size_t n = (size_t)(i % 97) + 1;
    p[i] = xt__arena_alloc(&a, n);
    assert_non_null(p[i]);
    assert_true(aligned(p[i]));
    memset(p[i], i & 0xff, n);
  }
  for (int i = 0; i < N; i++)
    for (size_t k = 0; k < (size_t)(i % 97) + 1; k++) assert_int_equal(p[i][k], i & 0xff);
  xt__arena_destroy(&a);
}

static void test_zero_bytes_is_a_valid_pointer(void **st) {
  (void)st;
  xt__arena a;
  xt__arena_init(&a);
  assert_non_null(xt__arena_alloc(&a, 0));
  xt__arena_destroy(&a);
}

static void test_impossible_size_is_null(void **st) {
  (void)st;
  xt__arena a;
  xt__arena_init(&a);
  assert_null(xt__arena_alloc(&a, SIZE_MAX));
  assert_null(xt__arena_alloc(&a, SIZE_MAX - 8));
  assert_int_equal(a.used, 0);
  xt__arena_destroy(&a);
}

/* Blocks never move: what was written first is intact after megabytes more. */
static void test_pointers_stay_valid_as_it_grows(void **st) {
  (void)st;
  xt__arena a;
  xt__arena_init(&a);
  char *first = xt__arena_alloc(&a, 6);
  memcpy(first, "first", 6);
  for (int i = 0; i < 10000; i++) memset(xt__arena_alloc(&a, 1000), 0xab, 1000);
  char *big = xt__arena_alloc(&a, 3u << 20); /* larger than any regular block */
  assert_non_null(big);
  memset(big, 0xcd, 3u << 20);
  assert_string_equal(first, "first");
  assert_true(a.reserved >= a.used);
  xt__arena_destroy(&a);
}

/* The steady state: once a batch's worth of memory exists, filling the arena
 * again after a reset allocates no new block (reserved does not change). */
static void test_reset_reuses_every_block(void **st) {
  (void)st;
  xt__arena a;
  xt__arena_init(&a);
  for (int i = 0; i < 5000; i++) assert_non_null(xt__arena_alloc(&a, (size_t)(i % 300) + 1));
  size_t used = a.used, reserved = a.reserved;
  for (int round = 0; round < 3; round++) {
    xt__arena_reset(&a);
    assert_int_equal(a.used, 0);
    for (int i = 0; i < 5000; i++) assert_non_null(xt__arena_alloc(&a, (size_t)(i % 300) + 1));
    assert_int_equal(a.used, used);
    assert_int_equal(a.reserved, reserved);
  }
  xt__arena_destroy(&a);
}

/* A large allocation after a reset gets a block of its own inserted where it
 * is needed; the small blocks after it are still reused. */
static void test_large_allocation_keeps_following_blocks_reusable(void **st) {
  (void)st;
  xt__arena a;
  xt__arena_init(&a);
  for (int i = 0; i < 100; i++) xt__arena_alloc(&a, 1000);
  size_t reserved = a.reserved;
  xt__arena_reset(&a);
  xt__arena_alloc(&a, 100);
  assert_non_null(xt__arena_alloc(&a, 2u << 20));
  size_t with_big = a.reserved;
  assert_true(with_big > reserved);
  for (int i = 0; i < 90; i++) xt__arena_alloc(&a, 1000);
  assert_int_equal(a.reserved, with_big);
  xt__arena_destroy(&a);
}

static void test_rewind_gives_back_what_came_after_the_mark(void **st) {
  (void)st;
  xt__arena a;
  xt__arena_init(&a);
  char *kept = xt__arena_alloc(&a, 4);
  memcpy(kept, "abc", 4);
  xt__arena_mark m = xt__arena_here(&a);
  size_t used = a.used;
  char *after = xt__arena_alloc(&a, 10);
  for (int i = 0; i < 1000; i++) xt__arena_alloc(&a, 1000); /* across blocks */
  size_t reserved = a.reserved;
  xt__arena_rewind(&a, m);
  assert_int_equal(a.used, used);
  assert_string_equal(kept, "abc");
  assert_ptr_equal(xt__arena_alloc(&a, 10), after);
  for (int i = 0; i < 1000; i++) xt__arena_alloc(&a, 1000);
  assert_int_equal(a.reserved, reserved);
  xt__arena_destroy(&a);
}

static void test_rewind_to_a_mark_of_the_empty_arena(void **st) {
  (void)st;
  xt__arena a;
  xt__arena_init(&a);
  xt__arena_mark m = xt__arena_here(&a);
  void *p = xt__arena_alloc(&a, 64);
  xt__arena_rewind(&a, m);
  assert_int_equal(a.used, 0);
  assert_ptr_equal(xt__arena_alloc(&a, 64), p);
  xt__arena_destroy(&a);
}

static void test_freed_memory_is_poisoned_under_asan(void **st) {
  (void)st;
#ifdef HAVE_ASAN
  xt__arena a;
  xt__arena_init(&a);
  char *p = xt__arena_alloc(&a, 20);
  assert_false(__asan_address_is_poisoned(p));
  assert_false(__asan_address_is_poisoned(p + 19));
  assert_true(__asan_address_is_poisoned(p + 20)); /* the rounding is a red zone */
  xt__arena_reset(&a);
  assert_true(__asan_address_is_poisoned(p));
  xt__arena_destroy(&a);
#else
  skip();
#endif
}

/* Reports in an arena. */

static size_t pack_report(uint8_t *out, int64_t task, const char *label) {
  Pubsub__XTraceReportv4 r = PUBSUB__XTRACE_REPORTV4__INIT;
  int64_t parents[] = {7, 8};
  char *tags[] = {"t1", "t2"};
  r.has_task_id = r.has_event_id = 1;
  r.task_id = task;
  r.event_id = 99;
  r.n_parent_event_id = 2, r.parent_event_id = parents;
  r.n_tags = 2, r.tags = tags;
  r.host = "host";
  r.label = (char *)label;
  return pubsub__xtrace_reportv4__pack(&r, out);
}

static void test_report_decodes_into_the_arena(void **st) {
  (void)st;
  xt__arena a;
  xt__arena_init(&a);
  uint8_t raw[256];
  size_t len = pack_report(raw, 5, "in the arena");
  Pubsub__XTraceReportv4 *m;
  assert_int_equal(xt__report_decode(raw, len, &a, &m), 0);
  assert_true(a.used > sizeof *m);
  assert_int_equal(m->task_id, 5);
  assert_string_equal(m->label, "in the arena");
  assert_int_equal(m->n_parent_event_id, 2);
  assert_int_equal(m->parent_event_id[1], 8);
  assert_string_equal(m->tags[1], "t2");
  xt__arena_destroy(&a);
}

static void test_rejected_report_leaves_the_arena_as_it_was(void **st) {
  (void)st;
  xt__arena a;
  xt__arena_init(&a);
  xt__arena_alloc(&a, 8);
  size_t used = a.used;
  uint8_t raw[256];
  Pubsub__XTraceReportv4 *m;
  size_t len = pack_report(raw, 0, "no task");
  assert_int_equal(xt__report_decode(raw, len, &a, &m), -ENODATA);
  assert_int_equal(a.used, used);
  len = pack_report(raw, 5, "cut short");
  assert_int_equal(xt__report_decode(raw, len - 3, &a, &m), -EBADMSG);
  assert_int_equal(a.used, used);
  xt__arena_destroy(&a);
}

typedef struct sink_state {
  xt__arena arenas[2];
  int which;       /* the arena handed to the stream */
  int keep, n;
  int switch_after; /* hand the other arena on after this many reports, as ingest does */
  const char *labels[8];
} sink_state;

static int take(void *arg, Pubsub__XTraceReportv4 *m, const uint8_t *raw, size_t len) {
  (void)raw, (void)len;
  sink_state *s = arg;
  s->labels[s->n++] = m->label;
  if (s->n == s->switch_after) s->which = 1;
  return s->keep;
}

static xt__arena *arena_of(void *arg) {
  sink_state *s = arg;
  return &s->arenas[s->which];
}

static size_t three_frames(uint8_t *buf) {
  size_t off = 0;
  const char *labels[] = {"one", "two", "three"};
  for (int i = 0; i < 3; i++) {
    uint8_t msg[256];
    size_t n = pack_report(msg, i + 1, labels[i]);
    off += xt_frame_header(buf + off, (uint32_t)n);
    memcpy(buf + off, msg, n);
    off += n;
  }
  return off;
}

static void init_sink(sink_state *s, int keep, int switch_after) {
  memset(s, 0, sizeof *s);
  xt__arena_init(&s->arenas[0]);
  xt__arena_init(&s->arenas[1]);
  s->keep = keep;
  s->switch_after = switch_after;
}

static void test_stream_rewinds_reports_the_receiver_leaves(void **st) {
  (void)st;
  sink_state s;
  init_sink(&s, 0, 0);
  uint8_t buf[1024];
  size_t len = three_frames(buf);
  const xt__stream_sink sink = {take, arena_of, &s};
  assert_int_equal(xt__stream_consume(buf, len, &sink, NULL), (long)len);
  assert_int_equal(s.n, 3);
  assert_int_equal(s.arenas[0].used, 0);
  xt__arena_destroy(&s.arenas[0]);
  xt__arena_destroy(&s.arenas[1]);
}

/* The receiver hands its arena on after the first report: the next reports
 * go to the new arena and the first stays readable where it was. */
static void test_stream_asks_for_the_arena_before_each_frame(void **st) {
  (void)st;
  sink_state s;
  init_sink(&s, 1, 1);
  uint8_t buf[1024];
  size_t len = three_frames(buf);
  const xt__stream_sink sink = {take, arena_of, &s};
  assert_int_equal(xt__stream_consume(buf, len, &sink, NULL), (long)len);
  assert_int_equal(s.n, 3);
  size_t first = s.arenas[0].used;
  assert_true(first > 0);
  assert_true(s.arenas[1].used > first); /* two reports */
  assert_string_equal(s.labels[0], "one");
  assert_string_equal(s.labels[2], "three");
  xt__arena_destroy(&s.arenas[0]);
  xt__arena_destroy(&s.arenas[1]);
}

/* Batches. */

static void add_report(xt__batch *b, int64_t task, const char *label) {
  uint8_t raw[256];
  size_t len = pack_report(raw, task, label);
  Pubsub__XTraceReportv4 *m;
  assert_int_equal(xt__report_decode(raw, len, &b->arena, &m), 0);
  assert_int_equal(xt__batch_add(b, m, 1, raw, len), 0);
}

static void test_batch_keeps_raw_bytes_beside_the_report(void **st) {
  (void)st;
  xt__batch *b = xt__batch_new();
  add_report(b, 3, "raw");
  uint8_t raw[256];
  size_t len = pack_report(raw, 3, "raw");
  assert_int_equal(b->items[0].raw_len, len);
  assert_memory_equal(b->items[0].raw, raw, len);
  assert_string_equal(b->items[0].msg->label, "raw");
  xt__batch_free(b);
}

static void test_batch_weight_counts_its_arena(void **st) {
  (void)st;
  xt__batch *b = xt__batch_new();
  size_t empty = xt__batch_weight(b);
  for (int i = 0; i < 1000; i++) add_report(b, i + 1, "a label of a few dozen bytes, like a log line");
  assert_true(xt__batch_weight(b) >= empty + b->arena.reserved);
  assert_true(b->arena.used > 1000 * 100);
  xt__batch_free(b);
}

/* A batch that went to the writer and back comes empty with its memory:
 * refilling it allocates nothing. */
static void test_recycled_batch_keeps_its_arena(void **st) {
  (void)st;
  xt__queue q;
  xt__queue_init(&q, 1 << 20);
  xt__batch *b = xt__queue_get_spare(&q);
  for (int i = 0; i < 500; i++) add_report(b, 1, "first round");
  size_t reserved = b->arena.reserved, cap = b->cap;
  xt__queue_push(&q, b);
  xt__queue_close(&q);
  xt__batch *list = xt__queue_pop_group(&q, 0, 0);
  assert_ptr_equal(list, b);
  xt__queue_recycle(&q, list);
  xt__batch *again = xt__queue_get_spare(&q);
  assert_ptr_equal(again, b);
  assert_int_equal(again->n, 0);
  assert_int_equal(again->arena.used, 0);
  for (int i = 0; i < 500; i++) add_report(again, 1, "first round");
  assert_int_equal(again->arena.reserved, reserved);
  assert_int_equal(again->cap, cap);
  xt__batch_free(again);
  xt__queue_destroy(&q);
}

static void test_spare_list_is_bounded_in_bytes(void **st) {
  (void)st;
  xt__queue q;
  xt__queue_init(&q, 1 << 20);
  /* Each batch holds about 1 MiB: only XT_QUEUE_SPARE_BYTES worth are kept. */
  xt__batch *list = NULL;
  for (int i = 0; i < 40; i++) {
    xt__batch *b = xt__batch_new();
    assert_non_null(xt__arena_alloc(&b->arena, 1u << 20));
    b->next = list;
    list = b;
  }
  xt__queue_recycle(&q, list);
  assert_true(q.spare_bytes <= XT_QUEUE_SPARE_BYTES);
  assert_true(q.spare_bytes >= XT_QUEUE_SPARE_BYTES / 2);
  xt__queue_destroy(&q);
}

int main(void) {
  xt__log_quiet(1);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_allocations_are_aligned_and_disjoint),
      cmocka_unit_test(test_zero_bytes_is_a_valid_pointer),
      cmocka_unit_test(test_impossible_size_is_null),
      cmocka_unit_test(test_pointers_stay_valid_as_it_grows),
      cmocka_unit_test(test_reset_reuses_every_block),
      cmocka_unit_test(test_large_allocation_keeps_following_blocks_reusable),
      cmocka_unit_test(test_rewind_gives_back_what_came_after_the_mark),
      cmocka_unit_test(test_rewind_to_a_mark_of_the_empty_arena),
      cmocka_unit_test(test_freed_memory_is_poisoned_under_asan),
      cmocka_unit_test(test_report_decodes_into_the_arena),
      cmocka_unit_test(test_rejected_report_leaves_the_arena_as_it_was),
      cmocka_unit_test(test_stream_rewinds_reports_the_receiver_leaves),
      cmocka_unit_test(test_stream_asks_for_the_arena_before_each_frame),
      cmocka_unit_test(test_batch_keeps_raw_bytes_beside_the_report),
      cmocka_unit_test(test_batch_weight_counts_its_arena),
      cmocka_unit_test(test_recycled_batch_keeps_its_arena),
      cmocka_unit_test(test_spare_list_is_bounded_in_bytes),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
