#include "testutil.h"

static bg_context ctx, copy;

static void test_clear_makes_context_inactive(void **state) {
  (void)state;
  fill_context(&ctx);
  assert_true(bg_context_active(&ctx));
  bg_context_clear(&ctx);
  assert_false(bg_context_active(&ctx));
  assert_context_cleared(&ctx);
}

static void test_start_task_gives_fresh_task_no_parents_and_keeps_items(void **state) {
  (void)state;
  fill_context(&ctx);
  uint64_t t = bg_context_start_task(&ctx);
  assert_true(t != 0 && t != 77 && t <= (uint64_t)BG_ID_MAX);
  assert_true(ctx.task_id == t);
  assert_int_equal(ctx.nparents, 0);
  assert_item(&ctx.items, "k", "v", 1);
}

static void test_set_one_replaces_all_parents(void **state) {
  (void)state;
  bg_context_clear(&ctx);
  uint64_t ids[] = {1, 2, 3};
  assert_int_equal(bg_parents_union(&ctx, ids, 3), 3);
  bg_parents_set_one(&ctx, 9);
  assert_int_equal(ctx.nparents, 1);
  assert_true(ctx.parents[0] == 9);
}

static void test_set_one_with_zero_empties_parents(void **state) {
  (void)state;
  bg_context_clear(&ctx);
  bg_parents_set_one(&ctx, 9);
  bg_parents_set_one(&ctx, 0);
  assert_int_equal(ctx.nparents, 0);
}

static void test_union_appends_new_ids_in_order(void **state) {
  (void)state;
  bg_context_clear(&ctx);
  bg_parents_set_one(&ctx, 5);
  uint64_t ids[] = {7, 6};
  assert_int_equal(bg_parents_union(&ctx, ids, 2), 3);
  assert_true(ctx.parents[0] == 5 && ctx.parents[1] == 7 && ctx.parents[2] == 6);
}

static void test_union_skips_ids_already_present(void **state) {
  (void)state;
  bg_context_clear(&ctx);
  uint64_t a[] = {1, 2};
  uint64_t b[] = {2, 1, 3};
  bg_parents_union(&ctx, a, 2);
  assert_int_equal(bg_parents_union(&ctx, b, 3), 3);
  assert_true(ctx.parents[2] == 3);
}

static void test_union_skips_duplicates_within_input(void **state) {
  (void)state;
  bg_context_clear(&ctx);
  uint64_t ids[] = {4, 4, 8, 4, 8};
  assert_int_equal(bg_parents_union(&ctx, ids, 5), 2);
  assert_true(ctx.parents[0] == 4 && ctx.parents[1] == 8);
}

static void test_union_skips_zero_ids(void **state) {
  (void)state;
  bg_context_clear(&ctx);
  uint64_t ids[] = {0, 3, 0};
  assert_int_equal(bg_parents_union(&ctx, ids, 3), 1);
  assert_false(bg_parents_contains(&ctx, 0));
}

static void test_union_can_fill_the_set_exactly(void **state) {
  (void)state;
  uint64_t ids[BG_MAX_PARENTS];
  bg_context_clear(&ctx);
  for (int i = 0; i < BG_MAX_PARENTS; i++) ids[i] = 100 + (uint64_t)i;
  assert_int_equal(bg_parents_union(&ctx, ids, BG_MAX_PARENTS), BG_MAX_PARENTS);
}

static void test_union_beyond_capacity_fails_and_leaves_set_unchanged(void **state) {
  (void)state;
  uint64_t ids[BG_MAX_PARENTS];
  bg_context_clear(&ctx);
  for (int i = 0; i < BG_MAX_PARENTS - 2; i++) ids[i] = 100 + (uint64_t)i;
  assert_int_equal(bg_parents_union(&ctx, ids, BG_MAX_PARENTS - 2), BG_MAX_PARENTS - 2);
  bg_context_copy(&copy, &ctx);
  uint64_t more[] = {100, 1, 2, 3}; /* 100 is present: three new ids, one too many */
  assert_int_equal(bg_parents_union(&ctx, more, 4), -ENOSPC);
  assert_context_equal(&ctx, &copy);
}

static void test_union_of_only_known_ids_fits_a_full_set(void **state) {
  (void)state;
  uint64_t ids[BG_MAX_PARENTS];
  bg_context_clear(&ctx);
  for (int i = 0; i < BG_MAX_PARENTS; i++) ids[i] = 100 + (uint64_t)i;
  bg_parents_union(&ctx, ids, BG_MAX_PARENTS);
  uint64_t again[] = {100, 0, 131};
  assert_int_equal(bg_parents_union(&ctx, again, 3), BG_MAX_PARENTS);
}

static void test_contains_finds_only_members(void **state) {
  (void)state;
  bg_context_clear(&ctx);
  uint64_t ids[] = {10, 20};
  bg_parents_union(&ctx, ids, 2);
  assert_true(bg_parents_contains(&ctx, 20));
  assert_false(bg_parents_contains(&ctx, 30));
}

static void test_copy_reproduces_task_parents_and_items(void **state) {
  (void)state;
  fill_context(&ctx);
  uint64_t ids[] = {11, 12};
  bg_parents_union(&ctx, ids, 2);
  assert_int_equal(bg_items_set(&ctx.items, "x", 1, "yz", 2), 0);
  memset(&copy, 0xa5, sizeof copy);
  bg_context_copy(&copy, &ctx);
  assert_context_equal(&copy, &ctx);
  assert_item(&copy.items, "x", "yz", 2);
}

static void test_copy_of_empty_context_is_empty(void **state) {
  (void)state;
  bg_context_clear(&ctx);
  fill_context(&copy);
  bg_context_copy(&copy, &ctx);
  assert_context_cleared(&copy);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_clear_makes_context_inactive),
      cmocka_unit_test(test_start_task_gives_fresh_task_no_parents_and_keeps_items),
      cmocka_unit_test(test_set_one_replaces_all_parents),
      cmocka_unit_test(test_set_one_with_zero_empties_parents),
      cmocka_unit_test(test_union_appends_new_ids_in_order),
      cmocka_unit_test(test_union_skips_ids_already_present),
      cmocka_unit_test(test_union_skips_duplicates_within_input),
      cmocka_unit_test(test_union_skips_zero_ids),
      cmocka_unit_test(test_union_can_fill_the_set_exactly),
      cmocka_unit_test(test_union_beyond_capacity_fails_and_leaves_set_unchanged),
      cmocka_unit_test(test_union_of_only_known_ids_fits_a_full_set),
      cmocka_unit_test(test_contains_finds_only_members),
      cmocka_unit_test(test_copy_reproduces_task_parents_and_items),
      cmocka_unit_test(test_copy_of_empty_context_is_empty),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
