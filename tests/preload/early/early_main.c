/* Linked with libearly, whose constructor logs before main. */
#include <stdio.h>

int main(void) {
  fprintf(stderr, "main line\n");
  return 0;
}
