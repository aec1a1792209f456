/* Children reaped by every wait form, one killed, one started with
 * posix_spawn and one with system(): each "after ..." line follows the
 * wait that reaped the child. With "spawned" it is the spawned image, with
 * "bare" an image exec'd with an empty environment, untraced. */
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "bare") == 0)
    return 6;
  if (argc > 1 && strcmp(argv[1], "spawned") == 0) {
    fprintf(stderr, "spawned child\n");
    return 3;
  }
  for (int k = 1; k <= 5; k++) {
    pid_t pid = fork();
    if (pid == 0) {
      fprintf(stderr, "child %d\n", k);
      exit(k);
    }
    int st = 0;
    siginfo_t si;
    switch (k) {
    case 1:
      wait(&st);
      break;
    case 2:
      waitpid(pid, &st, 0);
      break;
    case 3:
      wait3(&st, 0, NULL);
      break;
    case 4:
      wait4(pid, &st, 0, NULL);
      break;
    case 5:
      memset(&si, 0, sizeof si);
      waitid(P_PID, (id_t)pid, &si, WEXITED);
      st = si.si_status << 8;
      break;
    }
    fprintf(stderr, "after wait %d status %d\n", k, WEXITSTATUS(st));
  }
  pid_t pid = fork();
  if (pid == 0) {
    pause();
    _exit(0);
  }
  kill(pid, SIGKILL);
  int st;
  waitpid(pid, &st, 0);
  fprintf(stderr, "after kill %d\n", WTERMSIG(st));
  char *args[] = {argv[0], "spawned", NULL};
  if (posix_spawn(&pid, argv[0], NULL, NULL, args, environ) != 0)
    return 1;
  waitpid(pid, &st, 0);
  fprintf(stderr, "after spawn %d\n", WEXITSTATUS(st));
  st = system("exit 4");
  fprintf(stderr, "after system %d\n", WEXITSTATUS(st));
  pid = fork();
  if (pid == 0) {
    char *bare[] = {argv[0], "bare", NULL};
    execve(argv[0], bare, NULL);
    _exit(127);
  }
  waitpid(pid, &st, 0);
  fprintf(stderr, "after untraced exec %d\n", WEXITSTATUS(st));
  return 0;
}
