/* The ingest thread's global bound on partial frames (memory_limit in
 * /api/stats): a connection whose partial frame would take the bytes held
 * over all connections past the bound is dropped and counted; the others
 * keep theirs and complete them; what a dropped connection held is freed.
 * Real sockets, the real ingest thread, a bound small enough to reach. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "ingest.h"
#include "net.h"
#include "queue.h"
#include "stats.h"
#include "xtrace/frame.h"
#include "xtrace_report.pb-c.h"

#define BOUND 3000
#define WAIT_S 20

typedef struct fixture {
  xt__queue q;
  xt__ingest *in;
  char addr[64];
} fixture;

typedef struct frame {
  uint8_t bytes[4096];
  size_t len;
} frame;

/* A frame holding one report with a label of label_len bytes. */
static void make_frame(frame *f, int64_t task, size_t label_len) {
  char label[2048];
  assert_true(label_len < sizeof label);
  memset(label, 'l', label_len);
  label[label_len] = '\0';
  Pubsub__XTraceReportv4 r = PUBSUB__XTRACE_REPORTV4__INIT;
  r.has_task_id = r.has_event_id = 1;
  r.task_id = task;
  r.event_id = task + 1;
  r.label = label;
  size_t n = pubsub__xtrace_reportv4__get_packed_size(&r);
  assert_true(XT_FRAME_HEADER_LEN + n <= sizeof f->bytes);
  xt_frame_header(f->bytes, (uint32_t)n);
  pubsub__xtrace_reportv4__pack(&r, f->bytes + XT_FRAME_HEADER_LEN);
  f->len = XT_FRAME_HEADER_LEN + n;
}

static int64_t now_ms(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void pause_ms(long ms) {
  struct timespec ts = {0, ms * 1000000};
  nanosleep(&ts, NULL);
}

/* Polls a counter until it reaches want (the ingest thread works on its own
 * time); fails the test after WAIT_S seconds. */
static void wait_stat(const char *what, _Atomic int_fast64_t *s, const atomic_uint_fast64_t *u, int64_t want) {
  int64_t deadline = now_ms() + WAIT_S * 1000, v = 0;
  while (now_ms() < deadline) {
    v = s ? (int64_t)atomic_load(s) : (int64_t)atomic_load(u);
    if (v == want) return;
    pause_ms(1);
  }
  fail_msg("%s is %lld, waited for %lld", what, (long long)v, (long long)want);
}

static int connect_to(const char *addr) {
  char host[64];
  const char *colon = strrchr(addr, ':');
  memcpy(host, addr, (size_t)(colon - addr));
  host[colon - addr] = '\0';
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(colon + 1))};
  assert_int_equal(inet_pton(AF_INET, host, &a.sin_addr), 1);
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  assert_true(fd >= 0);
  assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
  struct timeval tv = {.tv_sec = WAIT_S};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  return fd;
}

static void send_all(int fd, const uint8_t *p, size_t n) {
  while (n) {
    ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
    assert_true(w > 0);
    p += w;
    n -= (size_t)w;
  }
}

/* The collector never sends: a read returns only when it closes. */
static int closed_by_server(int fd) {
  char c;
  ssize_t r = recv(fd, &c, 1, 0);
  return r == 0 || (r < 0 && (errno == ECONNRESET || errno == EPIPE));
}

static int setup(void **state) {
  fixture *f = calloc(1, sizeof *f);
  assert_int_equal(xt__queue_init(&f->q, 64u << 20), 0);
  int lfd;
  assert_int_equal(xt__listen_tcp("127.0.0.1:0", &lfd, f->addr, sizeof f->addr), 0);
  xt__ingest_limits lim;
  xt__ingest_default_limits(&lim);
  lim.max_buffered = BOUND;
  assert_int_equal(xt__ingest_new(&f->in, lfd, &f->q, &lim), 0);
  assert_int_equal(xt__ingest_start(f->in), 0);
  *state = f;
  return 0;
}

static int teardown(void **state) {
  fixture *f = *state;
  xt__ingest_free(f->in);
  xt__queue_close(&f->q);
  xt__queue_destroy(&f->q);
  free(f);
  return 0;
}

static void test_partial_frame_past_the_bound_drops_its_connection(void **state) {
  fixture *f = *state;
  uint64_t rejected0 = atomic_load(&xt__g_stats.rejected[XT_REJ_MEMORY_LIMIT]);
  uint64_t received0 = atomic_load(&xt__g_stats.received);
  frame fa, fb, fc;
  make_frame(&fa, 11, 1900);
  make_frame(&fb, 22, 1900);
  make_frame(&fc, 33, 1900);
  /* Two frames held at once would pass the bound, one alone does not. */
  assert_true(fa.len > BOUND / 2 && fa.len < BOUND);

  /* A has sent 1500 bytes of a frame: once its header is in, the whole
   * frame's buffer is held, within the bound. */
  int a = connect_to(f->addr);
  send_all(a, fa.bytes, 1500);
  wait_stat("buffered", &xt__g_stats.buffered, NULL, (int64_t)fa.len);

  /* B's frame would take the held bytes past the bound: B goes, A stays. */
  int b = connect_to(f->addr);
  send_all(b, fb.bytes, 1600);
  assert_true(closed_by_server(b));
  close(b);
  wait_stat("rejected memory_limit", NULL, &xt__g_stats.rejected[XT_REJ_MEMORY_LIMIT], (int64_t)rejected0 + 1);
  wait_stat("buffered", &xt__g_stats.buffered, NULL, (int64_t)fa.len);

  /* A completes its frame: its partial frame was kept whole. */
  send_all(a, fa.bytes + 1500, fa.len - 1500);
  wait_stat("received", NULL, &xt__g_stats.received, (int64_t)received0 + 1);
  wait_stat("buffered", &xt__g_stats.buffered, NULL, 0);

  /* Nothing of B is held: C's frame fits now and completes. */
  int c = connect_to(f->addr);
  send_all(c, fc.bytes, 1600);
  wait_stat("buffered", &xt__g_stats.buffered, NULL, (int64_t)fc.len);
  send_all(c, fc.bytes + 1600, fc.len - 1600);
  wait_stat("received", NULL, &xt__g_stats.received, (int64_t)received0 + 2);
  assert_int_equal(atomic_load(&xt__g_stats.rejected[XT_REJ_MEMORY_LIMIT]), rejected0 + 1);
  close(a);
  close(c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_partial_frame_past_the_bound_drops_its_connection, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
