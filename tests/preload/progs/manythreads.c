/* 10,000 threads in batches, joined or detached, some named and some
 * leaving through pthread_exit: every record the preload keeps must be freed. */
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>

static void *work(void *arg) {
  long i = (long)arg;
  if (i % 97 == 0)
    fprintf(stderr, "thread %ld\n", i);
  if (i % 5 == 0)
    pthread_exit(NULL);
  return NULL;
}

int main(void) {
  enum { TOTAL = 10000, BATCH = 50 };
  for (long base = 0; base < TOTAL; base += BATCH) {
    pthread_t t[BATCH];
    for (long i = 0; i < BATCH; i++) {
      pthread_create(&t[i], NULL, work, (void *)(base + i));
      if (i % 10 == 3)
        pthread_setname_np(t[i], "named");
    }
    for (long i = 0; i < BATCH; i++) {
      if (i % 7 == 0)
        pthread_detach(t[i]);
      else
        pthread_join(t[i], NULL);
    }
  }
  usleep(200000); /* let the detached ones finish */
  fprintf(stderr, "created %d\n", TOTAL);
  return 0;
}
