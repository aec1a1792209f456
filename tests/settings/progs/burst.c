/* burst: logs a burst of lines as fast as it can, then tells the test on
 * fd 3 (not a log stream: the write is not an event) and goes on as asked.
 *
 *   burst N BYTES wait   N lines of about BYTES each on stderr, "ready" on
 *                        fd 3, then waits for a byte (or EOF) on stdin, logs
 *                        "resumed" and exits 0
 *   burst N BYTES exit   the burst, "ready" on fd 3, exit 0
 *   burst N BYTES exec   the burst, "ready" on fd 3, then execs
 *                        "burst 0 0 child"
 *   burst 0 0 child      writes "exec'd child" on stdout and on fd 3, exits 0
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void tell(const char *what) {
  if (write(3, what, strlen(what)) < 0) perror("burst: fd 3");
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: burst N BYTES wait|exit|exec|child\n");
    return 2;
  }
  const char *mode = argv[3];
  if (strcmp(mode, "child") == 0) {
    printf("exec'd child\n");
    fflush(stdout);
    tell("exec'd child\n");
    return 0;
  }
  long n = atol(argv[1]);
  int bytes = atoi(argv[2]);
  char *fill = malloc((size_t)bytes + 1);
  memset(fill, 'x', (size_t)bytes);
  fill[bytes] = '\0';
  for (long i = 0; i < n; i++) fprintf(stderr, "burst %ld %s\n", i, fill);
  tell("ready\n");
  if (strcmp(mode, "wait") == 0) {
    char c;
    if (read(0, &c, 1) < 0) perror("burst: stdin");
    fprintf(stderr, "resumed\n");
  } else if (strcmp(mode, "exec") == 0) {
    execl(argv[0], argv[0], "0", "0", "child", (char *)NULL);
    perror("burst: exec");
    return 1;
  }
  return 0;
}
