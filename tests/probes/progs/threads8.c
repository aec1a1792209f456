/* 8 threads call a library function N times each (argv[1]); main joins
 * them and checks every result. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

long plug_mul(long a, long b);

static long n;

static void *worker(void *arg) {
  long id = (long)arg, bad = 0;
  for (long i = 0; i < n; i++)
    if (plug_mul(id, i) != id * i)
      bad++;
  return (void *)bad;
}

int main(int argc, char **argv) {
  n = argc > 1 ? atol(argv[1]) : 100;
  pthread_t t[8];
  for (long i = 0; i < 8; i++)
    if (pthread_create(&t[i], NULL, worker, (void *)(i + 1)) != 0)
      return 1;
  long bad = 0;
  for (int i = 0; i < 8; i++) {
    void *r;
    pthread_join(t[i], &r);
    bad += (long)r;
  }
  fprintf(stderr, "threads done, %ld wrong\n", bad);
  return bad != 0;
}
