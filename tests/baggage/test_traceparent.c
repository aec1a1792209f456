#include "testutil.h"

static bg_context ctx, out;
static char tp[BG_TRACEPARENT_BUFSZ];

/* The spec's own example header. */
#define SPEC_EXAMPLE "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

static int decode(const char *s) { return bg_traceparent_decode(&out, s, strlen(s)); }

static void expect_rejected(const char *s) {
  fill_context(&out);
  assert_int_equal(decode(s), -EINVAL);
  assert_context_cleared(&out);
}

static void test_traceparent_encodes_task_in_low_half_of_trace_id(void **state) {
  (void)state;
  bg_context_clear(&ctx);
  ctx.task_id = 0x1234;
  bg_parents_set_one(&ctx, 0xabc);
  assert_int_equal(bg_traceparent_encode(&ctx, tp), 55);
  assert_string_equal(tp, "00-00000000000000000000000000001234-0000000000000abc-01");
}

static void test_traceparent_round_trips(void **state) {
  (void)state;
  bg_context_clear(&ctx);
  ctx.task_id = BG_ID_MAX;
  bg_parents_set_one(&ctx, 0x7edcba9876543210);
  bg_traceparent_encode(&ctx, tp);
  assert_int_equal(decode(tp), 0);
  assert_context_equal(&out, &ctx);
}

static void test_traceparent_carries_most_recent_parent(void **state) {
  (void)state;
  uint64_t ids[] = {1, 2, 3};
  bg_context_clear(&ctx);
  ctx.task_id = 10;
  bg_parents_union(&ctx, ids, 3);
  bg_traceparent_encode(&ctx, tp);
  assert_int_equal(decode(tp), 0);
  assert_int_equal(out.nparents, 1);
  assert_true(out.parents[0] == 3);
}

static void test_traceparent_without_parents_uses_task_as_parent_id(void **state) {
  (void)state;
  bg_context_clear(&ctx);
  ctx.task_id = 0x55;
  bg_traceparent_encode(&ctx, tp);
  assert_string_equal(tp, "00-00000000000000000000000000000055-0000000000000055-01");
}

static void test_traceparent_encode_rejects_inactive_context(void **state) {
  (void)state;
  bg_context_clear(&ctx);
  assert_int_equal(bg_traceparent_encode(&ctx, tp), -EINVAL);
  assert_string_equal(tp, "");
}

static void test_traceparent_folds_foreign_trace_id_into_task(void **state) {
  (void)state;
  assert_int_equal(decode(SPEC_EXAMPLE), 0);
  assert_true(out.task_id == ((0x4bf92f3577b34da6ull ^ 0xa3ce929d0e0e4736ull) & BG_ID_MAX));
  assert_int_equal(out.nparents, 1);
  assert_true(out.parents[0] == 0x00f067aa0ba902b7ull);
}

static void test_traceparent_fold_to_zero_maps_to_id_max(void **state) {
  (void)state;
  assert_int_equal(decode("00-8000000000000000800000000000000f-000000000000000f-01"), 0);
  assert_true(out.task_id == 0xf); /* halves differ: plain xor */
  assert_int_equal(decode("00-abababababababababababababababab-8000000000000000-00"), 0);
  assert_true(out.task_id == (uint64_t)BG_ID_MAX);
  assert_true(out.parents[0] == (uint64_t)BG_ID_MAX);
}

static void test_traceparent_masks_top_bit_of_parent_id(void **state) {
  (void)state;
  assert_int_equal(decode("00-00000000000000000000000000000001-ffffffffffffffff-01"), 0);
  assert_true(out.parents[0] == (uint64_t)BG_ID_MAX);
}

static void test_traceparent_ignores_flags_value(void **state) {
  (void)state;
  assert_int_equal(decode("00-00000000000000000000000000000001-0000000000000002-00"), 0);
  assert_int_equal(decode("00-00000000000000000000000000000001-0000000000000002-ff"), 0);
}

static void test_traceparent_rejects_uppercase_hex(void **state) {
  (void)state;
  expect_rejected("00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01");
  expect_rejected("00-4bf92f3577b34da6a3ce929d0e0e4736-00F067AA0BA902B7-01");
  expect_rejected("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0A");
  expect_rejected("0A-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
}

static void test_traceparent_rejects_non_hex(void **state) {
  (void)state;
  expect_rejected("00-4bf92f3577b34da6a3ce929d0e0e473g-00f067aa0ba902b7-01");
  expect_rejected("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902bz-01");
  expect_rejected("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-0x");
  expect_rejected("0g-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
}

static void test_traceparent_rejects_all_zero_trace_id(void **state) {
  (void)state;
  expect_rejected("00-00000000000000000000000000000000-00f067aa0ba902b7-01");
}

static void test_traceparent_rejects_all_zero_parent_id(void **state) {
  (void)state;
  expect_rejected("00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01");
}

static void test_traceparent_rejects_version_ff(void **state) {
  (void)state;
  expect_rejected("ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
}

static void test_traceparent_rejects_version_00_with_wrong_length(void **state) {
  (void)state;
  expect_rejected(SPEC_EXAMPLE "-");
  expect_rejected(SPEC_EXAMPLE "-extra");
  expect_rejected("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-1");
  expect_rejected("");
  expect_rejected("00");
}

static void test_traceparent_rejects_short_input_even_if_buffer_is_longer(void **state) {
  (void)state;
  fill_context(&out);
  assert_int_equal(bg_traceparent_decode(&out, SPEC_EXAMPLE, 54), -EINVAL);
  assert_context_cleared(&out);
}

static void test_traceparent_rejects_bad_separators(void **state) {
  (void)state;
  expect_rejected("00_4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01");
  expect_rejected("00-4bf92f3577b34da6a3ce929d0e0e4736_00f067aa0ba902b7-01");
  expect_rejected("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7_01");
  expect_rejected("00-4bf92f3577b34da6a3ce929d0e0e47360-0f067aa0ba902b7-01");
}

static void test_traceparent_accepts_higher_version_with_extra_fields(void **state) {
  (void)state;
  assert_int_equal(decode("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-what-ever"), 0);
  assert_true(out.parents[0] == 0x00f067aa0ba902b7ull);
  assert_int_equal(decode("cc-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"), 0);
}

static void test_traceparent_rejects_higher_version_without_dash_after_flags(void **state) {
  (void)state;
  expect_rejected("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01x");
  expect_rejected("01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-010");
}

static void test_traceparent_rejects_higher_version_with_bad_fields(void **state) {
  (void)state;
  expect_rejected("01-00000000000000000000000000000000-00f067aa0ba902b7-01-x");
  expect_rejected("01-4bf92f3577b34da6a3ce929d0e0e4736-00F067AA0BA902B7-01");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_traceparent_encodes_task_in_low_half_of_trace_id),
      cmocka_unit_test(test_traceparent_round_trips),
      cmocka_unit_test(test_traceparent_carries_most_recent_parent),
      cmocka_unit_test(test_traceparent_without_parents_uses_task_as_parent_id),
      cmocka_unit_test(test_traceparent_encode_rejects_inactive_context),
      cmocka_unit_test(test_traceparent_folds_foreign_trace_id_into_task),
      cmocka_unit_test(test_traceparent_fold_to_zero_maps_to_id_max),
      cmocka_unit_test(test_traceparent_masks_top_bit_of_parent_id),
      cmocka_unit_test(test_traceparent_ignores_flags_value),
      cmocka_unit_test(test_traceparent_rejects_uppercase_hex),
      cmocka_unit_test(test_traceparent_rejects_non_hex),
      cmocka_unit_test(test_traceparent_rejects_all_zero_trace_id),
      cmocka_unit_test(test_traceparent_rejects_all_zero_parent_id),
      cmocka_unit_test(test_traceparent_rejects_version_ff),
      cmocka_unit_test(test_traceparent_rejects_version_00_with_wrong_length),
      cmocka_unit_test(test_traceparent_rejects_short_input_even_if_buffer_is_longer),
      cmocka_unit_test(test_traceparent_rejects_bad_separators),
      cmocka_unit_test(test_traceparent_accepts_higher_version_with_extra_fields),
      cmocka_unit_test(test_traceparent_rejects_higher_version_without_dash_after_flags),
      cmocka_unit_test(test_traceparent_rejects_higher_version_with_bad_fields),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
