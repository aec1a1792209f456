#include <pthread.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include "testutil.h"

#define DRAWS 1000000
#define SEQ 16

static void test_fresh_id_is_never_zero_nor_above_63_bits(void **state) {
  (void)state;
  for (int i = 0; i < DRAWS; i++) {
    uint64_t v = bg_id_fresh();
    assert_true(v != 0);
    assert_true(v <= (uint64_t)BG_ID_MAX);
  }
}

/* A generator stuck in a corner of the range (bit 62 always clear, odd only)
 * would pass the test above; this one checks both ends of the word vary and
 * bit 62 is set about half the time. The bounds are 20 standard deviations
 * wide, so only a broken generator falls outside them. */
static void test_fresh_ids_spread_over_the_range(void **state) {
  (void)state;
  int high = 0, odd = 0;
  for (int i = 0; i < 10000; i++) {
    uint64_t v = bg_id_fresh();
    high += (v >> 62) & 1;
    odd += v & 1;
  }
  assert_in_range(high, 4000, 6000);
  assert_in_range(odd, 4000, 6000);
}

static int cmp_u64(const void *a, const void *b) {
  uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
  return x < y ? -1 : x > y;
}

/* 2^17 draws from 2^63 values collide with probability ~1e-9. */
static void test_fresh_ids_do_not_repeat(void **state) {
  (void)state;
  size_t n = 1u << 17;
  uint64_t *v = malloc(n * sizeof *v);
  assert_non_null(v);
  for (size_t i = 0; i < n; i++) v[i] = bg_id_fresh();
  qsort(v, n, sizeof *v, cmp_u64);
  for (size_t i = 1; i < n; i++) assert_true(v[i] != v[i - 1]);
  free(v);
}

static void draw(uint64_t *out) {
  for (int i = 0; i < SEQ; i++) out[i] = bg_id_fresh();
}

static void *thread_draw(void *arg) {
  draw(arg);
  return NULL;
}

static bool sequences_share_a_value(const uint64_t *a, const uint64_t *b) {
  for (int i = 0; i < SEQ; i++)
    for (int j = 0; j < SEQ; j++)
      if (a[i] == b[j]) return true;
  return false;
}

static void test_two_threads_draw_different_sequences(void **state) {
  (void)state;
  uint64_t mine[SEQ], theirs[SEQ];
  pthread_t t;
  assert_int_equal(pthread_create(&t, NULL, thread_draw, theirs), 0);
  draw(mine);
  assert_int_equal(pthread_join(t, NULL), 0);
  assert_false(sequences_share_a_value(mine, theirs));
}

/* Draws SEQ IDs in a forked child (reseeding first if asked) and SEQ in the
 * parent, both starting from the state the fork copied. */
static void fork_and_draw(bool reseed, uint64_t *parent, uint64_t *child) {
  int fd[2];
  bg_id_fresh(); /* make sure this thread is seeded before the copy */
  assert_int_equal(pipe(fd), 0);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    if (reseed) bg_id_reseed_all();
    draw(child);
    ssize_t w = write(fd[1], child, SEQ * sizeof *child);
    _exit(w == (ssize_t)(SEQ * sizeof *child) ? 0 : 1);
  }
  close(fd[1]);
  draw(parent);
  size_t got = 0;
  while (got < SEQ * sizeof *child) {
    ssize_t r = read(fd[0], (char *)child + got, SEQ * sizeof *child - got);
    assert_true(r > 0);
    got += (size_t)r;
  }
  close(fd[0]);
  int status;
  assert_int_equal(waitpid(pid, &status, 0), pid);
  assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* The control for the next test: without a reseed a fork child repeats the
 * parent's IDs, which is exactly the bug bg_id_reseed_all() exists for. */
static void test_fork_child_without_reseed_repeats_parent_ids(void **state) {
  (void)state;
  uint64_t parent[SEQ], child[SEQ];
  fork_and_draw(false, parent, child);
  assert_memory_equal(parent, child, sizeof parent);
}

static void test_reseed_all_gives_fork_child_its_own_sequence(void **state) {
  (void)state;
  uint64_t parent[SEQ], child[SEQ];
  fork_and_draw(true, parent, child);
  assert_false(sequences_share_a_value(parent, child));
}

static void test_reseed_all_keeps_ids_valid(void **state) {
  (void)state;
  for (int i = 0; i < 1000; i++) {
    bg_id_reseed_all();
    uint64_t v = bg_id_fresh();
    assert_true(v != 0 && v <= (uint64_t)BG_ID_MAX);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_fresh_id_is_never_zero_nor_above_63_bits),
      cmocka_unit_test(test_fresh_ids_spread_over_the_range),
      cmocka_unit_test(test_fresh_ids_do_not_repeat),
      cmocka_unit_test(test_two_threads_draw_different_sequences),
      cmocka_unit_test(test_fork_child_without_reseed_repeats_parent_ids),
      cmocka_unit_test(test_reseed_all_gives_fork_child_its_own_sequence),
      cmocka_unit_test(test_reseed_all_keeps_ids_valid),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
