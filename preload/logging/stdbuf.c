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

#include "internal.h"
#include "logging/logging.h"

#undef fflush_unlocked

/* glibc's _flags bits (libio.h; part of the same ABI as the pointers). */
#define XTP_IO_UNBUFFERED 0x0002
#define XTP_IO_LINE_BUF 0x0200

/* What the hooks last saw of a stream's buffer. Written with the stream's
 * lock held (or, for the _unlocked forms, under the program's own rule that
 * one thread uses the stream at a time). */
typedef struct fstate {
  const char *base; /* _IO_buf_base: another buffer means all of it is new */
  const char *seen; /* _IO_write_ptr after the last hooked call */
  int resync;       /* a call passed over budget: the buffer's bytes are no news */
} fstate;

static fstate fst[XTP_OUT_N];

static bool fully_buffered(FILE *fp) {
  return !(fp->_flags & (XTP_IO_UNBUFFERED | XTP_IO_LINE_BUF)) && fp->_mode <= 0;
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
    xtp_line_feed(s, from, (size_t)(wp - from), xtp_stream_agent(s), caller, NULL, false);
}

static void mark(int s, FILE *fp) {
  __atomic_store_n(&fst[s].base, fp->_IO_buf_base, __ATOMIC_RELAXED);
  __atomic_store_n(&fst[s].seen, fp->_IO_write_ptr, __ATOMIC_RELAXED);
}

void xtp_fio_begin(xtp_fio *c, int s, FILE *fp, bool lock, const void *caller) {
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

void xtp_fio_end(xtp_fio *c) {
  if (!c->buffered)
    return;
  mark(c->s, c->fp);
  if (c->locked)
    funlockfile(c->fp);
}

/* Read first: a store on every refused call would bounce the line between
 * the threads that write the stream. */
void xtp_fio_skipped(int s) {
  if (!__atomic_load_n(&fst[s].resync, __ATOMIC_RELAXED))
    __atomic_store_n(&fst[s].resync, 1, __ATOMIC_RELAXED);
}

/* From thread and process end, possibly with another thread inside stdio:
 * a stream whose lock is busy is left alone. */
void xtp_stdio_collect(void) {
  for (int s = 0; s < XTP_OUT_N; s++) {
    if (!(__atomic_load_n(&xtp_cfg.families, __ATOMIC_RELAXED) &
          (s == XTP_OUT_STDERR ? XTP_FAM_STDERR : XTP_FAM_STDOUT)))
      continue;
    FILE *fp = s == XTP_OUT_STDERR ? stderr : stdout;
    if (!fp || !fully_buffered(fp) || ftrylockfile(fp) != 0)
      continue;
    if (!xtp_line_over(s))
      pickup(s, fp, NULL);
    mark(s, fp);
    funlockfile(fp);
  }
}

/* __overflow(fp, EOF) writes nothing of its own, it only empties the
 * buffer: what the buffer holds is picked up first, over budget or not. */
static int overflow_flush(__overflow_fn real, FILE *fp, int s, const void *caller) {
  if (!xtp_stream_enter(s))
    return real(fp, EOF);
  xtp_fio c;
  xtp_fio_begin(&c, s, fp, false, caller);
  int r = real(fp, EOF);
  xtp_fio_after(&c);
  return r;
}

/* The macros' slow path: the buffer is full (or the stream is line-buffered
 * or unbuffered) and ch is to be written. ch == EOF only flushes. */
XTP_HOOK int __overflow(FILE *fp, int ch) {
  __overflow_fn real = REAL(__overflow);
  if (!real) {
    errno = ENOSYS;
    return EOF;
  }
  int s = xtp_stream_of(fp);
  if (ch == EOF) /* a flush: only the buffer's side */
    return overflow_flush(real, fp, s, XTP_CALLER);
  xtp_fio c;
  char byte = (char)ch;
  int r;
  switch (xtp_fio_before(&c, s, fp, false, XTP_CALLER)) {
  case XTP_PATH_PASS:
    return real(fp, ch);
  case XTP_PATH_OVER:
    r = real(fp, ch);
    xtp_fio_after_over(s, r != EOF, ch == '\n');
    return r;
  case XTP_PATH_PREFIX: {
    xtp_sink sink = {fp, -1};
    r = xtp_line_out(s, &sink, &byte, 1, false, XTP_CALLER, false) < 0 ? EOF : (unsigned char)ch;
    break;
  }
  case XTP_PATH_RECORD:
  default:
    r = real(fp, ch);
    if (r != EOF)
      xtp_line_wrote(s, &byte, 1, XTP_CALLER, false);
    break;
  }
  xtp_fio_after(&c);
  return r;
}

static int hook_fflush(fflush_fn real, FILE *fp, bool lock, const void *caller) {
  if (!real) {
    errno = ENOSYS;
    return EOF;
  }
  if (!fp) { /* all streams: ours first, while their bytes are still there */
    for (int s = 0; s < XTP_OUT_N; s++) {
      FILE *f = s == XTP_OUT_STDERR ? stderr : stdout;
      if (!f || !xtp_stream_enter(s))
        continue;
      if (xtp_line_over(s)) {
        xtp_fio_skipped(s);
      } else {
        xtp_fio c;
        xtp_fio_begin(&c, s, f, lock, caller);
        xtp_fio_end(&c); /* seen past the emptied buffer reads as "all new" */
      }
      xtp_leave();
    }
    return real(fp);
  }
  int s = xtp_stream_of(fp);
  if (!xtp_stream_enter(s))
    return real(fp);
  int r;
  if (xtp_line_over(s)) {
    xtp_fio_skipped(s);
    r = real(fp);
  } else {
    xtp_fio c;
    xtp_fio_begin(&c, s, fp, lock, caller);
    r = real(fp);
    int err = errno;
    xtp_fio_end(&c);
    errno = err;
  }
  xtp_leave();
  return r;
}

XTP_HOOK int fflush(FILE *fp) { return hook_fflush(REAL(fflush), fp, true, XTP_CALLER); }
XTP_HOOK int fflush_unlocked(FILE *fp) {
  return hook_fflush(REAL(fflush_unlocked), fp, false, XTP_CALLER);
}

/* gnulib's close_stdout, run from atexit in coreutils and tar, ends stdout
 * with fclose: the buffer's last bytes go out there. */
XTP_HOOK int fclose(FILE *fp) {
  fclose_fn real = REAL(fclose);
  if (!real) {
    errno = ENOSYS;
    return EOF;
  }
  int s = xtp_stream_of(fp);
  if (!xtp_stream_enter(s))
    return real(fp);
  if (xtp_line_over(s)) {
    xtp_fio_skipped(s);
  } else {
    xtp_fio c;
    xtp_fio_begin(&c, s, fp, true, XTP_CALLER);
    xtp_fio_end(&c);
  }
  int r = real(fp);
  int err = errno;
  __atomic_store_n(&fst[s].base, NULL, __ATOMIC_RELAXED);
  __atomic_store_n(&fst[s].seen, NULL, __ATOMIC_RELAXED);
  errno = err;
  xtp_leave();
  return r;
}
