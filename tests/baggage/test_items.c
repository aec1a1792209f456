#include "testutil.h"

static bg_items items, before;
static char big[BG_MAX_ITEMS_BYTES + 16];
static char enc_a[BG_MAX_ITEMS_BYTES + 1], enc_b[BG_MAX_ITEMS_BYTES + 1];

static int set(const char *key, const char *value) {
  return bg_items_set(&items, key, strlen(key), value, strlen(value));
}

static void test_set_then_get_returns_value(void **state) {
  (void)state;
  bg_items_clear(&items);
  assert_int_equal(set("user", "alice"), 0);
  assert_item(&items, "user", "alice", 5);
}

static void test_get_missing_key_is_enoent(void **state) {
  (void)state;
  const char *v;
  size_t n;
  bg_items_clear(&items);
  set("a", "1");
  assert_int_equal(bg_items_get(&items, "b", 1, &v, &n), -ENOENT);
  assert_int_equal(bg_items_get(&items, "ab", 2, &v, &n), -ENOENT);
}

static void test_set_existing_key_replaces_value(void **state) {
  (void)state;
  bg_items_clear(&items);
  set("a", "1");
  set("b", "2");
  assert_int_equal(set("a", "three"), 0);
  assert_int_equal(items.count, 2);
  assert_item(&items, "a", "three", 5);
  assert_item(&items, "b", "2", 1);
}

static void test_values_may_hold_any_bytes(void **state) {
  (void)state;
  bg_items_clear(&items);
  assert_int_equal(bg_items_set(&items, "bin", 3, "\0\xff,;%", 5), 0);
  assert_item(&items, "bin", "\0\xff,;%", 5);
}

static void test_empty_value_is_kept(void **state) {
  (void)state;
  bg_items_clear(&items);
  assert_int_equal(bg_items_set(&items, "e", 1, NULL, 0), 0);
  assert_item(&items, "e", "", 0);
}

static void test_set_rejects_keys_that_are_not_tokens(void **state) {
  (void)state;
  const char *bad[] = {"", "a b", "a=b", "a,b", "a;b", "\"a\"", "a/b", "a:b", "\xc3\xa9", "a\tb"};
  bg_items_clear(&items);
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) assert_int_equal(set(bad[i], "v"), -EINVAL);
  assert_int_equal(items.count, 0);
}

static void test_set_accepts_every_tchar_in_keys(void **state) {
  (void)state;
  bg_items_clear(&items);
  assert_int_equal(set("!#$%&'*+-.^_`|~09azAZ", "v"), 0);
}

static void test_remove_deletes_only_that_key(void **state) {
  (void)state;
  bg_items_clear(&items);
  set("a", "1");
  set("b", "22");
  set("c", "333");
  assert_int_equal(bg_items_remove(&items, "b", 1), 0);
  assert_int_equal(items.count, 2);
  assert_item(&items, "a", "1", 1);
  assert_item(&items, "c", "333", 3);
  assert_int_equal(items.used, 1 + 1 + 1 + 3); /* the pool stays compact */
}

static void test_remove_missing_key_is_enoent(void **state) {
  (void)state;
  bg_items_clear(&items);
  assert_int_equal(bg_items_remove(&items, "a", 1), -ENOENT);
}

static void make_keys(int n) {
  char key[8];
  bg_items_clear(&items);
  for (int i = 0; i < n; i++) {
    int len = snprintf(key, sizeof key, "k%d", i);
    assert_int_equal(bg_items_set(&items, key, (size_t)len, "v", 1), 0);
  }
}

static void test_set_accepts_exactly_max_items(void **state) {
  (void)state;
  make_keys(BG_MAX_ITEMS);
  assert_int_equal(items.count, BG_MAX_ITEMS);
}

static void test_set_past_max_items_is_e2big_and_set_unchanged(void **state) {
  (void)state;
  make_keys(BG_MAX_ITEMS);
  before = items;
  assert_int_equal(set("one-more", "v"), -E2BIG);
  assert_items_equal(&items, &before);
}

static void test_replacing_in_a_full_set_is_allowed(void **state) {
  (void)state;
  make_keys(BG_MAX_ITEMS);
  assert_int_equal(set("k7", "new"), 0);
  assert_item(&items, "k7", "new", 3);
}

/* "k=" plus the value: the W3C encoding is exactly len + 2 bytes. */
static void test_set_accepts_encoding_of_exactly_max_bytes(void **state) {
  (void)state;
  memset(big, 'x', sizeof big);
  bg_items_clear(&items);
  assert_int_equal(bg_items_set(&items, "k", 1, big, BG_MAX_ITEMS_BYTES - 2), 0);
  assert_int_equal(bg_w3c_baggage_encode(&items, enc_a, sizeof enc_a), BG_MAX_ITEMS_BYTES);
}

static void test_set_past_max_bytes_is_e2big(void **state) {
  (void)state;
  memset(big, 'x', sizeof big);
  bg_items_clear(&items);
  assert_int_equal(bg_items_set(&items, "k", 1, big, BG_MAX_ITEMS_BYTES - 1), -E2BIG);
  assert_int_equal(items.count, 0);
}

/* A space costs three bytes once escaped: the bound is on the encoding, not on
 * the stored bytes. */
static void test_byte_bound_counts_percent_escapes(void **state) {
  (void)state;
  size_t fits = (BG_MAX_ITEMS_BYTES - 2) / 3;
  memset(big, ' ', sizeof big);
  bg_items_clear(&items);
  assert_int_equal(bg_items_set(&items, "k", 1, big, fits + 1), -E2BIG);
  assert_int_equal(bg_items_set(&items, "k", 1, big, fits), 0);
}

static void test_byte_bound_counts_separators_and_other_items(void **state) {
  (void)state;
  memset(big, 'x', sizeof big);
  bg_items_clear(&items);
  assert_int_equal(set("a", "1"), 0); /* "a=1" + "," = 4 bytes */
  assert_int_equal(bg_items_set(&items, "k", 1, big, BG_MAX_ITEMS_BYTES - 2 - 4 + 1), -E2BIG);
  assert_int_equal(bg_items_set(&items, "k", 1, big, BG_MAX_ITEMS_BYTES - 2 - 4), 0);
}

static void test_replacement_too_big_is_e2big_and_old_value_kept(void **state) {
  (void)state;
  memset(big, 'x', sizeof big);
  bg_items_clear(&items);
  set("a", "old");
  set("b", "2");
  before = items;
  assert_int_equal(bg_items_set(&items, "a", 1, big, BG_MAX_ITEMS_BYTES), -E2BIG);
  assert_items_equal(&items, &before);
  assert_item(&items, "a", "old", 3);
}

static void test_replacing_a_large_value_with_another_fits(void **state) {
  (void)state;
  memset(big, 'x', sizeof big);
  bg_items_clear(&items);
  assert_int_equal(bg_items_set(&items, "k", 1, big, BG_MAX_ITEMS_BYTES - 2), 0);
  memset(big, 'y', sizeof big);
  assert_int_equal(bg_items_set(&items, "k", 1, big, BG_MAX_ITEMS_BYTES - 2), 0);
  assert_item(&items, "k", big, BG_MAX_ITEMS_BYTES - 2);
}

static void test_remove_then_set_reuses_pool_space(void **state) {
  (void)state;
  memset(big, 'x', sizeof big);
  bg_items_clear(&items);
  for (int round = 0; round < 100; round++) {
    assert_int_equal(bg_items_set(&items, "k", 1, big, 4000), 0);
    assert_int_equal(bg_items_set(&items, "j", 1, big, 4000), 0);
    assert_int_equal(bg_items_remove(&items, "k", 1), 0);
    assert_int_equal(bg_items_remove(&items, "j", 1), 0);
  }
  assert_int_equal(items.used, 0);
}

static void test_encoding_is_stable_across_replace(void **state) {
  (void)state;
  bg_items_clear(&items);
  set("a", "1");
  set("b", "2");
  set("a", "1");
  int n = bg_w3c_baggage_encode(&items, enc_a, sizeof enc_a);
  assert_string_equal(enc_a, "b=2,a=1");
  bg_items_clear(&items);
  set("b", "2");
  set("a", "1");
  assert_int_equal(bg_w3c_baggage_encode(&items, enc_b, sizeof enc_b), n);
  assert_string_equal(enc_a, enc_b);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_set_then_get_returns_value),
      cmocka_unit_test(test_get_missing_key_is_enoent),
      cmocka_unit_test(test_set_existing_key_replaces_value),
      cmocka_unit_test(test_values_may_hold_any_bytes),
      cmocka_unit_test(test_empty_value_is_kept),
      cmocka_unit_test(test_set_rejects_keys_that_are_not_tokens),
      cmocka_unit_test(test_set_accepts_every_tchar_in_keys),
      cmocka_unit_test(test_remove_deletes_only_that_key),
      cmocka_unit_test(test_remove_missing_key_is_enoent),
      cmocka_unit_test(test_set_accepts_exactly_max_items),
      cmocka_unit_test(test_set_past_max_items_is_e2big_and_set_unchanged),
      cmocka_unit_test(test_replacing_in_a_full_set_is_allowed),
      cmocka_unit_test(test_set_accepts_encoding_of_exactly_max_bytes),
      cmocka_unit_test(test_set_past_max_bytes_is_e2big),
      cmocka_unit_test(test_byte_bound_counts_percent_escapes),
      cmocka_unit_test(test_byte_bound_counts_separators_and_other_items),
      cmocka_unit_test(test_replacement_too_big_is_e2big_and_old_value_kept),
      cmocka_unit_test(test_replacing_a_large_value_with_another_fits),
      cmocka_unit_test(test_remove_then_set_reuses_pool_space),
      cmocka_unit_test(test_encoding_is_stable_across_replace),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
