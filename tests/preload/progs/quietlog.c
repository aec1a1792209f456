/* Logs a line to stderr every 50 ms, N times (default 40): a program whose
 * only activity is logging, for what the library does between its lines. */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(int argc, char **argv) {
  int n = argc > 1 ? atoi(argv[1]) : 40;
  struct timespec pause = {0, 50 * 1000000};
  for (int i = 0; i < n; i++) {
    fprintf(stderr, "line %d\n", i);
    nanosleep(&pause, NULL);
  }
  return 0;
}
