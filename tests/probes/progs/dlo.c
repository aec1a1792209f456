/* Starts, logs, then dlopens the plugin named in argv[1] and calls it. */
#include <dlfcn.h>
#include <stdio.h>

int main(int argc, char **argv) {
  if (argc < 2)
    return 2;
  fprintf(stderr, "before dlopen\n");
  void *h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    fprintf(stderr, "dlopen: %s\n", dlerror());
    return 1;
  }
  int (*run)(int) = (int (*)(int))dlsym(h, "plug_run");
  if (!run)
    return 1;
  int r = run(7);
  fprintf(stderr, "plug_run = %d\n", r);
  return r == 15 ? 0 : 1;
}
