/* Unit tests for what turns bytes into reports and reports into text: the
 * JSON writer, timestamp normalisation, report decoding and the per-connection
 * frame stream. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "json.h"
#include "log.h"
#include "query.h"
#include "report.h"
#include "stats.h"
#include "stream.h"
#include "xtrace/frame.h"

static char *json_of(const char *s, size_t n) {
  xt__buf b;
  xt__buf_init(&b);
  xt__json_str(&b, s, n);
  return xt__buf_steal(&b, NULL);
}

static void expect_json(const char *in, size_t n, const char *want) {
  char *got = json_of(in, n);
  assert_string_equal(got, want);
  free(got);
}

static void test_json_escapes_quotes_backslashes_and_controls(void **st) {
  (void)st;
  const char in[] = "a\"b\\c\nd\re\tf\x01g\x1f";
  expect_json(in, sizeof in - 1, "\"a\\\"b\\\\c\\nd\\re\\tf\\u0001g\\u001f\"");
}

static void test_json_escapes_html_characters(void **st) {
  (void)st;
  expect_json("<script>&", 9, "\"\\u003cscript\\u003e\\u0026\"");
}

static void test_json_escapes_js_line_separators(void **st) {
  (void)st;
  expect_json("\xe2\x80\xa8\xe2\x80\xa9", 6, "\"\\u2028\\u2029\"");
}

static void test_json_keeps_valid_multibyte_text(void **st) {
  (void)st;
  expect_json("caf\xc3\xa9 \xf0\x9f\x98\x80", 10, "\"caf\xc3\xa9 \xf0\x9f\x98\x80\"");
}

static void test_json_replaces_invalid_utf8(void **st) {
  (void)st;
  expect_json("\xff", 1, "\"\\ufffd\"");
  expect_json("\xc0\x80", 2, "\"\\ufffd\\ufffd\"");             /* overlong NUL */
  expect_json("\xed\xa0\x80", 3, "\"\\ufffd\\ufffd\\ufffd\"");   /* surrogate */
  expect_json("a\xe2\x82", 3, "\"a\\ufffd\\ufffd\"");            /* truncated */
  expect_json("\xf4\x90\x80\x80", 4, "\"\\ufffd\\ufffd\\ufffd\\ufffd\""); /* past U+10FFFF */
}

static void test_json_keeps_embedded_nul_escaped(void **st) {
  (void)st;
  expect_json("a\0b", 3, "\"a\\u0000b\"");
}

static void test_utf8_clean_replaces_only_bad_bytes(void **st) {
  (void)st;
  xt__buf b;
  xt__buf_init(&b);
  xt__utf8_clean(&b, "ok\xff\xc3\xa9", 5);
  assert_string_equal(b.data, "ok\xef\xbf\xbd\xc3\xa9");
  xt__buf_free(&b);
}

static void test_task_id_is_16_lowercase_hex(void **st) {
  (void)st;
  xt__buf b;
  xt__buf_init(&b);
  xt__json_id_hex(&b, 0xABC);
  xt__buf_putc(&b, ' ');
  xt__json_id_hex(&b, -1);
  assert_string_equal(b.data, "\"0000000000000abc\" \"ffffffffffffffff\"");
  xt__buf_free(&b);
}

static void test_buf_grows_past_initial_capacity(void **st) {
  (void)st;
  xt__buf b;
  xt__buf_init(&b);
  for (int i = 0; i < 10000; i++) xt__buf_printf(&b, "%04d", i % 10000);
  assert_int_equal(b.len, 40000);
  assert_memory_equal(b.data + 39996, "9999", 4);
  xt__buf_free(&b);
}

static void test_ts_milliseconds_become_microseconds(void **st) {
  (void)st;
  assert_int_equal(xt__ts_to_us(1700000000123), 1700000000123000);
}

static void test_ts_microseconds_are_kept(void **st) {
  (void)st;
  assert_int_equal(xt__ts_to_us(1700000000123456), 1700000000123456);
}

static void test_ts_nanoseconds_become_microseconds(void **st) {
  (void)st;
  assert_int_equal(xt__ts_to_us(1700000000123456789), 1700000000123456);
}

static void test_ts_zero_or_negative_is_unknown(void **st) {
  (void)st;
  assert_int_equal(xt__ts_to_us(0), 0);
  assert_int_equal(xt__ts_to_us(-5), 0);
}

static size_t pack(const Pubsub__XTraceReportv4 *r, uint8_t *out) {
  return pubsub__xtrace_reportv4__pack(r, out);
}

static Pubsub__XTraceReportv4 base_report(void) {
  Pubsub__XTraceReportv4 r = PUBSUB__XTRACE_REPORTV4__INIT;
  r.has_task_id = r.has_event_id = 1;
  r.task_id = 0x42;
  r.event_id = 7;
  r.label = "hello";
  return r;
}

static void test_report_without_timestamp_gets_receive_time(void **st) {
  (void)st;
  Pubsub__XTraceReportv4 r = base_report();
  assert_int_equal(xt__report_time(&r, 99), 99);
  r.has_timestamp = 1;
  r.timestamp = 1700000000000;
  assert_int_equal(xt__report_time(&r, 99), 1700000000000000);
}

static void test_decode_rejects_garbage(void **st) {
  (void)st;
  uint8_t junk[20];
  memset(junk, 0xff, sizeof junk);
  Pubsub__XTraceReportv4 *m;
  assert_int_equal(xt__report_decode(junk, sizeof junk, NULL, &m), -EBADMSG);
}

static void test_decode_rejects_report_without_task(void **st) {
  (void)st;
  Pubsub__XTraceReportv4 r = base_report();
  r.has_task_id = 0;
  uint8_t buf[256];
  Pubsub__XTraceReportv4 *m;
  assert_int_equal(xt__report_decode(buf, pack(&r, buf), NULL, &m), -ENODATA);
}

static void test_decode_accepts_good_report(void **st) {
  (void)st;
  Pubsub__XTraceReportv4 r = base_report();
  uint8_t buf[256];
  Pubsub__XTraceReportv4 *m;
  assert_int_equal(xt__report_decode(buf, pack(&r, buf), NULL, &m), 0);
  assert_int_equal(m->task_id, 0x42);
  assert_string_equal(m->label, "hello");
  pubsub__xtrace_reportv4__free_unpacked(m, NULL);
}

static void test_report_json_has_reference_keys(void **st) {
  (void)st;
  Pubsub__XTraceReportv4 r = base_report();
  int64_t parents[] = {1, -2};
  char *tags[] = {"t<"};
  r.n_parent_event_id = 2, r.parent_event_id = parents;
  r.n_tags = 1, r.tags = tags;
  r.has_process_id = 1, r.process_id = 12;
  xt__buf b;
  xt__buf_init(&b);
  xt__report_json(&b, &r, 1000);
  assert_string_equal(b.data, "{\"TaskID\":\"0000000000000042\",\"EventID\":\"7\",\"ParentEventID\":[\"1\",\"-2\"],"
                              "\"Timestamp\":1000,\"HRT\":0,\"Host\":\"\",\"ProcessID\":12,\"ProcessName\":\"\","
                              "\"ThreadID\":0,\"ThreadName\":\"\",\"Agent\":\"\",\"Source\":\"\",\"Label\":\"hello\","
                              "\"Tag\":[\"t\\u003c\"]}");
  xt__buf_free(&b);
}

static void test_custom_keys_skip_standard_names_repeats_and_unpaired(void **st) {
  (void)st;
  Pubsub__XTraceReportv4 r = base_report();
  char *keys[] = {"Label", "peer", "peer", "", "extra"};
  char *values[] = {"spoof", "a", "b", "empty-key"};
  r.n_key = 5, r.key = keys;
  r.n_value = 4, r.value = values;
  xt__buf b;
  xt__buf_init(&b);
  xt__report_json(&b, &r, 0);
  assert_non_null(strstr(b.data, "\"Label\":\"hello\",\"Tag\":[],\"peer\":\"a\"}"));
  assert_null(strstr(b.data, "spoof"));
  assert_null(strstr(b.data, "extra"));
  xt__buf_free(&b);
}

static void test_report_text_keeps_one_value_per_line(void **st) {
  (void)st;
  Pubsub__XTraceReportv4 r = base_report();
  r.label = "two\nlines\x01";
  xt__buf b;
  xt__buf_init(&b);
  xt__report_text(&b, &r, 5);
  assert_non_null(strstr(b.data, "\nLabel: two\\nlines\\x01\n"));
  assert_non_null(strstr(b.data, "X-Trace Report ver 1.0\nTaskID: 0000000000000042\n"));
  xt__buf_free(&b);
}

static void test_task_id_parser_accepts_1_to_16_hex_digits(void **st) {
  (void)st;
  int64_t id;
  assert_int_equal(xt__parse_task_id("1", 1, &id), 0);
  assert_int_equal(id, 1);
  assert_int_equal(xt__parse_task_id("FFFFFFFFFFFFFFFF", 16, &id), 0);
  assert_int_equal(id, -1);
  assert_int_equal(xt__parse_task_id("aB", 2, &id), 0);
  assert_int_equal(id, 0xab);
}

static void test_task_id_parser_rejects_others(void **st) {
  (void)st;
  int64_t id;
  assert_int_equal(xt__parse_task_id("", 0, &id), -EINVAL);
  assert_int_equal(xt__parse_task_id("12345678901234567", 17, &id), -EINVAL);
  assert_int_equal(xt__parse_task_id("-1", 2, &id), -EINVAL);
  assert_int_equal(xt__parse_task_id("0x1", 3, &id), -EINVAL);
  assert_int_equal(xt__parse_task_id("g", 1, &id), -EINVAL);
}

/* Frame stream. */

typedef struct got {
  int n;
  int64_t last_task;
} got;

/* Leaves every report to the stream, which frees it. */
static int collect(void *arg, Pubsub__XTraceReportv4 *m, const uint8_t *raw, size_t len) {
  (void)raw, (void)len;
  got *g = arg;
  g->n++;
  g->last_task = m->task_id;
  return 0;
}

static long consume(const uint8_t *buf, size_t len, got *g, size_t *frames) {
  const xt__stream_sink sink = {collect, NULL, g};
  return xt__stream_consume(buf, len, &sink, frames);
}

static size_t frame(uint8_t *out, const char *topic, const uint8_t *msg, uint32_t n) {
  uint32_t tl = (uint32_t)strlen(topic);
  out[0] = (uint8_t)(tl >> 24), out[1] = (uint8_t)(tl >> 16), out[2] = (uint8_t)(tl >> 8), out[3] = (uint8_t)tl;
  memcpy(out + 4, topic, tl);
  uint8_t *p = out + 4 + tl;
  p[0] = (uint8_t)(n >> 24), p[1] = (uint8_t)(n >> 16), p[2] = (uint8_t)(n >> 8), p[3] = (uint8_t)n;
  memcpy(p + 4, msg, n);
  return 8 + tl + n;
}

static size_t report_frame(uint8_t *out, int64_t task) {
  Pubsub__XTraceReportv4 r = base_report();
  r.task_id = task;
  uint8_t msg[256];
  return frame(out, "xtrace", msg, (uint32_t)pack(&r, msg));
}

static uint64_t rejected(xt__reject r) { return atomic_load(&xt__g_stats.rejected[r]); }

static void test_stream_consumes_complete_frames_and_leaves_partial(void **st) {
  (void)st;
  uint8_t buf[1024];
  size_t a = report_frame(buf, 1);
  size_t b = report_frame(buf + a, 2);
  size_t c = report_frame(buf + a + b, 3);
  got g = {0};
  size_t frames;
  long used = consume(buf, a + b + c - 5, &g, &frames);
  assert_int_equal(used, a + b);
  assert_int_equal(frames, 2);
  assert_int_equal(g.n, 2);
  assert_int_equal(g.last_task, 2);
}

static void test_stream_byte_by_byte_yields_each_report_once(void **st) {
  (void)st;
  uint8_t buf[1024];
  size_t len = report_frame(buf, 1);
  len += report_frame(buf + len, 2);
  got g = {0};
  size_t start = 0;
  for (size_t end = 1; end <= len; end++) {
    long used = consume(buf + start, end - start, &g, NULL);
    assert_true(used >= 0);
    start += (size_t)used;
  }
  assert_int_equal(start, len);
  assert_int_equal(g.n, 2);
}

static void test_stream_skips_and_counts_other_topics(void **st) {
  (void)st;
  uint8_t buf[1024];
  uint64_t before = rejected(XT_REJ_WRONG_TOPIC);
  size_t len = frame(buf, "metrics", (const uint8_t *)"abc", 3);
  len += report_frame(buf + len, 9);
  got g = {0};
  assert_int_equal(consume(buf, len, &g, NULL), (long)len);
  assert_int_equal(g.n, 1);
  assert_int_equal(g.last_task, 9);
  assert_int_equal(rejected(XT_REJ_WRONG_TOPIC), before + 1);
}

static void test_stream_skips_and_counts_garbage_protobuf(void **st) {
  (void)st;
  uint8_t buf[1024], junk[16];
  memset(junk, 0xff, sizeof junk);
  uint64_t before = rejected(XT_REJ_BAD_PROTOBUF);
  size_t len = frame(buf, "xtrace", junk, sizeof junk);
  len += report_frame(buf + len, 9);
  got g = {0};
  assert_int_equal(consume(buf, len, &g, NULL), (long)len);
  assert_int_equal(g.n, 1);
  assert_int_equal(rejected(XT_REJ_BAD_PROTOBUF), before + 1);
}

static void test_stream_absurd_lengths_end_the_stream(void **st) {
  (void)st;
  uint8_t topic_len[] = {0xff, 0xff, 0xff, 0xff};
  got g = {0};
  assert_int_equal(consume(topic_len, 4, &g, NULL), -EMSGSIZE);
  uint8_t msg_len[] = {0, 0, 0, 6, 'x', 't', 'r', 'a', 'c', 'e', 0x7f, 0xff, 0xff, 0xff};
  assert_int_equal(consume(msg_len, sizeof msg_len, &g, NULL), -EMSGSIZE);
  assert_int_equal(g.n, 0);
}

static void test_stream_empty_message_has_no_task(void **st) {
  (void)st;
  uint8_t buf[64];
  uint64_t before = rejected(XT_REJ_NO_TASK);
  size_t len = frame(buf, "xtrace", (const uint8_t *)"", 0);
  got g = {0};
  assert_int_equal(consume(buf, len, &g, NULL), (long)len);
  assert_int_equal(g.n, 0);
  assert_int_equal(rejected(XT_REJ_NO_TASK), before + 1);
}

int main(void) {
  xt__log_quiet(1);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_json_escapes_quotes_backslashes_and_controls),
      cmocka_unit_test(test_json_escapes_html_characters),
      cmocka_unit_test(test_json_escapes_js_line_separators),
      cmocka_unit_test(test_json_keeps_valid_multibyte_text),
      cmocka_unit_test(test_json_replaces_invalid_utf8),
      cmocka_unit_test(test_json_keeps_embedded_nul_escaped),
      cmocka_unit_test(test_utf8_clean_replaces_only_bad_bytes),
      cmocka_unit_test(test_task_id_is_16_lowercase_hex),
      cmocka_unit_test(test_buf_grows_past_initial_capacity),
      cmocka_unit_test(test_ts_milliseconds_become_microseconds),
      cmocka_unit_test(test_ts_microseconds_are_kept),
      cmocka_unit_test(test_ts_nanoseconds_become_microseconds),
      cmocka_unit_test(test_ts_zero_or_negative_is_unknown),
      cmocka_unit_test(test_report_without_timestamp_gets_receive_time),
      cmocka_unit_test(test_decode_rejects_garbage),
      cmocka_unit_test(test_decode_rejects_report_without_task),
      cmocka_unit_test(test_decode_accepts_good_report),
      cmocka_unit_test(test_report_json_has_reference_keys),
      cmocka_unit_test(test_custom_keys_skip_standard_names_repeats_and_unpaired),
      cmocka_unit_test(test_report_text_keeps_one_value_per_line),
      cmocka_unit_test(test_task_id_parser_accepts_1_to_16_hex_digits),
      cmocka_unit_test(test_task_id_parser_rejects_others),
      cmocka_unit_test(test_stream_consumes_complete_frames_and_leaves_partial),
      cmocka_unit_test(test_stream_byte_by_byte_yields_each_report_once),
      cmocka_unit_test(test_stream_skips_and_counts_other_topics),
      cmocka_unit_test(test_stream_skips_and_counts_garbage_protobuf),
      cmocka_unit_test(test_stream_absurd_lengths_end_the_stream),
      cmocka_unit_test(test_stream_empty_message_has_no_task),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
