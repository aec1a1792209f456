#include "testutil.h"

static bg_context ctx, out;
static char task[BG_DEC_BUFSZ], event[BG_DEC_BUFSZ];

static int decode(const char *t, const char *e) {
  return bg_xtrace_md_decode(&out, t, t ? strlen(t) : 0, e, e ? strlen(e) : 0);
}

static void test_xtrace_md_round_trips_task_and_event(void **state) {
  (void)state;
  bg_context_clear(&ctx);
  ctx.task_id = 1234567890123ull;
  bg_parents_set_one(&ctx, 42);
  assert_int_equal(bg_xtrace_md_encode(&ctx, task, event), 13);
  assert_string_equal(task, "1234567890123");
  assert_string_equal(event, "42");
  assert_int_equal(decode(task, event), 0);
  assert_context_equal(&out, &ctx);
}

static void test_xtrace_md_encodes_most_recent_parent(void **state) {
  (void)state;
  uint64_t ids[] = {5, 6, 7};
  bg_context_clear(&ctx);
  ctx.task_id = 1;
  bg_parents_union(&ctx, ids, 3);
  bg_xtrace_md_encode(&ctx, task, event);
  assert_string_equal(event, "7");
}

static void test_xtrace_md_without_parents_encodes_empty_event(void **state) {
  (void)state;
  bg_context_clear(&ctx);
  ctx.task_id = 9;
  assert_int_equal(bg_xtrace_md_encode(&ctx, task, event), 1);
  assert_string_equal(event, "");
  assert_int_equal(decode(task, event), 0);
  assert_context_equal(&out, &ctx);
}

static void test_xtrace_md_round_trips_largest_id(void **state) {
  (void)state;
  bg_context_clear(&ctx);
  ctx.task_id = BG_ID_MAX;
  bg_parents_set_one(&ctx, BG_ID_MAX);
  assert_int_equal(bg_xtrace_md_encode(&ctx, task, event), 19);
  assert_string_equal(task, "9223372036854775807");
  assert_int_equal(decode(task, event), 0);
  assert_context_equal(&out, &ctx);
}

/* Every digit count, odd and even: the encoder writes two digits at a time. */
static void test_xtrace_md_encodes_every_digit_count(void **state) {
  (void)state;
  uint64_t v = 1;
  for (int digits = 1; digits <= 19; digits++, v = v * 10 + (uint64_t)(digits % 10)) {
    char want[32];
    snprintf(want, sizeof want, "%llu", (unsigned long long)v);
    bg_context_clear(&ctx);
    ctx.task_id = v;
    bg_parents_set_one(&ctx, v);
    assert_int_equal(bg_xtrace_md_encode(&ctx, task, event), digits);
    assert_string_equal(task, want);
    assert_string_equal(event, want);
    assert_int_equal(decode(task, event), 0);
    assert_context_equal(&out, &ctx);
  }
}

static void test_dec_encode_writes_zero_and_the_largest_id(void **state) {
  (void)state;
  char buf[BG_DEC_BUFSZ];
  assert_int_equal(bg_dec_encode(0, buf), 1);
  assert_string_equal(buf, "0");
  assert_int_equal(bg_dec_encode(BG_ID_MAX, buf), 19);
  assert_string_equal(buf, "9223372036854775807");
}

static void test_xtrace_md_encode_rejects_inactive_context(void **state) {
  (void)state;
  bg_context_clear(&ctx);
  assert_int_equal(bg_xtrace_md_encode(&ctx, task, event), -EINVAL);
  assert_string_equal(task, "");
}

static void test_xtrace_md_encode_rejects_ids_above_63_bits(void **state) {
  (void)state;
  bg_context_clear(&ctx);
  ctx.task_id = (uint64_t)BG_ID_MAX + 1;
  assert_int_equal(bg_xtrace_md_encode(&ctx, task, event), -EINVAL);
  ctx.task_id = 1;
  bg_parents_set_one(&ctx, UINT64_MAX);
  assert_int_equal(bg_xtrace_md_encode(&ctx, task, event), -EINVAL);
}

static void test_xtrace_md_decode_accepts_missing_event(void **state) {
  (void)state;
  assert_int_equal(bg_xtrace_md_decode(&out, "17", 2, NULL, 5), 0);
  assert_true(out.task_id == 17);
  assert_int_equal(out.nparents, 0);
  assert_int_equal(decode("17", ""), 0);
  assert_int_equal(out.nparents, 0);
}

static void test_xtrace_md_decode_accepts_leading_zeros(void **state) {
  (void)state;
  assert_int_equal(decode("007", "0009223372036854775807"), 0);
  assert_true(out.task_id == 7);
  assert_true(out.parents[0] == (uint64_t)BG_ID_MAX);
  assert_int_equal(decode("000000000000000000000000000001", NULL), 0);
  assert_true(out.task_id == 1);
}

static void test_xtrace_md_decode_reads_only_len_bytes(void **state) {
  (void)state;
  assert_int_equal(bg_xtrace_md_decode(&out, "123456", 3, "789x", 3), 0);
  assert_true(out.task_id == 123);
  assert_true(out.parents[0] == 789);
}

static void expect_task_rejected(const char *t) {
  fill_context(&out);
  assert_int_equal(decode(t, "1"), -EINVAL);
  assert_context_cleared(&out);
}

static void test_xtrace_md_rejects_empty_or_missing_task(void **state) {
  (void)state;
  expect_task_rejected("");
  expect_task_rejected(NULL);
}

static void test_xtrace_md_rejects_zero(void **state) {
  (void)state;
  expect_task_rejected("0");
  expect_task_rejected("000");
  fill_context(&out);
  assert_int_equal(decode("1", "0"), -EINVAL);
  assert_context_cleared(&out);
}

static void test_xtrace_md_rejects_signs(void **state) {
  (void)state;
  expect_task_rejected("+5");
  expect_task_rejected("-5");
}

static void test_xtrace_md_rejects_spaces(void **state) {
  (void)state;
  expect_task_rejected(" 5");
  expect_task_rejected("5 ");
  expect_task_rejected("5\n");
}

static void test_xtrace_md_rejects_non_digits(void **state) {
  (void)state;
  expect_task_rejected("12a");
  expect_task_rejected("0x1f");
  expect_task_rejected("1e3");
  expect_task_rejected("1.0");
}

static void test_xtrace_md_rejects_overflow(void **state) {
  (void)state;
  expect_task_rejected("9223372036854775808");  /* 2^63 */
  expect_task_rejected("18446744073709551615"); /* 2^64 - 1 */
  expect_task_rejected("18446744073709551617"); /* wraps to 1 in 64 bits */
  expect_task_rejected("99999999999999999999999");
  expect_task_rejected("9999999999999999999");   /* 19 digits, fits 64 bits, not 63 */
  expect_task_rejected("00009223372036854775808");
}

/* The decoder reads eight digits at a time: a bad byte must be caught in
 * every lane of every block, and next to the digits' range on both sides. */
static void test_xtrace_md_rejects_a_bad_byte_anywhere(void **state) {
  (void)state;
  static const char bad[] = {'/', ':', 'a', ' ', '\x7f', (char)0x80, (char)0xb0, (char)0xf9};
  for (size_t pos = 0; pos < 19; pos++) {
    for (size_t b = 0; b < sizeof bad; b++) {
      char s[] = "1234567890123456789";
      s[pos] = bad[b];
      expect_task_rejected(s);
    }
  }
}

/* Encoding and decoding agree with printf and strtoull over the whole range. */
/* Past BG_ID_MAX the low 19 digits are kept, leading zeros included. */
static void test_dec_encode_keeps_the_low_digits_past_the_largest_id(void **state) {
  (void)state;
  char buf[BG_DEC_BUFSZ];
  assert_int_equal(bg_dec_encode(UINT64_MAX, buf), 19);
  assert_string_equal(buf, "8446744073709551615");
  assert_int_equal(bg_dec_encode(10000000000000000005ull, buf), 19);
  assert_string_equal(buf, "0000000000000000005");
  assert_int_equal(bg_dec_encode(9999999999999999999ull, buf), 19);
  assert_string_equal(buf, "9999999999999999999");
}

static void test_xtrace_md_agrees_with_libc_on_many_ids(void **state) {
  (void)state;
  uint64_t x = 0x9e3779b97f4a7c15ull;
  for (int i = 0; i < 20000; i++) {
    x ^= x << 13, x ^= x >> 7, x ^= x << 17;
    uint64_t v = (x >> 1) >> (i % 63); /* every digit count */
    if (v == 0) continue;
    char want[32], got[BG_DEC_BUFSZ];
    int n = snprintf(want, sizeof want, "%llu", (unsigned long long)v);
    assert_int_equal(bg_dec_encode(v, got), n);
    assert_string_equal(got, want);
    assert_int_equal(decode(got, got), 0);
    assert_true(out.task_id == v);
    assert_true(out.nparents == 1 && out.parents[0] == v);
  }
}

static void test_xtrace_md_rejects_bad_event_with_good_task(void **state) {
  (void)state;
  fill_context(&out);
  assert_int_equal(decode("5", "abc"), -EINVAL);
  assert_context_cleared(&out);
  assert_int_equal(decode("5", "9223372036854775808"), -EINVAL);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_xtrace_md_round_trips_task_and_event),
      cmocka_unit_test(test_xtrace_md_encodes_most_recent_parent),
      cmocka_unit_test(test_xtrace_md_without_parents_encodes_empty_event),
      cmocka_unit_test(test_xtrace_md_round_trips_largest_id),
      cmocka_unit_test(test_xtrace_md_encodes_every_digit_count),
      cmocka_unit_test(test_dec_encode_writes_zero_and_the_largest_id),
      cmocka_unit_test(test_xtrace_md_encode_rejects_inactive_context),
      cmocka_unit_test(test_xtrace_md_encode_rejects_ids_above_63_bits),
      cmocka_unit_test(test_xtrace_md_decode_accepts_missing_event),
      cmocka_unit_test(test_xtrace_md_decode_accepts_leading_zeros),
      cmocka_unit_test(test_xtrace_md_decode_reads_only_len_bytes),
      cmocka_unit_test(test_xtrace_md_rejects_empty_or_missing_task),
      cmocka_unit_test(test_xtrace_md_rejects_zero),
      cmocka_unit_test(test_xtrace_md_rejects_signs),
      cmocka_unit_test(test_xtrace_md_rejects_spaces),
      cmocka_unit_test(test_xtrace_md_rejects_non_digits),
      cmocka_unit_test(test_xtrace_md_rejects_overflow),
      cmocka_unit_test(test_xtrace_md_rejects_a_bad_byte_anywhere),
      cmocka_unit_test(test_xtrace_md_agrees_with_libc_on_many_ids),
      cmocka_unit_test(test_dec_encode_keeps_the_low_digits_past_the_largest_id),
      cmocka_unit_test(test_xtrace_md_rejects_bad_event_with_good_task),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
