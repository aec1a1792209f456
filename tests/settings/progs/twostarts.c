/* twostarts: one thread started from the program's own start routine, one
 * from a library's (libxtstart); each logs a line; main joins both, logs. */
#include <pthread.h>
#include <stdio.h>

int xtstart_thread(pthread_t *t);

static void *program_work(void *arg) {
  fprintf(stderr, "program thread\n");
  return arg;
}

int main(void) {
  pthread_t a, b;
  if (pthread_create(&a, NULL, program_work, NULL) != 0 || xtstart_thread(&b) != 0) return 1;
  pthread_join(a, NULL);
  pthread_join(b, NULL);
  fprintf(stderr, "both joined\n");
  return 0;
}
