/* A library function to probe: plug_helper logs a line inside the call (so
 * the line must descend from the probe's entry event); plug_mul is quiet,
 * for the threads test. */
#include <stdio.h>

int plug_helper(int x) {
  fprintf(stderr, "helper %d\n", x);
  return 2 * x;
}

long plug_mul(long a, long b) { return a * b; }
