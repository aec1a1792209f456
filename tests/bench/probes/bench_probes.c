/* Calls bench_fn (libbenchfn.so, through the PLT) N times in a tight loop
 * and prints "wall_ns cpu_ns" per call, timed inside the program so that
 * start-up and exit are not in the figure. A plain program: nothing of the
 * project is linked in. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

long bench_fn(long a, long b);

static double now(clockid_t c) {
  struct timespec ts;
  clock_gettime(c, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

int main(int argc, char **argv) {
  long n = argc > 1 ? atol(argv[1]) : 1000000, acc = 0;
  double w = now(CLOCK_MONOTONIC), c = now(CLOCK_THREAD_CPUTIME_ID);
  for (long i = 0; i < n; i++)
    acc += bench_fn(i & 1023, 7);
  double cw = now(CLOCK_MONOTONIC) - w, cc = now(CLOCK_THREAD_CPUTIME_ID) - c;
  printf("%.2f %.2f\n", cw / n, cc / n);
  return acc == 42; /* uses the results, so the calls stay */
}
