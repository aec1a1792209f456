/* Calls the library's functions of several signatures and checks that
 * each result is what the function computes. */
#include <stdio.h>

double plug_mix(int a, double x, long b, float y, const char *s);
long plug_many(long a, long b, long c, long d, long e, long f, long g, long h);
unsigned char plug_small(short s, unsigned short u);

int main(void) {
  double m = plug_mix(-3, 2.5, 4, 0.5f, "A\n\"q\"");
  long n = plug_many(1, 2, 3, 4, 5, 6, 7, 8);
  unsigned char c = plug_small(-1, 300);
  fprintf(stderr, "types %g %ld %u\n", m, n, c);
  return !(m == 59.5 && n == 204 && c == 43);
}
