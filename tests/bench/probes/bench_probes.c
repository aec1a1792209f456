/* Calls bench_fn (libbenchfn.so, through the PLT) in a tight loop.
 *   bench_probes loop N   N calls, prints "wall_ns cpu_ns" per call
 *   bench_probes lat N    N calls each timed alone, prints "p50_ns p99_ns"
 *                         (less the cost of the clock reads), robust to the
 *                         page faults and preemptions that land on a few
 * Timed inside the program so that start-up and exit are not in the figure.
 * A plain program: nothing of the project is linked in. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

long bench_fn(long a, long b);

static double now(clockid_t c) {
  struct timespec ts;
  clock_gettime(c, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static int cmp(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  if (argc < 3)
    return 2;
  long n = atol(argv[2]), acc = 0;
  if (strcmp(argv[1], "loop") == 0) {
    double w = now(CLOCK_MONOTONIC), c = now(CLOCK_THREAD_CPUTIME_ID);
    for (long i = 0; i < n; i++)
      acc += bench_fn(i & 1023, 7);
    double cw = now(CLOCK_MONOTONIC) - w, cc = now(CLOCK_THREAD_CPUTIME_ID) - c;
    printf("%.2f %.2f\n", cw / n, cc / n);
    return acc == 42; /* uses the results, so the calls stay */
  }
  double *t = malloc((size_t)n * sizeof *t), *e = malloc((size_t)n * sizeof *e);
  if (!t || !e)
    return 1;
  for (long i = 0; i < n; i++) { /* the clock reads alone */
    double a = now(CLOCK_MONOTONIC);
    e[i] = now(CLOCK_MONOTONIC) - a;
  }
  for (long i = 0; i < n; i++) {
    double a = now(CLOCK_MONOTONIC);
    acc += bench_fn(i & 1023, 7);
    t[i] = now(CLOCK_MONOTONIC) - a;
  }
  qsort(t, (size_t)n, sizeof *t, cmp);
  qsort(e, (size_t)n, sizeof *e, cmp);
  printf("%.1f %.1f\n", t[n / 2] - e[n / 2], t[n * 99 / 100] - e[n / 2]);
  return acc == 42;
}
