/* system(), popen() and posix_spawnp() children must join the task, and the
 * program's own environment must stay as it was. */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

extern char **environ;

int main(void) {
  const char *before = getenv("XTRACE_BAGGAGE");
  char *saved = before ? strdup(before) : NULL;
  int st = system("echo from-system >&2; exit 4");
  if (!WIFEXITED(st) || WEXITSTATUS(st) != 4)
    return 10;
  FILE *p = popen("echo from-popen", "r");
  char line[64] = "";
  if (!p || !fgets(line, sizeof line, p))
    return 11;
  if (pclose(p) != 0)
    return 12;
  fprintf(stderr, "popen said %s", line);
  char *argv[] = {"sh", "-c", "echo from-spawn >&2; exit 5", NULL};
  pid_t pid;
  if (posix_spawnp(&pid, "sh", NULL, NULL, argv, environ) != 0)
    return 13;
  if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 5)
    return 15;
  const char *after = getenv("XTRACE_BAGGAGE");
  if ((saved == NULL) != (after == NULL) || (saved && strcmp(saved, after) != 0))
    return 14;
  free(saved);
  return 0;
}
