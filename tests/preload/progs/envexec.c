/* Execs itself with "show" (which prints its environment, one entry a line)
 * in the environment the mode names: null (execve with NULL), empty (an
 * empty vector), given ({"A=1"}), environ (execv). */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

extern char **environ;

int main(int argc, char **argv) {
  if (argc < 2)
    return 2;
  if (strcmp(argv[1], "show") == 0) {
    for (char **e = environ; e && *e; e++)
      printf("%s\n", *e);
    return 0;
  }
  char *args[] = {argv[0], "show", NULL};
  char *empty[] = {NULL};
  char *given[] = {"A=1", NULL};
  if (strcmp(argv[1], "null") == 0)
    execve(argv[0], args, NULL);
  else if (strcmp(argv[1], "empty") == 0)
    execve(argv[0], args, empty);
  else if (strcmp(argv[1], "given") == 0)
    execve(argv[0], args, given);
  else if (strcmp(argv[1], "environ") == 0)
    execv(argv[0], args);
  perror("exec");
  return 127;
}
