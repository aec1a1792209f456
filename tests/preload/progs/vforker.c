/* vfork + execve, then the parent keeps logging, starts a thread and forks a
 * child: the preload must still record all of it, with the right parents.
 * With "child" it is the exec'd image and logs one line. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static void *thread_main(void *arg) {
  (void)arg;
  fprintf(stderr, "thread after vfork\n");
  return NULL;
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "child") == 0) {
    fprintf(stderr, "vfork child ran\n");
    return 0;
  }
  fprintf(stderr, "before vfork\n");
  char *args[] = {argv[0], "child", NULL};
  pid_t pid = vfork();
  if (pid == 0) {
    execve(argv[0], args, environ);
    _exit(127);
  }
  int st;
  waitpid(pid, &st, 0);
  fprintf(stderr, "after vfork %d\n", WEXITSTATUS(st));
  pthread_t t;
  pthread_create(&t, NULL, thread_main, NULL);
  pthread_join(t, NULL);
  pid = fork();
  if (pid == 0) {
    fprintf(stderr, "forked after vfork\n");
    _exit(0);
  }
  waitpid(pid, &st, 0);
  fprintf(stderr, "done\n");
  return 0;
}
