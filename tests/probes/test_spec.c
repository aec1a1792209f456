/* XTRACE_PROBES parsing: what a good spec becomes, and that each kind of bad
 * spec is refused with a reason while the good ones around it still count. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "probes/probes.h"

static xtp_probe_spec specs[XTP_PROBES_MAX];
static char errors[XTP_PROBE_ERRORS_MAX];

static int parse(const char *s) { return xtp_probes_parse(s, specs, XTP_PROBES_MAX, errors, sizeof errors); }

static void test_signature_gives_types(void **state) {
  (void)state;
  assert_int_equal(parse("sqlite3_step(ptr)->int"), 1);
  assert_string_equal(errors, "");
  assert_string_equal(specs[0].name, "sqlite3_step");
  assert_string_equal(specs[0].lib, "");
  assert_string_equal(specs[0].item, "");
  assert_int_equal(specs[0].nargs, 1);
  assert_int_equal(specs[0].args[0].kind, XTP_PT_PTR);
  assert_int_equal(specs[0].ret.kind, XTP_PT_SINT);
  assert_int_equal(specs[0].ret.size, 4);
}

static void test_integer_names_give_sizes(void **state) {
  (void)state;
  assert_int_equal(parse("f(uint8, short, unsigned   int, long long, size_t, ssize_t, str, double)->uint64"), 1);
  const xtp_ptype *a = specs[0].args;
  assert_int_equal(specs[0].nargs, 8);
  assert_true(a[0].kind == XTP_PT_UINT && a[0].size == 1);
  assert_true(a[1].kind == XTP_PT_SINT && a[1].size == 2);
  assert_true(a[2].kind == XTP_PT_UINT && a[2].size == 4);
  assert_true(a[3].kind == XTP_PT_SINT && a[3].size == 8);
  assert_true(a[4].kind == XTP_PT_UINT && a[4].size == 8);
  assert_true(a[5].kind == XTP_PT_SINT && a[5].size == 8);
  assert_int_equal(a[6].kind, XTP_PT_STR);
  assert_int_equal(a[7].kind, XTP_PT_DOUBLE);
  assert_true(specs[0].ret.kind == XTP_PT_UINT && specs[0].ret.size == 8);
}

static void test_list_with_lib_and_item(void **state) {
  (void)state;
  assert_int_equal(parse(" deflate(ptr,int)->int ;\n libcurl.so.4:curl_easy_perform(ptr)->int;"
                         "@deep  sqlite3_prepare_v2(ptr, str, int, ptr, ptr) -> int"),
                   3);
  assert_string_equal(errors, "");
  assert_string_equal(specs[1].lib, "libcurl.so.4");
  assert_string_equal(specs[1].name, "curl_easy_perform");
  assert_string_equal(specs[2].item, "deep");
  assert_string_equal(specs[2].name, "sqlite3_prepare_v2");
  assert_int_equal(specs[2].nargs, 5);
}

static void test_void_and_empty_arguments(void **state) {
  (void)state;
  assert_int_equal(parse("a()->void; b(void)->long"), 2);
  assert_int_equal(specs[0].nargs, 0);
  assert_int_equal(specs[0].ret.kind, XTP_PT_VOID);
  assert_int_equal(specs[1].nargs, 0);
}

static void test_variadic_refused(void **state) {
  (void)state;
  assert_int_equal(parse("printf(str, ...)->int; puts(str)->int"), 1);
  assert_string_equal(specs[0].name, "puts");
  assert_non_null(strstr(errors, "'printf(str, ...)->int': variadic"));
}

static void test_bad_specs_reported_each(void **state) {
  (void)state;
  assert_int_equal(parse("nobrace; f(int)->int; g(int); h(widget)->int; i(int)->widget; 9x()->int;"
                         "j(void, int)->int; @ k()->int; f(int)->int"),
                   1);
  assert_non_null(strstr(errors, "'nobrace': no '('"));
  assert_non_null(strstr(errors, "'g(int)': no '-> type'"));
  assert_non_null(strstr(errors, "'h(widget)->int': unknown argument type"));
  assert_non_null(strstr(errors, "'i(int)->widget': unknown return type"));
  assert_non_null(strstr(errors, "'9x()->int': bad function name"));
  assert_non_null(strstr(errors, "'j(void, int)->int': void argument"));
  assert_non_null(strstr(errors, "'@ k()->int': bad baggage item"));
  assert_non_null(strstr(errors, "'f(int)->int': probed twice"));
}

static void test_too_many_arguments(void **state) {
  (void)state;
  assert_int_equal(parse("f(int,int,int,int,int,int,int,int,int)->int"), 0);
  assert_non_null(strstr(errors, "more than 8 arguments"));
}

static void test_error_list_bounded(void **state) {
  (void)state;
  char small[40];
  assert_int_equal(xtp_probes_parse("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa;bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", specs,
                                    XTP_PROBES_MAX, small, sizeof small),
                   0);
  assert_true(strlen(small) < sizeof small);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_signature_gives_types),
      cmocka_unit_test(test_integer_names_give_sizes),
      cmocka_unit_test(test_list_with_lib_and_item),
      cmocka_unit_test(test_void_and_empty_arguments),
      cmocka_unit_test(test_variadic_refused),
      cmocka_unit_test(test_bad_specs_reported_each),
      cmocka_unit_test(test_too_many_arguments),
      cmocka_unit_test(test_error_list_bounded),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
