/* Exercises every hooked output path, so the test can compare the bytes with
 * and without the preload. Ends with a partial line on each stream. */
#include <err.h>
#include <errno.h>
#include <error.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

int main(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  printf("printf %d %s\n", 1, "one");
  fprintf(stderr, "fprintf %05.1f|%-4s|\n", 3.14159, "ab");
  puts("puts line");
  fputs("fputs ", stdout);
  fputs("joined\n", stdout);
  fputc('c', stderr);
  putc('d', stderr);
  putchar('e');
  putchar('\n');
  fputc('\n', stderr);
  fwrite("fwrite two\nlines\n", 1, 17, stderr);
  dprintf(1, "dprintf %x\n", 255);
  write(2, "write\n", 6);
  struct iovec iov[2] = {{"writev ", 7}, {"parts\n", 6}};
  writev(1, iov, 2);
  errno = ENOENT;
  perror("perror");
  errno = EACCES;
  warn("warn %d", 7);
  warnx("warnx %s", "x");
  error(0, EINVAL, "error %s", "msg");
  errno = EPERM;
  printf("percent-m %m\n");
  char big[6000];
  memset(big, 'x', sizeof big - 1);
  big[sizeof big - 1] = '\0';
  fprintf(stderr, "%s\n", big);
  printf("%s|%s\n", big, "tail");
  printf("multi\nline\nprintf\n");
  fflush(stdout);
  fputs("partial out", stdout);
  fputs("partial err", stderr);
  return 0;
}
