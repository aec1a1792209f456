/* Linked without PIE and taking the address of a library function: the
 * program's PLT entry becomes that function's address for every object. */
#include <stdio.h>

long plug_mul(long a, long b);

long (*volatile mul)(long, long);

int main(void) {
  mul = plug_mul; /* an absolute address in the code: a canonical PLT entry */
  long r = mul(6, 7) + plug_mul(1, 1);
  fprintf(stderr, "nopie %ld\n", r);
  return r != 43;
}
