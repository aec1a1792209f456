#include "testutil.h"

static void test_strerror_names_every_code_the_library_returns(void **state) {
  (void)state;
  const int codes[] = {-EINVAL, -ENOSPC, -E2BIG, -ENOENT};
  const char *unknown = bg_strerror(-12345);
  for (size_t i = 0; i < sizeof codes / sizeof codes[0]; i++) {
    const char *s = bg_strerror(codes[i]);
    assert_non_null(s);
    assert_string_not_equal(s, unknown);
    for (size_t j = 0; j < i; j++) assert_string_not_equal(s, bg_strerror(codes[j]));
  }
}

static void test_strerror_accepts_positive_codes_too(void **state) {
  (void)state;
  assert_string_equal(bg_strerror(EINVAL), bg_strerror(-EINVAL));
  assert_string_equal(bg_strerror(0), "success");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_strerror_names_every_code_the_library_returns),
      cmocka_unit_test(test_strerror_accepts_positive_codes_too),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
