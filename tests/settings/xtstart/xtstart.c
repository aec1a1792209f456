/* A library that starts threads of its own, as gRPC does: the start routine
 * lives here, so XTRACE_EXCLUDE_LIBS can name this library. */
#include <pthread.h>
#include <stdio.h>

static void *library_work(void *arg) {
  fprintf(stderr, "library thread\n");
  return arg;
}

int xtstart_thread(pthread_t *t) { return pthread_create(t, NULL, library_work, NULL); }
