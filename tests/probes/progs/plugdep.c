/* A library function to probe: plug_helper logs a line inside the call (so
 * the line must descend from the probe's entry event); plug_mul is quiet,
 * for the threads test. */
#include <stdio.h>

int plug_helper(int x) {
  fprintf(stderr, "helper %d\n", x);
  return 2 * x;
}

long plug_mul(long a, long b) { return a * b; }

/* Mixed integer and floating arguments (all in registers) and eight
 * integers (two on the stack), for the probe's two ways of recording. */
double plug_mix(int a, double x, long b, float y, const char *s) {
  return a * x + (double)b * y + (s ? s[0] : 0);
}

long plug_many(long a, long b, long c, long d, long e, long f, long g, long h) {
  return a + 2 * b + 3 * c + 4 * d + 5 * e + 6 * f + 7 * g + 8 * h;
}

unsigned char plug_small(short s, unsigned short u) { return (unsigned char)(s + u); }
