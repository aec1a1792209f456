/*
 * stdio and descriptor logging: the printf family (and the fortified __*_chk
 * forms Debian binaries call), puts/fputs/fputc/putc/putchar/fwrite and their
 * _unlocked forms, write/writev/dprintf on fds 1 and 2. C++ iostreams end in
 * fwrite/fputc/putc (stdio_sync_filebuf) or write, so they are covered here.
 *
 * Formatted output is formatted once: vsnprintf straight into the thread's
 * line buffer, then the real fwrite of those bytes. The alternative, the real
 * vfprintf plus a second vsnprintf for the label, costs a whole second
 * formatting pass per line; fwrite of the same bytes to the same stream
 * produces the same output, the same stream orientation and, for an unbuffered
 * stderr, the same single write(2). Only text longer than the buffer's free
 * space is formatted twice (into a heap buffer).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#include "common.h"
#include "logging.h"

/* <stdio.h> may define these as macros; the hooks need the names. */
#undef putc
#undef putchar
#undef putc_unlocked
#undef putchar_unlocked
#undef fputc_unlocked
#undef fwrite_unlocked
#undef fputs_unlocked

extern int __vsnprintf_chk(char *s, size_t maxlen, int flag, size_t slen, const char *fmt,
                           va_list ap);

int xt__stream_of(FILE *fp) {
  if (fp == stderr)
    return XT_OUT_STDERR;
  if (fp == stdout)
    return XT_OUT_STDOUT;
  return -1;
}

int xt__stream_of_fd(int fd) { return fd == 2 ? XT_OUT_STDERR : fd == 1 ? XT_OUT_STDOUT : -1; }

const char *xt__stream_agent(int s) { return s == XT_OUT_STDERR ? "stderr" : "stdout"; }

/* Inline here: every stdio call of the program on any stream passes
 * through it, and a filter makes millions of them. */
static inline bool stream_enter(int s) {
  if (s < 0)
    return false;
  return xt__enter(s == XT_OUT_STDERR ? XT_FAM_STDERR : XT_FAM_STDOUT);
}

bool xt__stream_enter(int s) { return stream_enter(s); }

/* The pass-through test, made first and inline in every hook: a stream that
 * is not traced (a filter's stdout, any other FILE) costs a compare or two
 * and the real call, no frame of the hook's own. Before initialisation, and
 * when tracing is off, the slow path decides. */
static inline bool pass_through(int s) {
  if (s < 0)
    return true;
  /* families changes when fd 1 moves (logging_streams.c): read atomically. */
  return __atomic_load_n(&xt__state, __ATOMIC_ACQUIRE) == 2 &&
         !(__atomic_load_n(&xt__cfg.families, __ATOMIC_RELAXED) &
           (s == XT_OUT_STDERR ? XT_FAM_STDERR : XT_FAM_STDOUT));
}

/* The real functions of the pass-through path, cached in this file so that
 * the lookup is a load, not a call. */
static void *fast_sym[XT_SYM_COUNT];
static inline void *real_fast(int i) {
  void *p = __atomic_load_n(&fast_sym[i], __ATOMIC_RELAXED);
  if (__builtin_expect(!p, 0)) {
    p = xt__real_sym(i);
    __atomic_store_n(&fast_sym[i], p, __ATOMIC_RELAXED);
  }
  return p;
}
#define REAL_FAST(name) ((name##_fn)real_fast(XT_SYM_##name))

static inline int real_vfprintf_flag(FILE *fp, int flag, const char *fmt, va_list ap) {
  if (flag < 0) {
    vfprintf_fn f = REAL_FAST(vfprintf);
    if (f)
      return f(fp, fmt, ap);
  } else {
    __vfprintf_chk_fn f = REAL_FAST(__vfprintf_chk);
    if (f)
      return f(fp, flag, fmt, ap);
  }
  errno = ENOSYS;
  return -1;
}

static int format(char *buf, size_t cap, int flag, const char *fmt, va_list ap) {
  if (flag < 0)
    return vsnprintf(buf, cap, fmt, ap);
  return __vsnprintf_chk(buf, cap, flag, cap, fmt, ap);
}

/* Writes text that is already in the line buffer's tail (inplace) or
 * elsewhere, to the stream or, in prefix mode, through the line buffer.
 * Returns the byte count or -1 with errno, like the printf family. */
static int out_stdio(int s, FILE *fp, const char *text, size_t n, bool inplace,
                     const void *caller) {
  xt__sink sink = {fp, -1};
  const char *agent = xt__stream_agent(s);
  if (xt__cfg.log_prefix) {
    int rc = inplace ? xt__line_commit(s, n, agent, caller, &sink)
                     : xt__line_feed(s, text, n, agent, caller, &sink, false);
    if (rc < 0) {
      errno = -rc;
      return -1;
    }
    return (int)n;
  }
  fwrite_fn fw = REAL(fwrite);
  if (!fw) {
    errno = ENOSYS;
    return -1;
  }
  size_t w = fw(text, 1, n, fp);
  int err = errno;
  if (inplace)
    xt__line_commit(s, w, agent, caller, NULL);
  else
    xt__line_feed(s, text, w, agent, caller, NULL, false);
  errno = err;
  return w == n ? (int)n : -1;
}

static bool ends_line(const char *s) {
  size_t n = strlen(s);
  return n > 0 && s[n - 1] == '\n';
}

/* The over-budget path of a FILE hook, around its real call. */
static void skip_before(int s) { xt__fio_skipped(s); }
static void skip_after(int s, size_t bytes, bool ends) {
  int err = errno;
  xt__line_skipped(s, bytes, ends);
  xt__fio_skipped(s);
  errno = err;
}

__attribute__((noinline)) static int hook_vfprintf_slow(FILE *fp, int flag, const char *fmt,
                                                       va_list ap, const void *caller) {
  int s = xt__stream_of(fp);
  if (!stream_enter(s))
    return real_vfprintf_flag(fp, flag, fmt, ap);
  int saved = errno; /* %m must see the caller's errno */
  if (xt__line_over(s)) {
    skip_before(s);
    int r = real_vfprintf_flag(fp, flag, fmt, ap);
    skip_after(s, r > 0 ? (size_t)r : 0, ends_line(fmt));
    xt__leave();
    return r;
  }
  xt__fio c;
  xt__fio_begin(&c, s, fp, true, caller);
  va_list again;
  va_copy(again, ap);
  size_t avail = 0;
  char *tail = xt__line_tail(s, &avail);
  errno = saved;
  int n = tail ? format(tail, avail, flag, fmt, ap) : -1;
  int ret;
  if (n < 0) {
    errno = saved;
    ret = real_vfprintf_flag(fp, flag, fmt, again);
  } else if ((size_t)n < avail) {
    ret = out_stdio(s, fp, tail, (size_t)n, true, caller);
  } else {
    char *big = malloc((size_t)n + 1);
    errno = saved;
    if (big && format(big, (size_t)n + 1, flag, fmt, again) == n)
      ret = out_stdio(s, fp, big, (size_t)n, false, caller);
    else
      ret = real_vfprintf_flag(fp, flag, fmt, again);
    int err = errno;
    free(big);
    errno = err;
  }
  va_end(again);
  int err = errno;
  xt__fio_end(&c);
  errno = err;
  xt__leave();
  return ret;
}

static inline int hook_vfprintf(FILE *fp, int flag, const char *fmt, va_list ap,
                                const void *caller) {
  if (pass_through(xt__stream_of(fp)))
    return real_vfprintf_flag(fp, flag, fmt, ap);
  return hook_vfprintf_slow(fp, flag, fmt, ap, caller);
}

/* Descriptor output: write everything, retrying short writes as vdprintf
 * does. Returns 0 or -1 with errno. */
static int write_all(int fd, const char *p, size_t n, size_t *done) {
  write_fn w = REAL(write);
  *done = 0;
  if (!w) {
    errno = ENOSYS;
    return -1;
  }
  while (*done < n) {
    ssize_t r = w(fd, p + *done, n - *done);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      return -1;
    *done += (size_t)r;
  }
  return 0;
}

/* signal_safe: the caller is write() or writev(), which signal handlers may
 * call; see linebuf.c. */
static int out_fd(int s, int fd, const char *text, size_t n, bool inplace, const void *caller,
                  bool signal_safe) {
  xt__sink sink = {NULL, fd};
  const char *agent = xt__stream_agent(s);
  if (xt__cfg.log_prefix) {
    int rc = inplace ? xt__line_commit(s, n, agent, caller, &sink)
                     : xt__line_feed(s, text, n, agent, caller, &sink, signal_safe);
    if (rc < 0) {
      errno = -rc;
      return -1;
    }
    return (int)n;
  }
  size_t done;
  int rc = write_all(fd, text, n, &done);
  int err = errno;
  if (inplace)
    xt__line_commit(s, done, agent, caller, NULL);
  else
    xt__line_feed(s, text, done, agent, caller, NULL, signal_safe);
  errno = err;
  return rc < 0 ? -1 : (int)n;
}

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
  errno = ENOSYS;
  return -1;
}

__attribute__((noinline)) static int hook_vdprintf_slow(int fd, int flag, const char *fmt,
                                                       va_list ap, const void *caller) {
  int s = xt__stream_of_fd(fd);
  if (!stream_enter(s))
    return real_vdprintf_flag(fd, flag, fmt, ap);
  int saved = errno;
  if (xt__line_over(s)) {
    int r = real_vdprintf_flag(fd, flag, fmt, ap);
    int err = errno;
    xt__line_skipped(s, r > 0 ? (size_t)r : 0, ends_line(fmt));
    errno = err;
    xt__leave();
    return r;
  }
  va_list again;
  va_copy(again, ap);
  size_t avail = 0;
  char *tail = xt__line_tail(s, &avail);
  int n = tail ? format(tail, avail, flag, fmt, ap) : -1;
  int ret;
  if (n >= 0 && (size_t)n < avail) {
    ret = out_fd(s, fd, tail, (size_t)n, true, caller, false);
  } else {
    /* Too long to hold: the real call writes it and the label is lost; a
     * single dprintf of more than a line buffer is rare enough. */
    errno = saved;
    ret = real_vdprintf_flag(fd, flag, fmt, again);
  }
  va_end(again);
  xt__leave();
  return ret;
}

static inline int hook_vdprintf(int fd, int flag, const char *fmt, va_list ap,
                                const void *caller) {
  if (pass_through(xt__stream_of_fd(fd)))
    return real_vdprintf_flag(fd, flag, fmt, ap);
  return hook_vdprintf_slow(fd, flag, fmt, ap, caller);
}

#define RA __builtin_return_address(0)

XT_HOOK int vfprintf(FILE *fp, const char *fmt, va_list ap) {
  return hook_vfprintf(fp, -1, fmt, ap, RA);
}
XT_HOOK int vprintf(const char *fmt, va_list ap) { return hook_vfprintf(stdout, -1, fmt, ap, RA); }
XT_HOOK int __vfprintf_chk(FILE *fp, int flag, const char *fmt, va_list ap) {
  return hook_vfprintf(fp, flag, fmt, ap, RA);
}
XT_HOOK int __vprintf_chk(int flag, const char *fmt, va_list ap) {
  return hook_vfprintf(stdout, flag, fmt, ap, RA);
}

#define VARIADIC(call)  \
  va_list ap;           \
  va_start(ap, fmt);    \
  int r = (call);       \
  va_end(ap);           \
  return r

XT_HOOK int fprintf(FILE *fp, const char *fmt, ...) { VARIADIC(hook_vfprintf(fp, -1, fmt, ap, RA)); }
XT_HOOK int printf(const char *fmt, ...) { VARIADIC(hook_vfprintf(stdout, -1, fmt, ap, RA)); }
XT_HOOK int __fprintf_chk(FILE *fp, int flag, const char *fmt, ...) {
  VARIADIC(hook_vfprintf(fp, flag, fmt, ap, RA));
}
XT_HOOK int __printf_chk(int flag, const char *fmt, ...) {
  VARIADIC(hook_vfprintf(stdout, flag, fmt, ap, RA));
}
XT_HOOK int vdprintf(int fd, const char *fmt, va_list ap) {
  return hook_vdprintf(fd, -1, fmt, ap, RA);
}
XT_HOOK int __vdprintf_chk(int fd, int flag, const char *fmt, va_list ap) {
  return hook_vdprintf(fd, flag, fmt, ap, RA);
}
XT_HOOK int dprintf(int fd, const char *fmt, ...) { VARIADIC(hook_vdprintf(fd, -1, fmt, ap, RA)); }
XT_HOOK int __dprintf_chk(int fd, int flag, const char *fmt, ...) {
  VARIADIC(hook_vdprintf(fd, flag, fmt, ap, RA));
}

/* Unformatted stdio: the real call first, then the bytes it accepted. In
 * prefix mode the bytes go through the line buffer instead. lock: the
 * locking form (the _unlocked ones leave locking to the program). */
__attribute__((noinline)) static size_t hook_fwrite(fwrite_fn real, const void *p, size_t size, size_t nmemb, FILE *fp,
                          bool lock, const void *caller) {
  int s = xt__stream_of(fp);
  if (!real) {
    errno = ENOSYS;
    return 0;
  }
  if (!stream_enter(s))
    return real(p, size, nmemb, fp);
  size_t r;
  if (xt__line_over(s)) {
    skip_before(s);
    r = real(p, size, nmemb, fp);
    size_t b = r * size;
    skip_after(s, b, b > 0 && ((const char *)p)[b - 1] == '\n');
    xt__leave();
    return r;
  }
  xt__fio c;
  xt__fio_begin(&c, s, fp, lock, caller);
  if (xt__cfg.log_prefix) {
    r = out_stdio(s, fp, p, size * nmemb, false, caller) < 0 ? 0 : nmemb;
  } else {
    r = real(p, size, nmemb, fp);
    int err = errno;
    xt__line_feed(s, p, r * size, xt__stream_agent(s), caller, NULL, false);
    errno = err;
  }
  int err = errno;
  xt__fio_end(&c);
  errno = err;
  xt__leave();
  return r;
}

XT_HOOK size_t fwrite(const void *p, size_t size, size_t nmemb, FILE *fp) {
  fwrite_fn real = REAL_FAST(fwrite);
  if (real && pass_through(xt__stream_of(fp)))
    return real(p, size, nmemb, fp);
  return hook_fwrite(real, p, size, nmemb, fp, true, RA);
}
XT_HOOK size_t fwrite_unlocked(const void *p, size_t size, size_t nmemb, FILE *fp) {
  fwrite_fn real = REAL_FAST(fwrite_unlocked);
  if (real && pass_through(xt__stream_of(fp)))
    return real(p, size, nmemb, fp);
  return hook_fwrite(real, p, size, nmemb, fp, false, RA);
}

/* fputs-like: text s (plus a newline for puts). */
__attribute__((noinline)) static int hook_puts(int (*real)(const char *, FILE *), const char *str, FILE *fp, bool newline,
                     bool lock, const void *caller) {
  int s = xt__stream_of(fp);
  if (!stream_enter(s)) {
    if (!real) {
      errno = ENOSYS;
      return EOF;
    }
    return real(str, fp);
  }
  int r;
  if (xt__line_over(s) && real) {
    skip_before(s);
    r = real(str, fp);
    skip_after(s, r >= 0 ? strlen(str) + newline : 0, newline || ends_line(str));
    xt__leave();
    return r;
  }
  xt__fio c;
  xt__fio_begin(&c, s, fp, lock, caller);
  size_t n = strlen(str);
  if (xt__cfg.log_prefix) {
    r = out_stdio(s, fp, str, n, false, caller);
    if (r >= 0 && newline)
      r = out_stdio(s, fp, "\n", 1, false, caller);
    r = r < 0 ? EOF : (int)(n + newline > 0x7fffffff ? 0x7fffffff : n + newline);
  } else if (!real) {
    errno = ENOSYS;
    r = EOF;
  } else {
    r = real(str, fp);
    int err = errno;
    if (r >= 0) {
      xt__line_feed(s, str, n, xt__stream_agent(s), caller, NULL, false);
      if (newline)
        xt__line_feed(s, "\n", 1, xt__stream_agent(s), caller, NULL, false);
    }
    errno = err;
  }
  int err = errno;
  xt__fio_end(&c);
  errno = err;
  xt__leave();
  return r;
}

static puts_fn real_puts_shim_target;
static int puts_shim(const char *str, FILE *fp) {
  (void)fp;
  return real_puts_shim_target(str);
}

XT_HOOK int puts(const char *str) {
  puts_fn real = REAL_FAST(puts);
  if (real && pass_through(xt__stream_of(stdout)))
    return real(str);
  real_puts_shim_target = real;
  return hook_puts(real ? puts_shim : NULL, str, stdout, true, true, RA);
}
XT_HOOK int fputs(const char *str, FILE *fp) {
  fputs_fn real = REAL_FAST(fputs);
  if (real && pass_through(xt__stream_of(fp)))
    return real(str, fp);
  return hook_puts(real, str, fp, false, true, RA);
}
XT_HOOK int fputs_unlocked(const char *str, FILE *fp) {
  fputs_unlocked_fn real = REAL_FAST(fputs_unlocked);
  if (real && pass_through(xt__stream_of(fp)))
    return real(str, fp);
  return hook_puts(real, str, fp, false, false, RA);
}

__attribute__((noinline)) static int hook_putc_slow(int (*real)(int, FILE *), int c, FILE *fp,
                                                   bool lock, const void *caller) {
  int s = xt__stream_of(fp);
  if (!stream_enter(s)) {
    if (!real) {
      errno = ENOSYS;
      return EOF;
    }
    return real(c, fp);
  }
  char ch = (char)c;
  int r;
  if (xt__line_over(s) && real) {
    skip_before(s);
    r = real(c, fp);
    skip_after(s, r != EOF, ch == '\n');
    xt__leave();
    return r;
  }
  xt__fio f;
  xt__fio_begin(&f, s, fp, lock, caller);
  if (xt__cfg.log_prefix) {
    r = out_stdio(s, fp, &ch, 1, false, caller) < 0 ? EOF : (unsigned char)c;
  } else if (!real) {
    errno = ENOSYS;
    r = EOF;
  } else {
    r = real(c, fp);
    int err = errno;
    if (r != EOF)
      xt__line_feed(s, &ch, 1, xt__stream_agent(s), caller, NULL, false);
    errno = err;
  }
  int err = errno;
  xt__fio_end(&f);
  errno = err;
  xt__leave();
  return r;
}

static inline int hook_putc(int (*real)(int, FILE *), int c, FILE *fp, bool lock,
                            const void *caller) {
  if (real && pass_through(xt__stream_of(fp)))
    return real(c, fp);
  return hook_putc_slow(real, c, fp, lock, caller);
}

XT_HOOK int fputc(int c, FILE *fp) { return hook_putc(REAL_FAST(fputc), c, fp, true, RA); }
XT_HOOK int putc(int c, FILE *fp) { return hook_putc(REAL_FAST(putc), c, fp, true, RA); }
XT_HOOK int fputc_unlocked(int c, FILE *fp) {
  return hook_putc(REAL_FAST(fputc_unlocked), c, fp, false, RA);
}
XT_HOOK int putc_unlocked(int c, FILE *fp) {
  return hook_putc(REAL_FAST(putc_unlocked), c, fp, false, RA);
}
XT_HOOK int putchar(int c) { return hook_putc(REAL_FAST(fputc), c, stdout, true, RA); }
XT_HOOK int putchar_unlocked(int c) { return hook_putc(REAL_FAST(fputc_unlocked), c, stdout, false, RA); }

/* write/writev on fds 1 and 2. Signal handlers call write(); see linebuf.c
 * for why this path is safe there. Other descriptors belong to sockets.c. */
ssize_t xt__sock_write(int fd, const void *p, size_t n, const void *caller);
ssize_t xt__sock_writev(int fd, const struct iovec *iov, int cnt, const void *caller);

XT_HOOK ssize_t write(int fd, const void *p, size_t n) {
  int s = xt__stream_of_fd(fd);
  if (s < 0)
    return xt__sock_write(fd, p, n, RA);
  write_fn real = REAL_FAST(write);
  if (real && pass_through(s))
    return real(fd, p, n);
  if (!stream_enter(s)) {
    if (!real) {
      errno = ENOSYS;
      return -1;
    }
    return real(fd, p, n);
  }
  ssize_t r;
  if (xt__line_over(s) && real) {
    r = real(fd, p, n);
    int err = errno;
    xt__line_skipped(s, r > 0 ? (size_t)r : 0, r > 0 && ((const char *)p)[r - 1] == '\n');
    errno = err;
  } else if (xt__cfg.log_prefix) {
    r = out_fd(s, fd, p, n, false, RA, true) < 0 ? -1 : (ssize_t)n;
  } else if (!real) {
    errno = ENOSYS;
    r = -1;
  } else {
    r = real(fd, p, n);
    int err = errno;
    if (r > 0)
      xt__line_feed(s, p, (size_t)r, xt__stream_agent(s), RA, NULL, true);
    errno = err;
  }
  xt__leave();
  return r;
}

XT_HOOK ssize_t writev(int fd, const struct iovec *iov, int cnt) {
  int s = xt__stream_of_fd(fd);
  if (s < 0)
    return xt__sock_writev(fd, iov, cnt, RA);
  writev_fn real = REAL_FAST(writev);
  if (real && pass_through(s))
    return real(fd, iov, cnt);
  if (!stream_enter(s)) {
    if (!real) {
      errno = ENOSYS;
      return -1;
    }
    return real(fd, iov, cnt);
  }
  ssize_t r = 0;
  if (xt__line_over(s) && real) {
    r = real(fd, iov, cnt);
    int err = errno;
    /* The last byte written, without walking more than the vector. */
    bool ends = false;
    size_t left = r > 0 ? (size_t)r : 0;
    for (int i = 0; i < cnt && left > 0; i++) {
      size_t k = iov[i].iov_len < left ? iov[i].iov_len : left;
      if (k)
        ends = ((const char *)iov[i].iov_base)[k - 1] == '\n';
      left -= k;
    }
    xt__line_skipped(s, r > 0 ? (size_t)r : 0, ends);
    errno = err;
  } else if (xt__cfg.log_prefix) {
    for (int i = 0; i < cnt && r >= 0; i++) {
      if (out_fd(s, fd, iov[i].iov_base, iov[i].iov_len, false, RA, true) < 0)
        r = -1;
      else
        r += (ssize_t)iov[i].iov_len;
    }
  } else if (!real) {
    errno = ENOSYS;
    r = -1;
  } else {
    r = real(fd, iov, cnt);
    int err = errno;
    size_t left = r > 0 ? (size_t)r : 0;
    for (int i = 0; i < cnt && left > 0; i++) {
      size_t k = iov[i].iov_len < left ? iov[i].iov_len : left;
      xt__line_feed(s, iov[i].iov_base, k, xt__stream_agent(s), RA, NULL, true);
      left -= k;
    }
    errno = err;
  }
  xt__leave();
  return r;
}
