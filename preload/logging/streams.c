/*
 * Whether stdout is a log. By default (shared-stdout in XTRACE_LOG_STREAMS)
 * it is one while fd 1 leads where fd 2 does: the same terminal, pipe or
 * file, other than /dev/null. That is decided at start and again whenever
 * the program points fd 1 elsewhere: dup2/dup3 onto 1 (a shell running
 * `echo msg >&2`, `sort -o FILE` moving its output file onto 1) and
 * freopen of stdout. Two fstat calls each time; programs do this rarely.
 */
#include <dlfcn.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include "internal.h"
#include "logging/logging.h"

static bool stdout_auto;

bool xtp_stdout_shares_stderr(void) {
  struct stat o, e;
  if (fstat(1, &o) != 0 || fstat(2, &e) != 0)
    return false;
  if (o.st_dev != e.st_dev || o.st_ino != e.st_ino)
    return false;
  return !(S_ISCHR(o.st_mode) && o.st_rdev == makedev(1, 3));
}

bool xtp_streams_setup(bool auto_stdout) {
  __atomic_store_n(&stdout_auto, auto_stdout, __ATOMIC_RELAXED);
  return auto_stdout && xtp_stdout_shares_stderr();
}

/* Bytes stdout's buffer took while it was not a log are not news when it
 * becomes one (xtp_fio_skipped). */
static void reconsider(void) {
  if (!__atomic_load_n(&stdout_auto, __ATOMIC_RELAXED) || !xtp_traced())
    return;
  int saved = errno;
  if (xtp_stdout_shares_stderr()) {
    xtp_fio_skipped(XTP_OUT_STDOUT);
    __atomic_fetch_or(&xtp_cfg.families, XTP_FAM_STDOUT, __ATOMIC_RELAXED);
  } else {
    __atomic_fetch_and(&xtp_cfg.families, ~(unsigned)XTP_FAM_STDOUT, __ATOMIC_RELAXED);
  }
  errno = saved;
}

XTP_HOOK int dup2(int old, int fd) {
  dup2_fn real = REAL(dup2);
  if (!real)
    return xtp_enosys();
  int r = real(old, fd);
  if (r == 1)
    reconsider();
  return r;
}

XTP_HOOK int dup3(int old, int fd, int flags) {
  dup3_fn real = REAL(dup3);
  if (!real)
    return xtp_enosys();
  int r = real(old, fd, flags);
  if (r == 1)
    reconsider();
  return r;
}

/* A stream reopened onto stdout may now go elsewhere than stderr. */
static FILE *reopened(FILE *r) {
  if (r && r == stdout)
    reconsider();
  return r;
}

static FILE *hook_freopen(freopen_fn real, const char *path, const char *mode, FILE *fp) {
  if (!real) {
    errno = ENOSYS;
    return NULL;
  }
  return reopened(real(path, mode, fp));
}

XTP_HOOK FILE *freopen(const char *path, const char *mode, FILE *fp) {
  return hook_freopen(REAL(freopen), path, mode, fp);
}
XTP_HOOK FILE *freopen64(const char *path, const char *mode, FILE *fp) {
  return hook_freopen(REAL(freopen64), path, mode, fp);
}
