#include "testutil.h"

static bg_context ctx, out;
static char buf[BG_ENV_BUFSZ];
static char hdr[BG_ENV_BUFSZ + 64];

static int decode(const char *s) { return bg_env_decode(&out, s, strlen(s)); }

static void expect_rejected(const char *s, int err) {
  fill_context(&out);
  assert_int_equal(decode(s), err);
  assert_context_cleared(&out);
}

static void make_context(void) {
  static const char bag[] = "user=alice;p1;p2=x,path=%2Fa%20b";
  uint64_t ids[] = {0x10, 0x7fffffffffffffff, 0x1234};
  bg_context_clear(&ctx);
  ctx.task_id = 0xabcdef;
  bg_parents_union(&ctx, ids, 3);
  assert_int_equal(bg_w3c_baggage_decode(&ctx.items, bag, sizeof bag - 1), 0);
}

static void test_env_encodes_documented_layout(void **state) {
  (void)state;
  make_context();
  int n = bg_env_encode(&ctx, buf, sizeof buf);
  assert_string_equal(buf,
                      "1;0000000000abcdef;0000000000000010,7fffffffffffffff,0000000000001234;"
                      "user=alice;p1;p2=x,path=/a%20b"); /* / is a baggage-octet */
  assert_int_equal(n, (int)strlen(buf));
}

static void test_env_round_trips_parents_items_and_properties(void **state) {
  (void)state;
  make_context();
  int n = bg_env_encode(&ctx, buf, sizeof buf);
  assert_int_equal(bg_env_decode(&out, buf, (size_t)n), 0);
  assert_context_equal(&out, &ctx);
  assert_item(&out.items, "path", "/a b", 4);
}

static void test_env_round_trips_context_without_parents_or_items(void **state) {
  (void)state;
  bg_context_clear(&ctx);
  ctx.task_id = 1;
  bg_env_encode(&ctx, buf, sizeof buf);
  assert_string_equal(buf, "1;0000000000000001;;");
  assert_int_equal(decode(buf), 0);
  assert_context_equal(&out, &ctx);
}

/* BG_ENV_BUFSZ is meant to hold the largest context there is. */
static void test_env_bufsz_holds_largest_context(void **state) {
  (void)state;
  uint64_t ids[BG_MAX_PARENTS];
  static char value[BG_MAX_ITEMS_BYTES];
  bg_context_clear(&ctx);
  ctx.task_id = BG_ID_MAX;
  for (int i = 0; i < BG_MAX_PARENTS; i++) ids[i] = (uint64_t)BG_ID_MAX - (uint64_t)i;
  assert_int_equal(bg_parents_union(&ctx, ids, BG_MAX_PARENTS), BG_MAX_PARENTS);
  memset(value, 'v', sizeof value);
  assert_int_equal(bg_items_set(&ctx.items, "k", 1, value, BG_MAX_ITEMS_BYTES - 2), 0);
  int n = bg_env_encode(&ctx, buf, sizeof buf);
  assert_true(n > 0);
  assert_int_equal(bg_env_decode(&out, buf, (size_t)n), 0);
  assert_context_equal(&out, &ctx);
}

static void test_env_encode_rejects_inactive_context(void **state) {
  (void)state;
  bg_context_clear(&ctx);
  assert_int_equal(bg_env_encode(&ctx, buf, sizeof buf), -EINVAL);
  assert_string_equal(buf, "");
}

static void test_env_encode_rejects_parent_above_63_bits(void **state) {
  (void)state;
  bg_context_clear(&ctx);
  ctx.task_id = 1;
  bg_parents_set_one(&ctx, UINT64_MAX);
  assert_int_equal(bg_env_encode(&ctx, buf, sizeof buf), -EINVAL);
}

static void test_env_encode_reports_enospc_without_overrun(void **state) {
  (void)state;
  char small[32];
  make_context();
  memset(small, '#', sizeof small);
  assert_int_equal(bg_env_encode(&ctx, small, 20), -ENOSPC);
  assert_int_equal(small[0], '\0');
  for (int i = 20; i < 32; i++) assert_int_equal(small[i], '#');
}

static void test_env_rejects_unknown_version(void **state) {
  (void)state;
  expect_rejected("2;0000000000000001;;", -EINVAL);
  expect_rejected("10000000000000001;;", -EINVAL);
}

static void test_env_rejects_malformed_task(void **state) {
  (void)state;
  expect_rejected("1;000000000000000A;;", -EINVAL);
  expect_rejected("1;00000000000001;;", -EINVAL);
  expect_rejected("1;0000000000000000;;", -EINVAL);
  expect_rejected("1;8000000000000000;;", -EINVAL);
  expect_rejected("1;000000000000000g;;", -EINVAL);
}

static void test_env_rejects_missing_sections(void **state) {
  (void)state;
  expect_rejected("", -EINVAL);
  expect_rejected("1;0000000000000001", -EINVAL);
  expect_rejected("1;0000000000000001;", -EINVAL);
  expect_rejected("1;0000000000000001;0000000000000002", -EINVAL);
  expect_rejected("1;0000000000000001,;", -EINVAL);
}

static void test_env_rejects_malformed_parents(void **state) {
  (void)state;
  expect_rejected("1;0000000000000001;0000000000000000;", -EINVAL);
  expect_rejected("1;0000000000000001;ffffffffffffffff;", -EINVAL);
  expect_rejected("1;0000000000000001;2;", -EINVAL);
  expect_rejected("1;0000000000000001;0000000000000002,;", -EINVAL);
  expect_rejected("1;0000000000000001;,0000000000000002;", -EINVAL);
  expect_rejected("1;0000000000000001;0000000000000002 ;", -EINVAL);
  expect_rejected("1;0000000000000001;00000000000000020000000000000003;", -EINVAL);
}

static void test_env_rejects_duplicate_parents(void **state) {
  (void)state;
  expect_rejected("1;0000000000000001;0000000000000002,0000000000000002;", -EINVAL);
}

static void test_env_rejects_too_many_parents(void **state) {
  (void)state;
  int len = snprintf(hdr, sizeof hdr, "1;0000000000000001;");
  for (int i = 0; i <= BG_MAX_PARENTS; i++)
    len += snprintf(hdr + len, sizeof hdr - (size_t)len, "%s%016x", i ? "," : "", i + 1);
  snprintf(hdr + len, sizeof hdr - (size_t)len, ";");
  expect_rejected(hdr, -E2BIG);
}

static void test_env_rejects_malformed_baggage(void **state) {
  (void)state;
  expect_rejected("1;0000000000000001;;k", -EINVAL);
  expect_rejected("1;0000000000000001;;k=a b", -EINVAL);
}

static void test_env_rejects_oversized_baggage(void **state) {
  (void)state;
  int len = snprintf(hdr, sizeof hdr, "1;0000000000000001;;k=");
  memset(hdr + len, 'x', BG_MAX_ITEMS_BYTES);
  hdr[len + BG_MAX_ITEMS_BYTES] = '\0';
  expect_rejected(hdr, -E2BIG);
}

static void test_env_decode_reads_only_len_bytes(void **state) {
  (void)state;
  const char *s = "1;0000000000000001;;k=v,extra=1";
  assert_int_equal(bg_env_decode(&out, s, strlen("1;0000000000000001;;k=v")), 0);
  assert_int_equal(out.items.count, 1);
  fill_context(&out);
  assert_int_equal(bg_env_decode(&out, s, 19), -EINVAL);
  assert_context_cleared(&out);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_env_encodes_documented_layout),
      cmocka_unit_test(test_env_round_trips_parents_items_and_properties),
      cmocka_unit_test(test_env_round_trips_context_without_parents_or_items),
      cmocka_unit_test(test_env_bufsz_holds_largest_context),
      cmocka_unit_test(test_env_encode_rejects_inactive_context),
      cmocka_unit_test(test_env_encode_rejects_parent_above_63_bits),
      cmocka_unit_test(test_env_encode_reports_enospc_without_overrun),
      cmocka_unit_test(test_env_rejects_unknown_version),
      cmocka_unit_test(test_env_rejects_malformed_task),
      cmocka_unit_test(test_env_rejects_missing_sections),
      cmocka_unit_test(test_env_rejects_malformed_parents),
      cmocka_unit_test(test_env_rejects_duplicate_parents),
      cmocka_unit_test(test_env_rejects_too_many_parents),
      cmocka_unit_test(test_env_rejects_malformed_baggage),
      cmocka_unit_test(test_env_rejects_oversized_baggage),
      cmocka_unit_test(test_env_decode_reads_only_len_bytes),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
