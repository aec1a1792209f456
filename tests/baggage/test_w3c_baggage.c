#include "testutil.h"

static bg_items items, again;
static char buf[BG_MAX_ITEMS_BYTES + 64];
static char hdr[BG_MAX_ITEMS_BYTES + 64];

static int decode(const char *s) { return bg_w3c_baggage_decode(&items, s, strlen(s)); }
static int encode(void) { return bg_w3c_baggage_encode(&items, buf, sizeof buf); }

static void expect_rejected(const char *s, int err) {
  bg_items_clear(&items);
  assert_int_equal(bg_items_set(&items, "pre", 3, "x", 1), 0);
  assert_int_equal(decode(s), err);
  assert_int_equal(items.count, 0);
  assert_int_equal(items.used, 0);
}

/* Decodes, encodes, decodes again: the two decodings must agree. */
static void expect_round_trip(const char *s, const char *encoded) {
  assert_int_equal(decode(s), 0);
  assert_int_equal(encode(), (int)strlen(encoded));
  assert_string_equal(buf, encoded);
  assert_int_equal(bg_w3c_baggage_decode(&again, buf, strlen(buf)), 0);
  assert_items_equal(&items, &again);
}

static void test_w3c_baggage_round_trips_plain_members(void **state) {
  (void)state;
  expect_round_trip("userId=alice,serverNode=DF%2028,isProduction=false",
                    "userId=alice,serverNode=DF%2028,isProduction=false");
  assert_item(&items, "serverNode", "DF 28", 5);
}

static void test_w3c_baggage_strips_optional_whitespace(void **state) {
  (void)state;
  expect_round_trip(" \ta = 1 ,\tb=2\t, c =3 ", "a=1,b=2,c=3");
}

static void test_w3c_baggage_percent_encodes_outside_baggage_octets(void **state) {
  (void)state;
  const char value[] = "% ,;\\\"\x7f\x01\xc3\xa9\n";
  bg_items_clear(&items);
  assert_int_equal(bg_items_set(&items, "k", 1, value, sizeof value - 1), 0);
  encode();
  assert_string_equal(buf, "k=%25%20%2C%3B%5C%22%7F%01%C3%A9%0A");
  assert_int_equal(bg_w3c_baggage_decode(&again, buf, strlen(buf)), 0);
  assert_item(&again, "k", value, sizeof value - 1);
}

static void test_w3c_baggage_writes_baggage_octets_plain(void **state) {
  (void)state;
  const char value[] = "!#$&'()*+-./09:<=>?@AZ[]^_`az{|}~";
  bg_items_clear(&items);
  assert_int_equal(bg_items_set(&items, "k", 1, value, sizeof value - 1), 0);
  encode();
  assert_string_equal(buf + 2, value);
}

static void test_w3c_baggage_round_trips_nul_bytes(void **state) {
  (void)state;
  bg_items_clear(&items);
  assert_int_equal(bg_items_set(&items, "k", 1, "a\0b", 3), 0);
  encode();
  assert_string_equal(buf, "k=a%00b");
  assert_int_equal(decode(buf), 0);
  assert_item(&items, "k", "a\0b", 3);
}

static void test_w3c_baggage_accepts_lower_case_escapes(void **state) {
  (void)state;
  assert_int_equal(decode("k=%2c%c3%A9"), 0);
  assert_item(&items, "k", ",\xc3\xa9", 3);
}

static void test_w3c_baggage_keeps_properties_verbatim(void **state) {
  (void)state;
  expect_round_trip("k=v;p1;p2=x%20y, j = w ; q \t= 1;r", "k=v;p1;p2=x%20y,j=w;q \t= 1;r");
  assert_item(&items, "k", "v", 1);
  assert_int_equal(items.item[0].props_len, strlen("p1;p2=x%20y"));
}

static void test_w3c_baggage_accepts_empty_values(void **state) {
  (void)state;
  expect_round_trip("a=,b= ;p=", "a=,b=;p=");
  assert_item(&items, "a", "", 0);
}

static void test_w3c_baggage_empty_header_is_empty_set(void **state) {
  (void)state;
  assert_int_equal(decode(""), 0);
  assert_int_equal(items.count, 0);
  assert_int_equal(decode(" \t "), 0);
  assert_int_equal(items.count, 0);
  assert_int_equal(bg_w3c_baggage_decode(&items, NULL, 0), 0);
  assert_int_equal(encode(), 0);
  assert_string_equal(buf, "");
}

static void test_w3c_baggage_repeated_key_keeps_last_value(void **state) {
  (void)state;
  assert_int_equal(decode("a=1,b=2,a=3"), 0);
  assert_int_equal(items.count, 2);
  assert_item(&items, "a", "3", 1);
}

static void test_w3c_baggage_rejects_member_without_equals(void **state) {
  (void)state;
  expect_rejected("a=1,b", -EINVAL);
  expect_rejected("a", -EINVAL);
  expect_rejected("a;p=1", -EINVAL);
}

static void test_w3c_baggage_rejects_empty_or_bad_key(void **state) {
  (void)state;
  expect_rejected("=v", -EINVAL);
  expect_rejected("a b=v", -EINVAL);
  expect_rejected("\"a\"=v", -EINVAL);
  expect_rejected("a/b=v", -EINVAL);
  expect_rejected("\xc3\xa9=v", -EINVAL);
}

static void test_w3c_baggage_rejects_empty_members(void **state) {
  (void)state;
  expect_rejected("a=1,,b=2", -EINVAL);
  expect_rejected("a=1,", -EINVAL);
  expect_rejected(",a=1", -EINVAL);
  expect_rejected("a=1, ,b=2", -EINVAL);
}

static void test_w3c_baggage_rejects_bad_value_octets(void **state) {
  (void)state;
  expect_rejected("k=a b", -EINVAL);
  expect_rejected("k=\"v\"", -EINVAL);
  expect_rejected("k=a\\b", -EINVAL);
  expect_rejected("k=\xc3\xa9", -EINVAL);
  expect_rejected("k=a\x01", -EINVAL);
  expect_rejected("k=a=b=c\x7f", -EINVAL);
}

static void test_w3c_baggage_rejects_bad_percent_escapes(void **state) {
  (void)state;
  expect_rejected("k=%", -EINVAL);
  expect_rejected("k=%4", -EINVAL);
  expect_rejected("k=%zz", -EINVAL);
  expect_rejected("k=%4g", -EINVAL);
  expect_rejected("k=a%,j=1", -EINVAL);
}

static void test_w3c_baggage_rejects_bad_properties(void **state) {
  (void)state;
  expect_rejected("k=v;", -EINVAL);
  expect_rejected("k=v;;p", -EINVAL);
  expect_rejected("k=v;p;", -EINVAL);
  expect_rejected("k=v;=x", -EINVAL);
  expect_rejected("k=v;p=a b", -EINVAL);
  expect_rejected("k=v;p q", -EINVAL);
}

static void test_w3c_baggage_rejects_whole_header_for_one_bad_member(void **state) {
  (void)state;
  expect_rejected("good=1,bad value=2,also=3", -EINVAL);
}

static int make_members(int n) {
  int len = 0;
  for (int i = 0; i < n; i++) len += snprintf(hdr + len, sizeof hdr - (size_t)len, "%sk%d=v", i ? "," : "", i);
  return len;
}

static void test_w3c_baggage_accepts_max_members(void **state) {
  (void)state;
  int len = make_members(BG_MAX_ITEMS);
  assert_int_equal(bg_w3c_baggage_decode(&items, hdr, (size_t)len), 0);
  assert_int_equal(items.count, BG_MAX_ITEMS);
  assert_int_equal(encode(), len);
  assert_memory_equal(buf, hdr, (size_t)len);
}

static void test_w3c_baggage_rejects_too_many_members(void **state) {
  (void)state;
  make_members(BG_MAX_ITEMS + 1);
  expect_rejected(hdr, -E2BIG);
}

static void test_w3c_baggage_accepts_max_bytes(void **state) {
  (void)state;
  memset(hdr, 'x', sizeof hdr);
  memcpy(hdr, "k=", 2);
  assert_int_equal(bg_w3c_baggage_decode(&items, hdr, BG_MAX_ITEMS_BYTES), 0);
  assert_int_equal(encode(), BG_MAX_ITEMS_BYTES);
}

static void test_w3c_baggage_rejects_too_many_bytes(void **state) {
  (void)state;
  memset(hdr, 'x', sizeof hdr);
  memcpy(hdr, "k=", 2);
  hdr[BG_MAX_ITEMS_BYTES + 1] = '\0';
  expect_rejected(hdr, -E2BIG);
}

static void test_w3c_baggage_repeated_keys_fill_no_more_than_last_value(void **state) {
  (void)state;
  int len = 0;
  for (int i = 0; i < 200; i++) len += snprintf(hdr + len, sizeof hdr - (size_t)len, "%sk=%d", i ? "," : "", i);
  assert_int_equal(bg_w3c_baggage_decode(&items, hdr, (size_t)len), 0);
  assert_int_equal(items.count, 1);
  assert_item(&items, "k", "199", 3);
}

static void test_w3c_baggage_encode_fits_exact_capacity(void **state) {
  (void)state;
  char small[8];
  assert_int_equal(decode("ab=cdef"), 0);
  assert_int_equal(bg_w3c_baggage_encode(&items, small, 8), 7);
  assert_string_equal(small, "ab=cdef");
}

static void test_w3c_baggage_encode_reports_enospc_without_overrun(void **state) {
  (void)state;
  char small[16];
  memset(small, '#', sizeof small);
  assert_int_equal(decode("ab=cdef"), 0);
  assert_int_equal(bg_w3c_baggage_encode(&items, small, 7), -ENOSPC);
  assert_int_equal(small[0], '\0');
  for (int i = 7; i < 16; i++) assert_int_equal(small[i], '#');
  assert_int_equal(bg_w3c_baggage_encode(&items, small, 0), -ENOSPC);
}

static void test_w3c_baggage_encode_enospc_counts_escapes(void **state) {
  (void)state;
  char small[8];
  bg_items_clear(&items);
  bg_items_set(&items, "k", 1, "  ", 2); /* "k=%20%20" is 8 bytes */
  assert_int_equal(bg_w3c_baggage_encode(&items, small, sizeof small), -ENOSPC);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_w3c_baggage_round_trips_plain_members),
      cmocka_unit_test(test_w3c_baggage_strips_optional_whitespace),
      cmocka_unit_test(test_w3c_baggage_percent_encodes_outside_baggage_octets),
      cmocka_unit_test(test_w3c_baggage_writes_baggage_octets_plain),
      cmocka_unit_test(test_w3c_baggage_round_trips_nul_bytes),
      cmocka_unit_test(test_w3c_baggage_accepts_lower_case_escapes),
      cmocka_unit_test(test_w3c_baggage_keeps_properties_verbatim),
      cmocka_unit_test(test_w3c_baggage_accepts_empty_values),
      cmocka_unit_test(test_w3c_baggage_empty_header_is_empty_set),
      cmocka_unit_test(test_w3c_baggage_repeated_key_keeps_last_value),
      cmocka_unit_test(test_w3c_baggage_rejects_member_without_equals),
      cmocka_unit_test(test_w3c_baggage_rejects_empty_or_bad_key),
      cmocka_unit_test(test_w3c_baggage_rejects_empty_members),
      cmocka_unit_test(test_w3c_baggage_rejects_bad_value_octets),
      cmocka_unit_test(test_w3c_baggage_rejects_bad_percent_escapes),
      cmocka_unit_test(test_w3c_baggage_rejects_bad_properties),
      cmocka_unit_test(test_w3c_baggage_rejects_whole_header_for_one_bad_member),
      cmocka_unit_test(test_w3c_baggage_accepts_max_members),
      cmocka_unit_test(test_w3c_baggage_rejects_too_many_members),
      cmocka_unit_test(test_w3c_baggage_accepts_max_bytes),
      cmocka_unit_test(test_w3c_baggage_rejects_too_many_bytes),
      cmocka_unit_test(test_w3c_baggage_repeated_keys_fill_no_more_than_last_value),
      cmocka_unit_test(test_w3c_baggage_encode_fits_exact_capacity),
      cmocka_unit_test(test_w3c_baggage_encode_reports_enospc_without_overrun),
      cmocka_unit_test(test_w3c_baggage_encode_enospc_counts_escapes),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
