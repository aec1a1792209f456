/* main starts three threads that each log one line, joins them, logs. */
#include <pthread.h>
#include <stdio.h>

static void *work(void *arg) {
  fprintf(stderr, "thread %d working\n", (int)(long)arg);
  return NULL;
}

int main(void) {
  pthread_t t[3];
  for (long i = 0; i < 3; i++)
    pthread_create(&t[i], NULL, work, (void *)i);
  for (int i = 0; i < 3; i++)
    pthread_join(t[i], NULL);
  fprintf(stderr, "all joined\n");
  return 0;
}
