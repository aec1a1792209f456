/*
 * The BSD err/warn family, perror and GNU error/error_at_line: each writes one
 * whole line to stderr through libc-internal calls the other hooks never see,
 * so the line is composed here in the same shape glibc prints it.
 *
 * error() has no va_list form to forward to, so it is implemented here in
 * full (same bytes, same error_message_count, error_print_progname and
 * error_one_per_line behaviour), traced or not.
 */
#include <err.h>
#include <errno.h>
#include <error.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common.h"
#include "logging.h"

/* Bounded appends into a fixed buffer; len keeps counting past cap so the
 * caller can tell the text was cut. */
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
/* A cut text still ends its line, so the next line starts clean. */
static size_t finish(text *t) {
  if (t->len < t->cap)
    return t->len;
  t->buf[t->cap - 2] = '\n';
  return t->cap - 1;
}

static const char *errstr(int errnum, char *buf, size_t cap) { return strerror_r(errnum, buf, cap); }

/* Composes "prog: [fmt][: strerror]\n" into the stderr line buffer's tail
 * and returns its length. errnum < 0 means no error text (the x forms). */
static size_t compose_warn(int errnum, const char *fmt, va_list ap) {
  size_t avail;
  text t = {xt__line_tail(XT_OUT_STDERR, &avail), 0, 0};
  t.cap = avail;
  char eb[256];
  add(&t, "%s: ", program_invocation_short_name);
  if (fmt) {
    addv(&t, fmt, ap);
    if (errnum >= 0)
      add(&t, ": %s", errstr(errnum, eb, sizeof eb));
  } else if (errnum >= 0) {
    add(&t, "%s", errstr(errnum, eb, sizeof eb));
  }
  add(&t, "\n");
  return finish(&t);
}

/* In prefix mode the composed line is the output; otherwise it only feeds
 * the event and the real function prints. */
static void commit_line(size_t n, const char *agent, const void *caller) {
  xt__sink sink = {stderr, -1};
  xt__line_commit(XT_OUT_STDERR, n, agent, caller, xt__cfg.log_prefix ? &sink : NULL);
}

static void hook_vwarn(bool with_errno, const char *fmt, va_list ap, const void *caller) {
  int saved = errno;
  vwarn_fn real = with_errno ? REAL(vwarn) : REAL(vwarnx);
  if (!xt__enter(XT_FAM_STDERR)) {
    if (real)
      real(fmt, ap);
    return;
  }
  va_list again;
  va_copy(again, ap);
  errno = saved;
  size_t n = compose_warn(with_errno ? saved : -1, fmt, ap);
  if (!xt__cfg.log_prefix && real) {
    errno = saved;
    real(fmt, again);
  }
  commit_line(n, "err", caller);
  va_end(again);
  errno = saved;
  xt__leave();
}

/* err() does not return: the line is recorded before the real call exits,
 * and the guard is dropped first so the exit handlers record the exit. */
__attribute__((noreturn)) static void hook_verr(bool with_errno, int status, const char *fmt, va_list ap,
                      const void *caller) {
  int saved = errno;
  verr_fn real = with_errno ? REAL(verr) : REAL(verrx);
  if (xt__enter(XT_FAM_STDERR)) {
    va_list again;
    va_copy(again, ap);
    errno = saved;
    size_t n = compose_warn(with_errno ? saved : -1, fmt, again);
    va_end(again);
    commit_line(n, "err", caller);
    xt__leave();
    if (xt__cfg.log_prefix)
      exit(status);
  }
  errno = saved;
  if (real)
    real(status, fmt, ap);
  exit(status);
}

#define RA __builtin_return_address(0)

XT_HOOK void vwarn(const char *fmt, va_list ap) { hook_vwarn(true, fmt, ap, RA); }
XT_HOOK void vwarnx(const char *fmt, va_list ap) { hook_vwarn(false, fmt, ap, RA); }
XT_HOOK void verr(int status, const char *fmt, va_list ap) { hook_verr(true, status, fmt, ap, RA); }
XT_HOOK void verrx(int status, const char *fmt, va_list ap) {
  hook_verr(false, status, fmt, ap, RA);
}
XT_HOOK void warn(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  hook_vwarn(true, fmt, ap, RA);
  va_end(ap);
}
XT_HOOK void warnx(const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  hook_vwarn(false, fmt, ap, RA);
  va_end(ap);
}
XT_HOOK void err(int status, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  hook_verr(true, status, fmt, ap, RA);
}
XT_HOOK void errx(int status, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  hook_verr(false, status, fmt, ap, RA);
}

XT_HOOK void perror(const char *s) {
  int saved = errno;
  perror_fn real = REAL(perror);
  if (!xt__enter(XT_FAM_STDERR)) {
    if (real)
      real(s);
    return;
  }
  size_t avail;
  text t = {xt__line_tail(XT_OUT_STDERR, &avail), 0, 0};
  t.cap = avail;
  char eb[256];
  if (s && *s)
    add(&t, "%s: ", s);
  add(&t, "%s\n", errstr(saved, eb, sizeof eb));
  size_t n = finish(&t);
  if (!xt__cfg.log_prefix && real) {
    errno = saved;
    real(s);
  }
  commit_line(n, "perror", RA);
  errno = saved;
  xt__leave();
}

/* GNU error(): prints "prog: [file:line: ]message[: strerror]\n" after
 * flushing stdout, counts the message and exits if status is non-zero. */
static void do_error(int status, int errnum, bool at_line, const char *file, unsigned line,
                     const char *fmt, va_list ap, const void *caller) {
  int saved = errno;
  bool traced = xt__enter(XT_FAM_STDERR);
  if (!traced)
    xt__depth++; /* the stdio calls below are ours: keep them untraced */
  fflush(stdout);
  char local[XT_LABEL_MAX];
  size_t avail = sizeof local;
  text t = {traced ? xt__line_tail(XT_OUT_STDERR, &avail) : local, 0, 0};
  t.cap = avail;
  if (error_print_progname) {
    error_print_progname();
  } else {
    if (at_line)
      add(&t, "%s:", program_invocation_name);
    else
      add(&t, "%s: ", program_invocation_name);
  }
  if (at_line && file)
    add(&t, "%s:%u: ", file, line);
  else if (at_line)
    add(&t, " ");
  errno = saved;
  addv(&t, fmt, ap);
  char eb[256];
  if (errnum)
    add(&t, ": %s", errstr(errnum, eb, sizeof eb));
  add(&t, "\n");
  size_t n = finish(&t);
  fwrite_fn fw = REAL(fwrite);
  if (!(traced && xt__cfg.log_prefix) && fw)
    fw(t.buf, 1, n, stderr);
  fflush(stderr);
  if (traced) {
    commit_line(n, "error", caller);
    xt__leave();
  } else {
    xt__depth--;
  }
  ++error_message_count;
  errno = saved;
  if (status)
    exit(status);
}

XT_HOOK void error(int status, int errnum, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  do_error(status, errnum, false, NULL, 0, fmt, ap, RA);
  va_end(ap);
}

XT_HOOK void error_at_line(int status, int errnum, const char *file, unsigned line,
                           const char *fmt, ...) {
  if (error_one_per_line) {
    /* Same rule as glibc: repeat of the previous file and line is silent. */
    static const char *old_file;
    static unsigned old_line;
    if (old_line == line &&
        (file == old_file || (old_file && file && strcmp(old_file, file) == 0)))
      return;
    old_file = file;
    old_line = line;
  }
  va_list ap;
  va_start(ap, fmt);
  do_error(status, errnum, true, file, line, fmt, ap, RA);
  va_end(ap);
}
