/*
 * Bytes that reach stdout's or stderr's FILE buffer without a hook. With
 * optimisation, glibc's putc_unlocked, putchar_unlocked and fputc_unlocked
 * are macros that store into the buffer through the public struct _IO_FILE
 * pointers and call the exported __overflow only when the buffer is full; so
 * a newline written that way never reaches a hook, and `tar tzf` would make
 * one label of every file name. Each hooked call on a fully buffered stream
 * therefore first looks at _IO_write_base.._IO_write_ptr for what arrived
 * since the previous hook (which noted _IO_write_ptr after its real call),
 * and so do __overflow, fflush and fclose, the points where glibc empties
 * the buffer on the program's behalf, and the exit path before libc's last
 * flush. Line-buffered and unbuffered streams need none of this: for them
 * glibc keeps _IO_write_end at _IO_write_ptr, so every macro store goes
 * through __overflow.
 *
 * Bytes found this way are already in the output: they are fed with no sink,
 * and in prefix mode a line that starts among them has no prefix.
 */
#include <stdio.h>

#include "common.h"
#include "logging.h"

#undef fflush_unlocked

/* glibc's _flags bits (libio.h; part of the same ABI as the pointers). */
#define XT_IO_UNBUFFERED 0x0002
#define XT_IO_LINE_BUF 0x0200

/* What the hooks last saw of a stream's buffer. Written with the stream's
 * lock held (or, for the _unlocked forms, under the program's own rule that
 * one thread uses the stream at a time). */
typedef struct fstate {
  const char *base; /* _IO_buf_base: another buffer means all of it is new */
  const char *seen; /* _IO_write_ptr after the last hooked call */
  int resync;       /* a call passed over budget: the buffer's bytes are no news */
} fstate;

static fstate fst[XT_OUT_N];

static bool fully_buffered(FILE *fp) {
  return !(fp->_flags & (XT_IO_UNBUFFERED | XT_IO_LINE_BUF)) && fp->_mode <= 0;
}

/* Relaxed atomics: the stream's lock orders them, but a sanitizer does not
 * see glibc's lock, and a program breaking the _unlocked rule must only get
 * odd labels. */
static void pickup(int s, FILE *fp, const void *caller) {
  fstate *f = &fst[s];
  if (__atomic_exchange_n(&f->resync, 0, __ATOMIC_RELAXED))
    return;
  const char *wb = fp->_IO_write_base, *wp = fp->_IO_write_ptr;
  if (!wb || wp <= wb)
    return;
  /* Behind seen, or in another buffer, the buffer was emptied since (by
   * libc itself): all it holds is new. */
  const char *base = __atomic_load_n(&f->base, __ATOMIC_RELAXED);
  const char *seen = __atomic_load_n(&f->seen, __ATOMIC_RELAXED);
  const char *from = base == fp->_IO_buf_base && seen >= wb && seen <= wp ? seen : wb;
  if (wp > from)
    xt__line_feed(s, from, (size_t)(wp - from), xt__stream_agent(s), caller, NULL, false);
}

static void mark(int s, FILE *fp) {
  __atomic_store_n(&fst[s].base, fp->_IO_buf_base, __ATOMIC_RELAXED);
  __atomic_store_n(&fst[s].seen, fp->_IO_write_ptr, __ATOMIC_RELAXED);
}

void xt__fio_begin(xt__fio *c, int s, FILE *fp, bool lock, const void *caller) {
  c->s = s;
  c->fp = fp;
  c->buffered = fully_buffered(fp);
  if (!c->buffered)
    return;
  c->locked = lock;
  if (lock)
    flockfile(fp);
  pickup(s, fp, caller);
}

void xt__fio_end(xt__fio *c) {
  if (!c->buffered)
    return;
  mark(c->s, c->fp);
  if (c->locked)
    funlockfile(c->fp);
}

/* Read first: a store on every refused call would bounce the line between
 * the threads that write the stream. */
void xt__fio_skipped(int s) {
  if (!__atomic_load_n(&fst[s].resync, __ATOMIC_RELAXED))
    __atomic_store_n(&fst[s].resync, 1, __ATOMIC_RELAXED);
}

/* From thread and process end, possibly with another thread inside stdio:
 * a stream whose lock is busy is left alone. */
void xt__stdio_collect(void) {
  for (int s = 0; s < XT_OUT_N; s++) {
    if (!(__atomic_load_n(&xt__cfg.families, __ATOMIC_RELAXED) &
          (s == XT_OUT_STDERR ? XT_FAM_STDERR : XT_FAM_STDOUT)))
      continue;
    FILE *fp = s == XT_OUT_STDERR ? stderr : stdout;
    if (!fp || !fully_buffered(fp) || ftrylockfile(fp) != 0)
      continue;
    if (!xt__line_over(s))
      pickup(s, fp, NULL);
    mark(s, fp);
    funlockfile(fp);
  }
}

#define RA __builtin_return_address(0)

/* The macros' slow path: the buffer is full (or the stream is line-buffered
 * or unbuffered) and ch is to be written. ch == EOF only flushes. */
XT_HOOK int __overflow(FILE *fp, int ch) {
  __overflow_fn real = REAL(__overflow);
  if (!real) {
    errno = ENOSYS;
    return EOF;
  }
  int s = xt__stream_of(fp);
  if (!xt__stream_enter(s))
    return real(fp, ch);
  int r;
  if (ch != EOF && xt__line_over(s)) {
    xt__fio_skipped(s);
    r = real(fp, ch);
    int err = errno;
    xt__line_skipped(s, r != EOF, ch == '\n');
    xt__fio_skipped(s);
    errno = err;
    xt__leave();
    return r;
  }
  xt__fio c;
  xt__fio_begin(&c, s, fp, false, RA);
  char byte = (char)ch;
  if (ch != EOF && xt__cfg.log_prefix) {
    xt__sink sink = {fp, -1};
    int rc = xt__line_feed(s, &byte, 1, xt__stream_agent(s), RA, &sink, false);
    if (rc < 0)
      errno = -rc;
    r = rc < 0 ? EOF : (unsigned char)ch;
  } else {
    r = real(fp, ch);
    int err = errno;
    if (ch != EOF && r != EOF)
      xt__line_feed(s, &byte, 1, xt__stream_agent(s), RA, NULL, false);
    errno = err;
  }
  xt__fio_end(&c);
  xt__leave();
  return r;
}

static int hook_fflush(fflush_fn real, FILE *fp, bool lock, const void *caller) {
  if (!real) {
    errno = ENOSYS;
    return EOF;
  }
  if (!fp) { /* all streams: ours first, while their bytes are still there */
    for (int s = 0; s < XT_OUT_N; s++) {
      FILE *f = s == XT_OUT_STDERR ? stderr : stdout;
      if (!f || !xt__stream_enter(s))
        continue;
      if (xt__line_over(s)) {
        xt__fio_skipped(s);
      } else {
        xt__fio c;
        xt__fio_begin(&c, s, f, lock, caller);
        xt__fio_end(&c); /* seen past the emptied buffer reads as "all new" */
      }
      xt__leave();
    }
    return real(fp);
  }
  int s = xt__stream_of(fp);
  if (!xt__stream_enter(s))
    return real(fp);
  int r;
  if (xt__line_over(s)) {
    xt__fio_skipped(s);
    r = real(fp);
  } else {
    xt__fio c;
    xt__fio_begin(&c, s, fp, lock, caller);
    r = real(fp);
    int err = errno;
    xt__fio_end(&c);
    errno = err;
  }
  xt__leave();
  return r;
}

XT_HOOK int fflush(FILE *fp) { return hook_fflush(REAL(fflush), fp, true, RA); }
XT_HOOK int fflush_unlocked(FILE *fp) {
  return hook_fflush(REAL(fflush_unlocked), fp, false, RA);
}

/* gnulib's close_stdout, run from atexit in coreutils and tar, ends stdout
 * with fclose: the buffer's last bytes go out there. */
XT_HOOK int fclose(FILE *fp) {
  fclose_fn real = REAL(fclose);
  if (!real) {
    errno = ENOSYS;
    return EOF;
  }
  int s = xt__stream_of(fp);
  if (!xt__stream_enter(s))
    return real(fp);
  if (xt__line_over(s)) {
    xt__fio_skipped(s);
  } else {
    xt__fio c;
    xt__fio_begin(&c, s, fp, true, RA);
    xt__fio_end(&c);
  }
  int r = real(fp);
  int err = errno;
  __atomic_store_n(&fst[s].base, NULL, __ATOMIC_RELAXED);
  __atomic_store_n(&fst[s].seen, NULL, __ATOMIC_RELAXED);
  errno = err;
  xt__leave();
  return r;
}
