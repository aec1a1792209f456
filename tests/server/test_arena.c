/* Unit tests for the block arena that the ingest thread decodes reports into. */
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
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
