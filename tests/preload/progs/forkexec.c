/* Forks; the child execs this program with "child", which logs. */
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "child") == 0) {
    fprintf(stderr, "hello from the exec'd child\n");
    return 0;
  }
  fprintf(stderr, "parent before fork\n");
  pid_t pid = fork();
  if (pid == 0) {
    execl(argv[0], argv[0], "child", (char *)NULL);
    _exit(127);
  }
  int st;
  waitpid(pid, &st, 0);
  fprintf(stderr, "parent after wait %d\n", WEXITSTATUS(st));
  return 0;
}
