/* 10,000 threads in batches, joined or detached, some named and some
 * leaving through pthread_exit: every record the preload keeps must be freed. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

enum { TOTAL = 10000, BATCH = 50 };

/* The kernel thread IDs of the detached threads, set as each starts. */
static _Atomic pid_t detached_tid[TOTAL];

static int is_detached(long i) { return i % BATCH % 7 == 0; }

static void *work(void *arg) {
  long i = (long)arg;
  if (is_detached(i))
    atomic_store(&detached_tid[i], gettid());
  if (i % 97 == 0)
    fprintf(stderr, "thread %ld\n", i);
  if (i % 5 == 0)
    pthread_exit(NULL);
  return NULL;
}

/* A detached thread is done, its exit path and all, once the kernel has no
 * such task in this process. */
static void wait_detached_gone(void) {
  char path[64];
  struct stat st;
  for (long i = 0; i < TOTAL; i++) {
    if (!is_detached(i))
      continue;
    pid_t tid;
    while (!(tid = atomic_load(&detached_tid[i])))
      usleep(1000);
    snprintf(path, sizeof path, "/proc/self/task/%d", (int)tid);
    while (stat(path, &st) == 0)
      usleep(1000);
  }
}

int main(void) {
  for (long base = 0; base < TOTAL; base += BATCH) {
    pthread_t t[BATCH];
    for (long i = 0; i < BATCH; i++) {
      pthread_create(&t[i], NULL, work, (void *)(base + i));
      if (i % 10 == 3)
        pthread_setname_np(t[i], "named");
    }
    for (long i = 0; i < BATCH; i++) {
      if (is_detached(base + i))
        pthread_detach(t[i]);
      else
        pthread_join(t[i], NULL);
    }
  }
  wait_detached_gone();
  fprintf(stderr, "created %d\n", TOTAL);
  return 0;
}
