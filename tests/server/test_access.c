/* Unit tests for the Host names the HTTP port answers and the networks the
 * report port accepts publishers from. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "access.h"

static struct sockaddr_storage v4(const char *ip, unsigned port) {
  struct sockaddr_storage ss;
  memset(&ss, 0, sizeof ss);
  struct sockaddr_in *a = (struct sockaddr_in *)&ss;
  a->sin_family = AF_INET;
  a->sin_port = htons((uint16_t)port);
  assert_int_equal(inet_pton(AF_INET, ip, &a->sin_addr), 1);
  return ss;
}

static struct sockaddr_storage v6(const char *ip, unsigned port) {
  struct sockaddr_storage ss;
  memset(&ss, 0, sizeof ss);
  struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
  a->sin6_family = AF_INET6;
  a->sin6_port = htons((uint16_t)port);
  assert_int_equal(inet_pton(AF_INET6, ip, &a->sin6_addr), 1);
  return ss;
}

#define SA(ss) ((struct sockaddr *)&(ss))

static void test_loopback_server_answers_its_loopback_names(void **st) {
  (void)st;
  struct sockaddr_storage b = v4("127.0.0.1", 4080);
  xt__hosts *h;
  assert_int_equal(xt__hosts_new(&h, "127.0.0.1", SA(b), NULL), 0);
  assert_true(xt__hosts_allow(h, "127.0.0.1:4080"));
  assert_true(xt__hosts_allow(h, "127.0.0.1"));
  assert_true(xt__hosts_allow(h, "localhost:4080"));
  assert_true(xt__hosts_allow(h, "LocalHost.:4080"));
  assert_true(xt__hosts_allow(h, "[::1]:4080"));
  assert_true(xt__hosts_allow(h, "[::1]"));
  xt__hosts_free(h);
}

static void test_foreign_names_and_ports_are_refused(void **st) {
  (void)st;
  struct sockaddr_storage b = v4("127.0.0.1", 4080);
  xt__hosts *h;
  assert_int_equal(xt__hosts_new(&h, "127.0.0.1", SA(b), NULL), 0);
  const char *bad[] = {NULL, "", "attacker.example", "attacker.example:4080", "127.0.0.1:4081",
                       "127.0.0.1:", "127.0.0.1:04080x", "127.0.0.1:999999", "localhost.attacker.example",
                       "localhostx", "127.0.0.2:4080", "::1", "[::1", "[::1]x", "[::1]:80",
                       "0.0.0.0:4080", "127.0.0.1 :4080", "local host", ":4080"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
    if (xt__hosts_allow(h, bad[i])) fail_msg("allowed '%s'", bad[i] ? bad[i] : "(null)");
  }
  xt__hosts_free(h);
}

static void test_allow_host_adds_names_and_addresses(void **st) {
  (void)st;
  struct sockaddr_storage b = v4("10.1.2.3", 80);
  xt__hosts *h;
  assert_int_equal(xt__hosts_new(&h, "10.1.2.3", SA(b), "Trace.Example,[fd00::5],192.168.9.9"), 0);
  assert_true(xt__hosts_allow(h, "10.1.2.3"));
  assert_true(xt__hosts_allow(h, "trace.example"));
  assert_true(xt__hosts_allow(h, "TRACE.example.:80"));
  assert_true(xt__hosts_allow(h, "[fd00:0::5]"));
  assert_true(xt__hosts_allow(h, "192.168.9.9:80"));
  /* Bound to one outside address: loopback names are not this server's. */
  assert_false(xt__hosts_allow(h, "localhost"));
  assert_false(xt__hosts_allow(h, "127.0.0.1"));
  xt__hosts_free(h);
}

static void test_listen_name_is_allowed(void **st) {
  (void)st;
  struct sockaddr_storage b = v6("::1", 4080);
  xt__hosts *h;
  assert_int_equal(xt__hosts_new(&h, "trace-box", SA(b), NULL), 0);
  assert_true(xt__hosts_allow(h, "trace-box:4080"));
  assert_true(xt__hosts_allow(h, "localhost:4080"));
  xt__hosts_free(h);
}

static void test_malformed_allow_host_is_refused(void **st) {
  (void)st;
  struct sockaddr_storage b = v4("127.0.0.1", 4080);
  xt__hosts *h;
  const char *bad[] = {"a:80", ",", "a,", "a,,b", "a b", "[::1", "a/b"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
    if (xt__hosts_new(&h, NULL, SA(b), bad[i]) != -EINVAL) fail_msg("accepted '%s'", bad[i]);
}

static void test_networks_match_by_prefix(void **st) {
  (void)st;
  xt__nets *n;
  assert_int_equal(xt__nets_parse(&n, "10.0.0.0/8,192.168.1.77/24,fd00::/8,203.0.113.5"), 0);
  struct sockaddr_storage yes[] = {v4("10.255.0.1", 1), v4("192.168.1.1", 1), v6("fdff::1", 1),
                                   v4("203.0.113.5", 1), v6("::ffff:10.1.1.1", 1)};
  struct sockaddr_storage no[] = {v4("11.0.0.1", 1), v4("192.168.2.1", 1), v6("fe00::1", 1),
                                  v4("203.0.113.6", 1), v4("127.0.0.1", 1), v6("::1", 1),
                                  v6("::ffff:11.1.1.1", 1)};
  for (size_t i = 0; i < sizeof yes / sizeof *yes; i++) assert_true(xt__nets_allow(n, SA(yes[i])));
  for (size_t i = 0; i < sizeof no / sizeof *no; i++) assert_false(xt__nets_allow(n, SA(no[i])));
  char desc[256];
  xt__nets_describe(n, desc, sizeof desc);
  assert_string_equal(desc, "10.0.0.0/8, 192.168.1.0/24, fd00::/8, 203.0.113.5/32");
  xt__nets_free(n);
}

static void test_odd_prefixes(void **st) {
  (void)st;
  xt__nets *n;
  assert_int_equal(xt__nets_parse(&n, "0.0.0.0/0"), 0);
  struct sockaddr_storage a = v4("1.2.3.4", 1), b = v6("2001:db8::1", 1);
  assert_true(xt__nets_allow(n, SA(a)));
  assert_false(xt__nets_allow(n, SA(b)));
  xt__nets_free(n);
  assert_int_equal(xt__nets_parse(&n, "10.1.2.3/13"), 0);
  struct sockaddr_storage in = v4("10.7.255.255", 1), out = v4("10.8.0.0", 1);
  assert_true(xt__nets_allow(n, SA(in)));
  assert_false(xt__nets_allow(n, SA(out)));
  xt__nets_free(n);
}

static void test_malformed_networks_are_refused(void **st) {
  (void)st;
  xt__nets *n;
  const char *bad[] = {"", "10.0.0.0/33", "::/129", "10.0.0.0/", "10.0.0.0/-1", "10.0.0.0/+8",
                       "10.0.0.0/8,", ",10.0.0.0/8", "example.com", "10.0.0.0/8x", "10.0.0/8"};
  for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
    if (xt__nets_parse(&n, bad[i]) != -EINVAL) fail_msg("accepted '%s'", bad[i]);
}

static void test_default_networks_of_a_loopback_port_are_loopback(void **st) {
  (void)st;
  struct sockaddr_storage b = v4("127.0.0.1", 5563);
  xt__nets *n;
  assert_int_equal(xt__nets_default(&n, SA(b)), 0);
  char desc[256];
  xt__nets_describe(n, desc, sizeof desc);
  assert_string_equal(desc, "127.0.0.0/8, ::1/128");
  xt__nets_free(n);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_loopback_server_answers_its_loopback_names),
      cmocka_unit_test(test_foreign_names_and_ports_are_refused),
      cmocka_unit_test(test_allow_host_adds_names_and_addresses),
      cmocka_unit_test(test_listen_name_is_allowed),
      cmocka_unit_test(test_malformed_allow_host_is_refused),
      cmocka_unit_test(test_networks_match_by_prefix),
      cmocka_unit_test(test_odd_prefixes),
      cmocka_unit_test(test_malformed_networks_are_refused),
      cmocka_unit_test(test_default_networks_of_a_loopback_port_are_loopback),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
