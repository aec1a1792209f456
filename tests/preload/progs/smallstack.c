/* Threads on the smallest stacks a program may ask for: one with
 * PTHREAD_STACK_MIN that only runs, one with 64 KiB that logs a line.
 * glibc takes a thread's static TLS out of its stack, so a library that
 * adds much of it makes pthread_create fail here with EINVAL. */
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

static void *quiet(void *arg) { return arg; }

static void *logs(void *arg) {
  fprintf(stderr, "small stack thread logging\n");
  return arg;
}

static int run(size_t stack, void *(*fn)(void *)) {
  pthread_attr_t attr;
  pthread_attr_init(&attr);
  int rc = pthread_attr_setstacksize(&attr, stack);
  pthread_t t;
  if (rc == 0)
    rc = pthread_create(&t, &attr, fn, NULL);
  pthread_attr_destroy(&attr);
  if (rc == 0)
    rc = pthread_join(t, NULL);
  return rc;
}

int main(void) {
  fprintf(stderr, "starting\n");
  int min = run(PTHREAD_STACK_MIN, quiet);
  int small = run(64 << 10, logs);
  fprintf(stderr, "all joined\n");
  /* After the last log line, so the graph is the same whether stdout is
   * traced or not. */
  printf("stack %zu: %s\n", (size_t)PTHREAD_STACK_MIN, min ? strerror(min) : "ok");
  printf("stack %d: %s\n", 64 << 10, small ? strerror(small) : "ok");
  return min || small ? 1 : 0;
}
