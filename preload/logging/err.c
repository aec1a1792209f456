/*
 * The BSD err/warn family, perror and GNU error/error_at_line: each writes one
 * whole line to stderr through libc-internal calls the other hooks never see,
 * so the label is composed here in the same shape glibc prints it, while the
 * real function (or, for error(), the real stdio calls) writes the text.
 *
 * error() has no va_list form to forward to, so it is implemented here in
 * full (same bytes, same error_message_count, error_print_progname and
 * error_one_per_line behaviour), traced or not.
 */
#include <err.h>
#include <errno.h>
#include <error.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "logging/logging.h"

/* Bounded appends into a fixed buffer; len keeps counting past cap. */
typedef struct text {
  char *buf;
  size_t cap, len;
} text;

static void add(text *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void addv(text *t, const char *fmt, va_list ap) {
  size_t room = t->len < t->cap ? t->cap - t->len : 0;
  int n = vsnprintf(room ? t->buf + t->len : NULL, room, fmt, ap);
  if (n > 0)
    t->len += (size_t)n;
}
static void add(text *t, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  addv(t, fmt, ap);
  va_end(ap);
}
/* What is in the buffer: a text that did not fit is cut where it stopped. */
static size_t finish(const text *t) { return t->len < t->cap ? t->len : t->cap - 1; }

static const char *errstr(int errnum, char *buf, size_t cap) {
  return strerror_r(errnum, buf, cap);
}

/* The label goes to the stderr line buffer's tail; the text itself is
 * written by the real function, whatever its length, so the output is the
 * unhooked call's byte for byte. line_start decides the line (budget; in
 * prefix mode the prefix goes out first) and gives the tail, or NULL if the
 * line is not recorded; line_end commits the label as a whole line. */
static text line_start(const char *agent, const void *caller) {
  text t = {NULL, 0, 0};
  if (xtp_line_over(XTP_OUT_STDERR)) {
    xtp_line_skipped(XTP_OUT_STDERR, 0, true);
    return t;
  }
  if (xtp_cfg.log_prefix) {
    xtp_sink sink = {stderr, -1};
    xtp_line_open(XTP_OUT_STDERR, agent, caller, &sink);
  }
  t.buf = xtp_line_tail(XTP_OUT_STDERR, &t.cap);
  return t;
}

static void line_end(const text *t, const char *agent, const void *caller) {
  if (!t->buf)
    return;
  xtp_line_commit(XTP_OUT_STDERR, finish(t), agent, caller, NULL);
  xtp_line_feed(XTP_OUT_STDERR, "\n", 1, agent, caller, NULL, false);
}

/* "prog: [fmt][: strerror]", as err.c prints it. errnum < 0 means no error
 * text (the x forms). */
static void compose_warn(text *t, int errnum, const char *fmt, va_list ap) {
  if (!t->buf)
    return;
  char eb[256];
  add(t, "%s: ", program_invocation_short_name);
  if (fmt) {
    addv(t, fmt, ap);
    if (errnum >= 0)
      add(t, ": %s", errstr(errnum, eb, sizeof eb));
  } else if (errnum >= 0) {
    add(t, "%s", errstr(errnum, eb, sizeof eb));
  }
}

/* The warn and err forms' line, composed from a copy of ap (the real call
 * still needs it) with errno as the program left it, for %m. */
static text warn_line(bool with_errno, int saved, const char *fmt, va_list ap, const void *caller) {
  va_list again;
  va_copy(again, ap);
  text t = line_start("err", caller);
  errno = saved;
  compose_warn(&t, with_errno ? saved : -1, fmt, again);
  va_end(again);
  return t;
}

static void hook_vwarn(bool with_errno, const char *fmt, va_list ap, const void *caller) {
  int saved = errno;
  vwarn_fn real = with_errno ? REAL(vwarn) : REAL(vwarnx);
  if (!xtp_enter(XTP_FAM_STDERR)) {
    if (real)
      real(fmt, ap);
    return;
  }
  text t = warn_line(with_errno, saved, fmt, ap, caller);
  if (real) {
    errno = saved;
    real(fmt, ap);
  }
  line_end(&t, "err", caller);
  errno = saved;
  xtp_leave();
}

/* err() does not return: the line is recorded before the real call exits,
 * and the guard is dropped first so the exit handlers record the exit. */
__attribute__((noreturn)) static void hook_verr(bool with_errno, int status, const char *fmt,
                                                va_list ap, const void *caller) {
  int saved = errno;
  verr_fn real = with_errno ? REAL(verr) : REAL(verrx);
  if (xtp_enter(XTP_FAM_STDERR)) {
    text t = warn_line(with_errno, saved, fmt, ap, caller);
    line_end(&t, "err", caller);
    xtp_leave();
  }
  errno = saved;
  if (real)
    real(status, fmt, ap);
  exit(status);
}

XTP_HOOK void vwarn(const char *fmt, va_list ap) { hook_vwarn(true, fmt, ap, XTP_CALLER); }
XTP_HOOK void vwarnx(const char *fmt, va_list ap) { hook_vwarn(false, fmt, ap, XTP_CALLER); }
XTP_HOOK void verr(int status, const char *fmt, va_list ap) {
  hook_verr(true, status, fmt, ap, XTP_CALLER);
}
XTP_HOOK void verrx(int status, const char *fmt, va_list ap) {
  hook_verr(false, status, fmt, ap, XTP_CALLER);
}
XTP_HOOK void warn(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  hook_vwarn(true, fmt, ap, XTP_CALLER);
  va_end(ap);
}
XTP_HOOK void warnx(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  hook_vwarn(false, fmt, ap, XTP_CALLER);
  va_end(ap);
}
XTP_HOOK void err(int status, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  hook_verr(true, status, fmt, ap, XTP_CALLER);
}
XTP_HOOK void errx(int status, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  hook_verr(false, status, fmt, ap, XTP_CALLER);
}

XTP_HOOK void perror(const char *s) {
  int saved = errno;
  perror_fn real = REAL(perror);
  if (!xtp_enter(XTP_FAM_STDERR)) {
    if (real)
      real(s);
    return;
  }
  text t = line_start("perror", XTP_CALLER);
  if (t.buf) {
    char eb[256];
    if (s && *s)
      add(&t, "%s: ", s);
    add(&t, "%s", errstr(saved, eb, sizeof eb));
  }
  if (real) {
    errno = saved;
    real(s);
  }
  line_end(&t, "perror", XTP_CALLER);
  errno = saved;
  xtp_leave();
}

/* error()'s own stdio calls, with the real functions. */
static void eprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void eprintf(const char *fmt, ...) {
  vfprintf_fn f = REAL(vfprintf);
  if (!f)
    return;
  va_list ap;
  va_start(ap, fmt);
  f(stderr, fmt, ap);
  va_end(ap);
}

/* GNU error(), in glibc's order: flush stdout; then, with stderr locked and
 * cancellation off, "prog: " (or error_print_progname()), for error_at_line
 * "file:line: ", the message, the count, ": strerror", the newline and a
 * flush of stderr; exit if status is non-zero. The label is composed on the
 * side, so the output never depends on the line buffer's room. */
static void do_error(int status, int errnum, bool at_line, const char *file, unsigned line,
                     const char *fmt, va_list ap, const void *caller) {
  int saved = errno;
  bool traced = xtp_enter(XTP_FAM_STDERR);
  if (!traced)
    xtp_depth++; /* the stdio calls below are ours: keep them untraced */
  int cancel;
  pthread_setcancelstate(PTHREAD_CANCEL_DISABLE, &cancel);
  fflush_fn ff = REAL(fflush);
  if (ff)
    ff(stdout);
  flockfile(stderr);
  text t = {NULL, 0, 0};
  va_list again;
  va_copy(again, ap);
  if (traced) {
    t = line_start("error", caller);
    if (t.buf) {
      if (!error_print_progname)
        add(&t, at_line ? "%s:" : "%s: ", program_invocation_name);
      if (at_line && file)
        add(&t, "%s:%u: ", file, line);
      else if (at_line)
        add(&t, " ");
      errno = saved;
      addv(&t, fmt, again);
    }
  }
  va_end(again);
  if (error_print_progname)
    error_print_progname();
  else
    eprintf(at_line ? "%s:" : "%s: ", program_invocation_name);
  if (at_line)
    eprintf(file ? "%s:%u: " : " ", file, line);
  errno = saved;
  vfprintf_fn vf = REAL(vfprintf);
  if (vf)
    vf(stderr, fmt, ap);
  ++error_message_count;
  char eb[256];
  if (errnum) {
    const char *es = errstr(errnum, eb, sizeof eb);
    eprintf(": %s", es);
    if (t.buf)
      add(&t, ": %s", es);
  }
  eprintf("\n");
  if (ff)
    ff(stderr);
  if (traced) {
    line_end(&t, "error", caller);
    xtp_leave();
  } else {
    xtp_depth--;
  }
  funlockfile(stderr);
  pthread_setcancelstate(cancel, NULL);
  errno = saved;
  if (status)
    exit(status);
}

XTP_HOOK void error(int status, int errnum, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  do_error(status, errnum, false, NULL, 0, fmt, ap, XTP_CALLER);
  va_end(ap);
}

XTP_HOOK void error_at_line(int status, int errnum, const char *file, unsigned line,
                            const char *fmt, ...) {
  if (error_one_per_line) {
    /* Same rule as glibc: repeat of the previous file and line is silent. */
    static const char *old_file;
    static unsigned old_line;
    if (old_line == line && (file == old_file || (old_file && file && strcmp(old_file, file) == 0)))
      return;
    old_file = file;
    old_line = line;
  }
  va_list ap;
  va_start(ap, fmt);
  do_error(status, errnum, true, file, line, fmt, ap, XTP_CALLER);
  va_end(ap);
}
