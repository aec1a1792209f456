/* Prints whether the program's own GOT still holds the real addresses of a
 * library function and of dlopen (what dlsym finds). */
#include <dlfcn.h>
#include <stdio.h>

long plug_mul(long a, long b);

int main(void) {
  void *volatile mul = (void *)plug_mul, *volatile dlo = (void *)dlopen;
  printf("plug_mul %s\n", mul == dlsym(RTLD_DEFAULT, "plug_mul") ? "untouched" : "patched");
  printf("dlopen %s\n", dlo == dlsym(RTLD_DEFAULT, "dlopen") ? "untouched" : "patched");
  return 0;
}
