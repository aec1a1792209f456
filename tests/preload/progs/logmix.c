/* Log output in the shapes the logging tests need, one shape per mode:
 *   streams        one line on each of stdout, stderr, syslog (and fds 1, 2)
 *   flood N M      N lines on stderr, M syslog messages
 *   inlined        lines ended by putc_unlocked/putchar_unlocked (macros at -O2)
 *   crlf           CRLF and empty lines
 *   errlong        error()/error_at_line() at and around the line buffer's size
 *   prompt FILE    a prompt on fd 1, then fd 1 closed and reopened onto FILE
 *   prompt-exit    a prompt on stdout, then _exit
 *   threads        lines built in two calls by many threads at once and in turn
 */
#include <error.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

static void streams(void) {
  setvbuf(stdout, NULL, _IOLBF, 0);
  puts("out line");
  fputs("err line\n", stderr);
  syslog(LOG_ERR, "syslog line");
  write(1, "fd out\n", 7);
  write(2, "fd err\n", 7);
}

static void flood(int n, int m) {
  for (int i = 0; i < n; i++)
    fprintf(stderr, "flood %d\n", i);
  for (int i = 0; i < m; i++)
    syslog(LOG_INFO, "slog %d", i);
}

static void inlined(void) {
  fputs_unlocked("alpha", stdout);
  putc_unlocked('\n', stdout);
  fputs_unlocked("beta", stdout);
  putchar_unlocked('\n');
  fputs_unlocked("gamma", stdout);
  putc_unlocked('\n', stdout);
  /* Lines written by the macros alone, enough to fill the buffer several
   * times (__overflow), then a last line that only exit flushes. */
  char line[32];
  for (int i = 0; i < 600; i++) {
    int n = snprintf(line, sizeof line, "macro %d", i);
    for (int k = 0; k < n; k++)
      putc_unlocked(line[k], stdout);
    putc_unlocked('\n', stdout);
  }
  fputs_unlocked("last", stdout);
  putchar_unlocked('\n');
}

static void crlf(void) {
  printf("crlf line\r\n");
  printf("\n");
  printf("\r\n");
  printf("plain\n");
  fflush(stdout);
  write(2, "w crlf\r\n", 8);
  write(2, "\n\n", 2);
  write(2, "\r\n", 2);
  write(2, "w plain\n", 8);
}

static char *text(size_t n, char c) {
  char *s = malloc(n + 1);
  memset(s, c, n);
  s[n] = '\0';
  return s;
}

static void errlong(void) {
  /* The line buffer holds 4096 bytes; the prefix "logmix: " is 8 of them
   * (more with the full program path error() prints). */
  static const size_t lens[] = {1, 4000, 4080, 4086, 4087, 4088, 4095, 4096, 4097, 8191, 100000};
  for (size_t i = 0; i < sizeof lens / sizeof lens[0]; i++) {
    char *s = text(lens[i], (char)('a' + i % 26));
    error(0, 0, "%s", s);
    error(0, EINVAL, "%s", s);
    error_at_line(0, ENOENT, "file.c", (unsigned)i + 1, "%s", s);
    free(s);
  }
  /* A held partial line leaves exactly one byte, then none, then some. */
  for (size_t held = 4093; held <= 4097; held++) {
    char *s = text(held, 'p');
    fputs(s, stderr);
    error(0, 0, "after %zu held", held);
    free(s);
  }
  char *file = text(5000, 'f');
  error_at_line(0, 0, file, 7, "long file name");
  free(file);
}

static void prompt(const char *path) {
  write(1, "prompt> ", 8);
  close(1);
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0600);
  if (fd != 1)
    _exit(3);
  write(1, "file content\n", 13);
  _exit(0);
}

static void prompt_exit(void) {
  printf("bye? ");
  fflush(stdout);
  _exit(0);
}

static void *two_calls(void *arg) {
  long i = (long)arg;
  /* The stream's lock keeps the two calls together in the output, as a
   * program that means to write one line would; each call still reaches the
   * hooks on its own. */
  flockfile(stderr);
  fprintf(stderr, "t%ld part", i);
  fprintf(stderr, " end\n");
  funlockfile(stderr);
  return NULL;
}

static void threads(void) {
  pthread_t t[100];
  for (long i = 0; i < 100; i++)
    pthread_create(&t[i], NULL, two_calls, (void *)i);
  for (int i = 0; i < 100; i++)
    pthread_join(t[i], NULL);
  for (long i = 100; i < 300; i++) {
    pthread_t one;
    pthread_create(&one, NULL, two_calls, (void *)i);
    pthread_join(one, NULL);
  }
}

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "";
  if (strcmp(mode, "streams") == 0)
    streams();
  else if (strcmp(mode, "flood") == 0 && argc > 3)
    flood(atoi(argv[2]), atoi(argv[3]));
  else if (strcmp(mode, "inlined") == 0)
    inlined();
  else if (strcmp(mode, "crlf") == 0)
    crlf();
  else if (strcmp(mode, "errlong") == 0)
    errlong();
  else if (strcmp(mode, "prompt") == 0 && argc > 2)
    prompt(argv[2]);
  else if (strcmp(mode, "prompt-exit") == 0)
    prompt_exit();
  else if (strcmp(mode, "threads") == 0)
    threads();
  else
    return 2;
  return 0;
}
