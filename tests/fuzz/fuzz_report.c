/* The collector's input path: bytes from a publisher go through the frame
 * stream and the report decoder, and every report that decodes is written as
 * JSON and as plain text. The JSON must be safe to embed in HTML (no raw
 * control characters, no < > &) and valid UTF-8 whatever the input. The
 * stream runs with malloc'd reports and, as the ingest thread runs it, with
 * reports decoded into an arena. The whole input is also tried as one
 * serialized report. */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_common.h"
#include "json.h"
#include "log.h"
#include "report.h"
#include "stream.h"
#include "client.h"

static void check_json(const xt__buf *b) {
  FUZZ_CHECK(!b->oom);
  for (size_t i = 0; i < b->len; i++) {
    unsigned char c = (unsigned char)b->data[i];
    FUZZ_CHECK(c >= 0x20 && c != '<' && c != '>' && c != '&');
  }
  xt__buf clean;
  xt__buf_init(&clean);
  xt__utf8_clean(&clean, b->data, b->len);
  FUZZ_CHECK(clean.len == b->len && (b->len == 0 || memcmp(clean.data, b->data, b->len) == 0));
  xt__buf_free(&clean);
}

static void render(const Pubsub__XTraceReportv4 *m) {
  xt__buf b;
  xt__buf_init(&b);
  xt__report_json(&b, m, xt__report_time(m, 1));
  FUZZ_CHECK(b.len >= 2 && b.data[0] == '{' && b.data[b.len - 1] == '}');
  check_json(&b);
  b.len = 0;
  xt__report_text(&b, m, 1);
  FUZZ_CHECK(!b.oom && b.len > 0 && b.data[b.len - 1] == '\n');
  xt__buf_free(&b);
}

/* The client's encoder writes what protobuf-c writes, for any report
 * (fields the decoder did not know are protobuf-c's own to append). */
static void check_pack(const Pubsub__XTraceReportv4 *m) {
  if (m->base.n_unknown_fields) return;
  size_t n = pubsub__xtrace_reportv4__get_packed_size(m);
  uint8_t *want = malloc(n + 1), *got = malloc(n + 1);
  FUZZ_CHECK(want && got);
  FUZZ_CHECK(pubsub__xtrace_reportv4__pack(m, want) == n);
  FUZZ_CHECK(xt__report_pack(m, got, n + 1) == n && memcmp(got, want, n) == 0);
  FUZZ_CHECK(n == 0 || xt__report_pack(m, got, n - 1) == SIZE_MAX);
  free(want);
  free(got);
}

typedef struct run {
  int n;
  xt__arena *arena; /* NULL: decode with malloc */
  int keep;         /* keep every report (in the arena) instead of leaving it to the stream */
} run;

static int on_report(void *arg, Pubsub__XTraceReportv4 *m, const uint8_t *raw, size_t len) {
  (void)raw, (void)len;
  run *r = arg;
  r->n++;
  render(m);
  return r->keep;
}

static xt__arena *run_arena(void *arg) { return ((run *)arg)->arena; }

static long consume(const uint8_t *data, size_t size, run *r, size_t *frames) {
  const xt__stream_sink sink = {on_report, run_arena, r};
  long used = xt__stream_consume(data, size, &sink, frames);
  FUZZ_CHECK(used == -EMSGSIZE || (used >= 0 && (size_t)used <= size));
  FUZZ_CHECK((size_t)r->n <= *frames);
  return used;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  xt__log_quiet(1);
  size_t frames = 0;
  run heap = {0, NULL, 0};
  long used = consume(data, size, &heap, &frames);

  /* The ingest thread's way: decoded into an arena. Reports left to the
   * stream, and the ones that do not decode, give all their memory back;
   * kept ones stay readable until the reset (ASan poisons the rest). */
  xt__arena arena;
  xt__arena_init(&arena);
  run dropped = {0, &arena, 0}, kept = {0, &arena, 1};
  FUZZ_CHECK(consume(data, size, &dropped, &frames) == used && dropped.n == heap.n);
  FUZZ_CHECK(arena.used == 0);
  FUZZ_CHECK(consume(data, size, &kept, &frames) == used && kept.n == heap.n);
  FUZZ_CHECK((kept.n > 0) == (arena.used > 0));
  xt__arena_reset(&arena);
  FUZZ_CHECK(arena.used == 0);
  xt__arena_destroy(&arena);

  Pubsub__XTraceReportv4 *m;
  if (xt__report_decode(data, size, NULL, &m) == 0) {
    render(m);
    check_pack(m);
    pubsub__xtrace_reportv4__free_unpacked(m, NULL);
  }

  xt__buf b;
  xt__buf_init(&b);
  xt__json_str(&b, (const char *)data, size);
  check_json(&b);
  xt__buf_free(&b);
  return 0;
}
