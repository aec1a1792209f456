/* Workloads for the preload benchmark, timed from inside so that process
 * start-up (and the preload's own) is not counted. Not linked with the
 * project: it stands for an unmodified program.
 *   bench_preload fprintf N   N fprintf(stderr) lines
 *   bench_preload threads N   N pthread_create+pthread_join
 * Prints two figures per operation: wall-clock ns, and ns of CPU time used by
 * the calling thread (what the program itself pays, without the time other
 * threads, such as the reporter, take from it on a busy machine). */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double clock_of(clockid_t c) {
  struct timespec ts;
  clock_gettime(c, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static void *nothing(void *arg) { return arg; }

int main(int argc, char **argv) {
  if (argc != 3)
    return 2;
  long n = atol(argv[2]);
  double t0 = clock_of(CLOCK_MONOTONIC), c0 = clock_of(CLOCK_THREAD_CPUTIME_ID);
  if (strcmp(argv[1], "fprintf") == 0) {
    for (long i = 0; i < n; i++)
      fprintf(stderr, "request %ld handled in %d us by %s\n", i, (int)(i % 977), "worker-3");
  } else if (strcmp(argv[1], "threads") == 0) {
    for (long i = 0; i < n; i++) {
      pthread_t t;
      if (pthread_create(&t, NULL, nothing, NULL) != 0)
        return 1;
      pthread_join(t, NULL);
    }
  } else {
    return 2;
  }
  double c1 = clock_of(CLOCK_THREAD_CPUTIME_ID), t1 = clock_of(CLOCK_MONOTONIC);
  printf("%.1f %.1f\n", (t1 - t0) / (double)n, (c1 - c0) / (double)n);
  return 0;
}
