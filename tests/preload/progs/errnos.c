/* Hooks must hand back the real result and errno. */
#include <errno.h>
#include <stdio.h>
#include <unistd.h>

#define CHECK(cond)                                              \
  do {                                                           \
    if (!(cond)) {                                               \
      fprintf(stderr, "check failed line %d\n", __LINE__);     \
      return 1;                                                  \
    }                                                            \
  } while (0)

int main(void) {
  errno = 0;
  CHECK(write(-1, "x", 1) == -1 && errno == EBADF);
  errno = 0;
  char *volatile bad = (char *)16; /* an address that is never mapped */
  CHECK(write(1, bad, 5) == -1 && errno == EFAULT);
  errno = 1234;
  CHECK(fprintf(stderr, "keeps errno\n") == 12 && errno == 1234);
  errno = 0;
  CHECK(read(-1, NULL, 0) == -1 && errno == EBADF);
  errno = 0;
  CHECK(close(-1) == -1 && errno == EBADF);
  CHECK(printf("%s", "") == 0);
  return 0;
}
