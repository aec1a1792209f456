/*
 * The gRPC benchmark's load generator: arith's client calls, in bursts on
 * command, so that the benchmark can interleave short bursts of every mode
 * and the machine's drift (its speed moves by a factor of three within
 * minutes) falls on all modes alike.
 *
 *   driver HOST:PORT
 *
 * Each line "N" on stdin makes N calls in a row on one channel, exactly as
 * `arith --in 1 --next-server ADDR --count N` makes each of its calls (the
 * same line on stderr, arith_call, the same line on stdout), and answers on
 * descriptor 3 with "burst N BUSY_US P50_US". The line "end", or the end of
 * input, makes it answer "total CALLS BUSY_US P50_US P99_US" over all bursts
 * and exit; it exits 1 if any call failed. The answers have a descriptor of
 * their own because stdout is one of the traced program's log streams.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <grpc/support/time.h>

#include "arith.h"

typedef struct samples {
  int64_t *us;
  size_t n, cap;
} samples;

static int64_t now_us(void) {
  gpr_timespec t = gpr_now(GPR_CLOCK_MONOTONIC);
  return t.tv_sec * 1000000 + t.tv_nsec / 1000;
}

static int cmp_i64(const void *a, const void *b) {
  int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
  return (x > y) - (x < y);
}

/* The p-th percentile of v[0..n), n > 0; sorts v. */
static int64_t percentile(int64_t *v, size_t n, unsigned p) {
  qsort(v, n, sizeof *v, cmp_i64);
  size_t k = n * p / 100;
  return v[k < n ? k : n - 1];
}

static int reserve(samples *s, size_t more) {
  if (s->n + more <= s->cap)
    return 0;
  size_t cap = s->cap ? s->cap : 4096;
  while (cap < s->n + more)
    cap *= 2;
  int64_t *us = realloc(s->us, cap * sizeof *us);
  if (!us)
    return -1;
  s->us = us;
  s->cap = cap;
  return 0;
}

/* One burst of n calls; their latencies are appended to all, the time they
 * took added to busy_us. */
static int burst(FILE *answers, struct arith_peer *peer, grpc_completion_queue *cq,
                 const char *target, size_t n, samples *all, int64_t *busy_us) {
  if (reserve(all, n) < 0)
    return -1;
  int64_t *lat = all->us + all->n, start = now_us();
  for (size_t i = 0; i < n; i++) {
    struct arith_result r;
    int64_t t0 = now_us();
    fprintf(stderr, "passing --in (1) to %s\n", target);
    arith_call(peer, cq, NULL, 10000, 1, &r);
    lat[i] = now_us() - t0;
    int failed = r.status != GRPC_STATUS_OK;
    if (failed)
      fprintf(stderr, "driver: call failed: %s: %s\n", arith_status_name(r.status),
              r.details ? r.details : "");
    else
      printf("Got value %" PRId64 " for --in 1\n", r.value);
    arith_result_free(&r);
    if (failed)
      return -1;
  }
  int64_t busy = now_us() - start;
  *busy_us += busy;
  all->n += n;
  /* The burst's own p50 sorts its samples in place; the pooled percentiles
   * at the end sort everything anyway. */
  fprintf(answers, "burst %zu %" PRId64 " %" PRId64 "\n", n, busy, percentile(lat, n, 50));
  fflush(answers);
  return 0;
}

static int run(FILE *answers, const char *target) {
  struct arith_peer peer;
  if (arith_peer_open(&peer, target) < 0)
    return 1;
  grpc_completion_queue *cq = grpc_completion_queue_create_for_pluck(NULL);
  samples all = {0};
  int64_t busy = 0;
  int rc = 0;
  char line[64];
  while (fgets(line, sizeof line, stdin) && strcmp(line, "end\n") != 0) {
    char *end;
    unsigned long n = strtoul(line, &end, 10);
    if (n == 0 || n > 1000000 || (*end != '\n' && *end != '\0')) {
      fprintf(stderr, "driver: expected a number of calls, got: %s", line);
      rc = 1;
      break;
    }
    if (burst(answers, &peer, cq, target, n, &all, &busy) < 0) {
      rc = 1;
      break;
    }
  }
  if (all.n)
    fprintf(answers, "total %zu %" PRId64 " %" PRId64 " %" PRId64 "\n", all.n, busy,
           percentile(all.us, all.n, 50), percentile(all.us, all.n, 99));
  free(all.us);
  grpc_completion_queue_shutdown(cq);
  grpc_completion_queue_pluck(cq, NULL, gpr_inf_future(GPR_CLOCK_REALTIME), NULL);
  grpc_completion_queue_destroy(cq);
  arith_peer_close(&peer);
  return rc;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: driver HOST:PORT 3>ANSWERS  (one number of calls per line on stdin)\n");
    return 2;
  }
  FILE *answers = fdopen(3, "w");
  if (!answers) {
    fprintf(stderr, "driver: descriptor 3 is not open for the answers\n");
    return 2;
  }
  grpc_init();
  int rc = run(answers, argv[1]);
  fclose(answers);
  fflush(stdout);
  grpc_shutdown_blocking();
  return rc;
}
