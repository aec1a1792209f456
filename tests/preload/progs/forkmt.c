/* Threads keep logging (and so keep the client busy) while main forks
 * repeatedly; every child logs and exits. Must not deadlock. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile int stop;

static void *chatter(void *arg) {
  for (long i = 0; !stop; i++) {
    fprintf(stderr, "chatter %ld %ld\n", (long)arg, i);
    if (i % 16 == 0)
      usleep(100);
  }
  return NULL;
}

int main(void) {
  pthread_t t[4];
  for (long i = 0; i < 4; i++)
    pthread_create(&t[i], NULL, chatter, (void *)i);
  for (int k = 0; k < 20; k++) {
    pid_t pid = fork();
    if (pid == 0) {
      pthread_t c;
      pthread_create(&c, NULL, chatter, (void *)99L);
      stop = 1;
      pthread_join(c, NULL);
      fprintf(stderr, "child %d done\n", k);
      exit(0);
    }
    int st;
    waitpid(pid, &st, 0);
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
      return 1;
  }
  stop = 1;
  for (int i = 0; i < 4; i++)
    pthread_join(t[i], NULL);
  fprintf(stderr, "forks done\n");
  return 0;
}
