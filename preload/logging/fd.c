/*
 * Descriptor logging: dprintf and vdprintf (and their fortified forms) on fds
 * 1 and 2, and the stream side of write and writev, which descriptors.c hands
 * over for those two descriptors. The same output paths as the stdio hooks
 * (logging.h, xtp_out_before), without a FILE buffer.
 *
 * Signal handlers call write(): see logging/linebuf.c for why the write path is
 * safe there (signal_safe).
 */
#include <stdarg.h>
#include <stdio.h>
#include <sys/uio.h>

#include "internal.h"
#include "logging/logging.h"

/* dprintf --------------------------------------------------------------- */

/* The real vdprintf, or its fortified form when flag >= 0. */
static inline int real_vdprintf_flag(int fd, int flag, const char *fmt, va_list ap) {
  if (flag < 0) {
    vdprintf_fn f = REAL_FAST(vdprintf);
    if (f)
      return f(fd, fmt, ap);
  } else {
    __vdprintf_chk_fn f = REAL_FAST(__vdprintf_chk);
    if (f)
      return f(fd, flag, fmt, ap);
  }
  return xtp_enosys();
}

/* hook_vfprintf_slow's shape (logging/stdio.c) without the FILE buffer: a
 * descriptor has none to catch up with, and text too long for the line
 * buffer is left to the real call rather than formatted twice. */
__attribute__((noinline)) static int hook_vdprintf_slow(int fd, int flag, const char *fmt,
                                                        va_list ap, const void *caller) {
  int saved = errno;
  int s = xtp_stream_of_fd(fd);
  switch (xtp_out_before(s)) {
  case XTP_PATH_PASS:
    return real_vdprintf_flag(fd, flag, fmt, ap);
  case XTP_PATH_OVER: {
    int r = real_vdprintf_flag(fd, flag, fmt, ap);
    xtp_out_over_after(s, r > 0 ? (size_t)r : 0, xtp_ends_line(fmt));
    return r;
  }
  default: /* prefix mode or not: xtp_line_out tells them apart */
    break;
  }
  va_list again;
  va_copy(again, ap);
  size_t avail = 0;
  char *tail = xtp_line_tail(s, &avail);
  int n = tail ? xtp_vformat(tail, avail, flag, fmt, ap) : -1;
  int ret;
  if (n >= 0 && (size_t)n < avail) {
    xtp_sink sink = {NULL, fd};
    ret = xtp_line_out(s, &sink, tail, (size_t)n, true, caller, false);
  } else {
    /* Too long to hold: the real call writes it and the label is lost; a
     * single dprintf of more than a line buffer is rare enough. */
    errno = saved;
    ret = real_vdprintf_flag(fd, flag, fmt, again);
  }
  va_end(again);
  xtp_leave();
  return ret;
}

static inline int hook_vdprintf(int fd, int flag, const char *fmt, va_list ap, const void *caller) {
  if (xtp_stream_pass_through(xtp_stream_of_fd(fd)))
    return real_vdprintf_flag(fd, flag, fmt, ap);
  return hook_vdprintf_slow(fd, flag, fmt, ap, caller);
}

XTP_HOOK int vdprintf(int fd, const char *fmt, va_list ap) {
  return hook_vdprintf(fd, -1, fmt, ap, XTP_CALLER);
}
XTP_HOOK int __vdprintf_chk(int fd, int flag, const char *fmt, va_list ap) {
  return hook_vdprintf(fd, flag, fmt, ap, XTP_CALLER);
}
XTP_HOOK int dprintf(int fd, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int r = hook_vdprintf(fd, -1, fmt, ap, XTP_CALLER);
  va_end(ap);
  return r;
}
XTP_HOOK int __dprintf_chk(int fd, int flag, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  int r = hook_vdprintf(fd, flag, fmt, ap, XTP_CALLER);
  va_end(ap);
  return r;
}

/* write and writev on a logged stream ------------------------------------- */

/* Past descriptors.c's pass-through test: stream s (fd 1 or 2) may be
 * traced. write and writev take the same output paths; only how a vector is
 * counted and fed differs, which a shared body would hide. */
ssize_t xtp_log_write(int s, int fd, const void *p, size_t n, const void *caller) {
  write_fn real = REAL_FAST(write);
  if (!real)
    return xtp_enosys();
  ssize_t r = 0;
  switch (xtp_out_before(s)) {
  case XTP_PATH_PASS:
    return real(fd, p, n);
  case XTP_PATH_OVER:
    r = real(fd, p, n);
    xtp_out_over_after(s, r > 0 ? (size_t)r : 0, r > 0 && ((const char *)p)[r - 1] == '\n');
    return r;
  case XTP_PATH_PREFIX: {
    xtp_sink sink = {NULL, fd};
    r = xtp_line_out(s, &sink, p, n, false, caller, true) < 0 ? -1 : (ssize_t)n;
    break;
  }
  case XTP_PATH_RECORD:
    r = real(fd, p, n);
    if (r > 0)
      xtp_line_wrote(s, p, (size_t)r, caller, true);
    break;
  }
  xtp_leave();
  return r;
}

/* Whether the first r bytes of the vector end with a newline, without
 * walking more of it than was written. */
static bool iov_ends_line(const struct iovec *iov, int cnt, ssize_t r) {
  bool ends = false;
  size_t left = r > 0 ? (size_t)r : 0;
  for (int i = 0; i < cnt && left > 0; i++) {
    size_t k = iov[i].iov_len < left ? iov[i].iov_len : left;
    if (k)
      ends = ((const char *)iov[i].iov_base)[k - 1] == '\n';
    left -= k;
  }
  return ends;
}

ssize_t xtp_log_writev(int s, int fd, const struct iovec *iov, int cnt, const void *caller) {
  writev_fn real = REAL_FAST(writev);
  if (!real)
    return xtp_enosys();
  ssize_t r = 0;
  switch (xtp_out_before(s)) {
  case XTP_PATH_PASS:
    return real(fd, iov, cnt);
  case XTP_PATH_OVER:
    r = real(fd, iov, cnt);
    xtp_out_over_after(s, r > 0 ? (size_t)r : 0, iov_ends_line(iov, cnt, r));
    return r;
  case XTP_PATH_PREFIX: {
    xtp_sink sink = {NULL, fd};
    for (int i = 0; i < cnt && r >= 0; i++) {
      if (xtp_line_out(s, &sink, iov[i].iov_base, iov[i].iov_len, false, caller, true) < 0)
        r = -1;
      else
        r += (ssize_t)iov[i].iov_len;
    }
    break;
  }
  case XTP_PATH_RECORD: {
    r = real(fd, iov, cnt);
    size_t left = r > 0 ? (size_t)r : 0;
    for (int i = 0; i < cnt && left > 0; i++) {
      size_t k = iov[i].iov_len < left ? iov[i].iov_len : left;
      xtp_line_wrote(s, iov[i].iov_base, k, caller, true);
      left -= k;
    }
    break;
  }
  }
  xtp_leave();
  return r;
}
