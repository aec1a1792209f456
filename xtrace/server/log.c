#include "log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <unistd.h>

static atomic_int quiet_flag;

void xt__log_quiet(int quiet) { atomic_store(&quiet_flag, quiet); }

/* Formats into one buffer and writes it with a single write(2), so lines from
 * the ingest, writer and HTTP threads never interleave mid-line. */
void xt__log(const char *component, const char *fmt, ...) {
  if (atomic_load(&quiet_flag)) return;
  char line[1024];
  int n = snprintf(line, sizeof line, "xtrace-server[%d] %s: ", (int)getpid(), component);
  if (n < 0) return;
  va_list ap;
  va_start(ap, fmt);
  int m = vsnprintf(line + n, sizeof line - (size_t)n - 1, fmt, ap);
  va_end(ap);
  if (m < 0) return;
  size_t len = (size_t)n + (size_t)m;
  if (len > sizeof line - 2) len = sizeof line - 2;
  line[len++] = '\n';
  ssize_t w = write(2, line, len);
  (void)w;
}
