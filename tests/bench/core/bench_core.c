/* Cost of an event on the application thread, against a baseline that only
 * formats the same label, with the reporter draining to a local TCP sink.
 *   bench_core latency N      per-event ns, p50/p99, with and without xt_log
 *   bench_core throughput N   events/s into the buffer from 8 threads */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "xtrace/xtrace.h"

static atomic_ullong sink_bytes;

/* Reads and discards: the bench measures the client, not a decoder. */
static void *sink_conn(void *arg) {
  int fd = (int)(intptr_t)arg;
  static __thread char buf[1 << 16];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0) atomic_fetch_add(&sink_bytes, (unsigned long long)n);
  close(fd);
  return NULL;
}

static void *sink_accept(void *arg) {
  int lfd = (int)(intptr_t)arg;
  for (;;) {
    int fd = accept(lfd, NULL, NULL);
    if (fd < 0) return NULL;
    pthread_t th;
    pthread_create(&th, NULL, sink_conn, (void *)(intptr_t)fd);
    pthread_detach(th);
  }
}

static int start_sink(void) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET};
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof a;
  if (bind(fd, (struct sockaddr *)&a, sizeof a) || listen(fd, 16) || getsockname(fd, (struct sockaddr *)&a, &len))
    return -1;
  pthread_t th;
  pthread_create(&th, NULL, sink_accept, (void *)(intptr_t)fd);
  pthread_detach(th);
  return ntohs(a.sin_port);
}

static inline int64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

static int cmp64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

static volatile size_t sink_len; /* keeps the baseline's formatting alive */

/* One timed pass: each iteration formats a label and, if trace, emits it. */
static void pass(int64_t *t, size_t n, int trace) {
  char label[64];
  for (size_t i = 0; i < n; i++) {
    int64_t t0 = now_ns();
    int len = snprintf(label, sizeof label, "request %zu handled in %d us", i, (int)(i % 977));
    if (trace) xt_log("bench", label, (size_t)len, NULL);
    else sink_len += (size_t)len;
    t[i] = now_ns() - t0;
  }
  qsort(t, n, sizeof *t, cmp64);
}

/* The two events a recorded probe call makes (see preload/probes), with
 * their labels, fields and tags: the cost a probe is allowed beyond its
 * events is measured against these, not against plain log lines. */
static void pass_probe_pair(int64_t *t, size_t n, int trace) {
  char entry[64], ret[64], dur[24], retv[24];
  const char *tags[] = {"probe"};
  for (size_t i = 0; i < n; i++) {
    int64_t t0 = now_ns();
    int el = snprintf(entry, sizeof entry, "\xe2\x86\x92 bench_fn(%zu, %zu)", i, i + 1);
    snprintf(retv, sizeof retv, "%zu", 2 * i + 1);
    snprintf(dur, sizeof dur, "%d", (int)(i % 977));
    int rl = snprintf(ret, sizeof ret, "\xe2\x86\x90 bench_fn = %s (0 \xc2\xb5s)", retv);
    if (trace) {
      xt_kv ekv[1] = {{"probe", "bench_fn"}};
      xt_event_info e = {.agent = "probe", .label = entry, .label_len = (size_t)el, .source = "probe",
                         .kv = ekv, .nkv = 1, .tags = tags, .ntags = 1};
      xt_event(&e);
      xt_kv rkv[3] = {{"probe", "bench_fn"}, {"duration_ns", dur}, {"return", retv}};
      xt_event_info r = {.agent = "probe", .label = ret, .label_len = (size_t)rl, .source = "probe",
                         .kv = rkv, .nkv = 3, .tags = tags, .ntags = 1};
      xt_event(&r);
    } else {
      sink_len += (size_t)(el + rl);
    }
    t[i] = now_ns() - t0;
  }
  qsort(t, n, sizeof *t, cmp64);
}

typedef void (*pass_fn)(int64_t *t, size_t n, int trace);

/* Interleaved rounds of fn without and with events; p50 and p99 of each,
 * averaged over the rounds. */
static void measure(pass_fn fn, int64_t *base, int64_t *traced, size_t n, double out[4]) {
  /* Steady state: one untimed lap through the ring first, so that the
   * timed rounds do not pay the kernel's first touch of its pages. */
  for (int w = 0; w < 3; w++) {
    fn(traced, n, 1);
    xt_flush(10000);
  }
  int64_t b50 = 0, b99 = 0, t50 = 0, t99 = 0;
  const int rounds = 5;
  for (int r = 0; r < rounds; r++) {
    fn(base, n, 0);
    fn(traced, n, 1);
    b50 += base[n / 2];
    b99 += base[n * 99 / 100];
    t50 += traced[n / 2];
    t99 += traced[n * 99 / 100];
    xt_flush(10000);
  }
  out[0] = (double)b50 / rounds;
  out[1] = (double)b99 / rounds;
  out[2] = (double)t50 / rounds;
  out[3] = (double)t99 / rounds;
}

static int latency(size_t n) {
  int64_t *base = malloc(n * sizeof *base), *traced = malloc(n * sizeof *traced);
  xt_task_start();
  double m[4], p[4];
  /* Interleave rounds so both loops see the same machine state. */
  measure(pass, base, traced, n, m);
  /* Half as many calls: the same number of events, so the ring holds a
   * round as it holds the plain one (a dropped event costs less). */
  measure(pass_probe_pair, base, traced, n / 2, p);
  xt_stats st;
  xt_get_stats(&st);
  printf("latency: %zu events x 5 rounds, %llu dropped, %llu sent\n", n, (unsigned long long)st.dropped,
         (unsigned long long)st.sent);
  printf("  baseline (format only)  p50 %6.1f ns  p99 %6.1f ns\n", m[0], m[1]);
  printf("  format + xt_log         p50 %6.1f ns  p99 %6.1f ns\n", m[2], m[3]);
  printf("  added per event         p50 %6.1f ns  p99 %6.1f ns  (ratio p50 %.2f)\n", m[2] - m[0], m[3] - m[1],
         m[2] / m[0]);
  printf("  added per probe pair    p50 %6.1f ns  p99 %6.1f ns  (the entry and return events of a recorded probe call)\n",
         p[2] - p[0], p[3] - p[1]);
  free(base);
  free(traced);
  return 0;
}

#define THREADS 8
static size_t per_thread;

static void *emit_loop(void *arg) {
  int trace = (int)(intptr_t)arg;
  char label[64];
  xt_task_start();
  for (size_t i = 0; i < per_thread; i++) {
    int len = snprintf(label, sizeof label, "request %zu handled in %d us", i, (int)(i % 977));
    if (trace) xt_log("bench", label, (size_t)len, NULL);
    else sink_len += (size_t)len;
  }
  return NULL;
}

static double run_threads(int trace) {
  pthread_t th[THREADS];
  int64_t t0 = now_ns();
  for (int i = 0; i < THREADS; i++) pthread_create(&th[i], NULL, emit_loop, (void *)(intptr_t)trace);
  for (int i = 0; i < THREADS; i++) pthread_join(th[i], NULL);
  return (double)(THREADS * per_thread) / ((double)(now_ns() - t0) / 1e9);
}

static int throughput(size_t n) {
  per_thread = n;
  double base = run_threads(0);
  double traced = run_threads(1);
  xt_stats st;
  xt_get_stats(&st);
  printf("throughput: %d threads x %zu events\n", THREADS, n);
  printf("  baseline (format only)  %12.0f events/s\n", base);
  printf("  format + xt_log         %12.0f events/s  (ratio %.2f)\n", traced, traced / base);
  printf("  recorded %llu, dropped %llu (the sink could not keep up), sent %llu\n",
         (unsigned long long)(THREADS * n - st.dropped), (unsigned long long)st.dropped,
         (unsigned long long)st.sent);
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s latency|throughput N\n", argv[0]);
    return 2;
  }
  int port = start_sink();
  if (port < 0) return 1;
  char server[64];
  snprintf(server, sizeof server, "127.0.0.1:%d", port);
  xt_config cfg = {.server = server};
  if (xt_init(&cfg) != 0) return 1;
  size_t n = strtoul(argv[2], NULL, 10);
  int rc = strcmp(argv[1], "latency") == 0 ? latency(n) : throughput(n);
  xt_shutdown();
  return rc;
}
