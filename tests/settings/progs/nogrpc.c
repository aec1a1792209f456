/* nogrpc: a program without gRPC, run under the preload, must never have
 * libgrpc loaded. Exercises the hooks (log lines, a thread, a child) and
 * then lists the loaded objects; the preload itself must be among them, or
 * the check would prove nothing. Prints the objects and exits 1 on failure.
 */
#include <link.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int saw_preload, saw_grpc;

static int each(struct dl_phdr_info *info, size_t size, void *arg) {
  (void)size, (void)arg;
  const char *name = info->dlpi_name;
  const char *base = strrchr(name, '/');
  base = base ? base + 1 : name;
  if (strncmp(base, "libxtrace-preload", 17) == 0) saw_preload = 1;
  if (strncmp(base, "libgrpc", 7) == 0 || strncmp(base, "libgpr", 6) == 0) {
    saw_grpc = 1;
    fprintf(stderr, "loaded: %s\n", name);
  }
  return 0;
}

static void *work(void *arg) {
  fprintf(stderr, "nogrpc thread\n");
  return arg;
}

int main(void) {
  fprintf(stderr, "nogrpc start\n");
  pthread_t t;
  pthread_create(&t, NULL, work, NULL);
  pthread_join(t, NULL);
  int st = system("true");
  if (st != 0) fprintf(stderr, "system: %d\n", st);
  dl_iterate_phdr(each, NULL);
  /* /proc/self/maps too: an object mapped by something other than the
   * dynamic loader would not be in the loader's list. */
  FILE *m = fopen("/proc/self/maps", "r");
  char line[512];
  while (m && fgets(line, sizeof line, m))
    if (strstr(line, "/libgrpc") || strstr(line, "/libgpr")) {
      saw_grpc = 1;
      fprintf(stderr, "mapped: %s", line);
    }
  if (m) fclose(m);
  if (!saw_preload) {
    fprintf(stderr, "libxtrace-preload is not loaded: nothing was checked\n");
    return 1;
  }
  if (saw_grpc) return 1;
  fprintf(stderr, "nogrpc done\n");
  return 0;
}
