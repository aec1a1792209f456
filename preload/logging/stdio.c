/*
 * stdio logging: the printf family on a FILE (and the fortified __*_chk forms
 * Debian binaries call), puts/fputs/fputc/putc/putchar/fwrite and their
 * _unlocked forms, on stdout and stderr. C++ iostreams end in
 * fwrite/fputc/putc (stdio_sync_filebuf) or write, so they are covered here
 * and in logging/fd.c.
 *
 * Every hook has the same shape: the inline pass-through test, then a slow
 * path that takes one of the output paths of logging.h (xtp_fio_before):
 * pass, over budget, prefix mode, or the real call and a record of the bytes
 * it took. The switch over those paths is written out in each (and in
 * __overflow, logging/stdbuf.c): its cases are where the hooks differ (the
 * real call, the byte count, the return value).
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
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"
#include "logging/logging.h"

/* <stdio.h> may define these as macros; the hooks need the names. */
#undef putc
#undef putchar
#undef putc_unlocked
#undef putchar_unlocked
#undef fputc_unlocked
#undef fwrite_unlocked
#undef fputs_unlocked

/* The printf family ------------------------------------------------------- */

/* The real vfprintf, or its fortified form when flag >= 0. */
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
  return xtp_enosys();
}

/* Text formatted by the hook goes out through xtp_line_out. */
static int out_stdio(int s, FILE *fp, const char *text, size_t n, bool inplace,
                     const void *caller) {
  xtp_sink sink = {fp, -1};
  return xtp_line_out(s, &sink, text, n, inplace, caller, false);
}

__attribute__((noinline)) static int hook_vfprintf_slow(FILE *fp, int flag, const char *fmt,
                                                        va_list ap, const void *caller) {
  int saved = errno; /* %m must see the caller's errno */
  int s = xtp_stream_of(fp);
  xtp_fio c;
  switch (xtp_fio_before(&c, s, fp, true, caller)) {
  case XTP_PATH_PASS:
    return real_vfprintf_flag(fp, flag, fmt, ap);
  case XTP_PATH_OVER: {
    int r = real_vfprintf_flag(fp, flag, fmt, ap);
    xtp_fio_after_over(s, r > 0 ? (size_t)r : 0, xtp_ends_line(fmt));
    return r;
  }
  default: /* prefix mode or not: out_stdio tells them apart */
    break;
  }
  va_list again;
  va_copy(again, ap);
  size_t avail = 0;
  char *tail = xtp_line_tail(s, &avail);
  errno = saved;
  int n = tail ? xtp_vformat(tail, avail, flag, fmt, ap) : -1;
  int ret;
  if (n < 0) {
    errno = saved;
    ret = real_vfprintf_flag(fp, flag, fmt, again);
  } else if ((size_t)n < avail) {
    ret = out_stdio(s, fp, tail, (size_t)n, true, caller);
  } else {
    char *big = malloc((size_t)n + 1);
    errno = saved;
    if (big && xtp_vformat(big, (size_t)n + 1, flag, fmt, again) == n)
      ret = out_stdio(s, fp, big, (size_t)n, false, caller);
    else
      ret = real_vfprintf_flag(fp, flag, fmt, again);
    int err = errno;
    free(big);
    errno = err;
  }
  va_end(again);
  xtp_fio_after(&c);
  return ret;
}

static inline int hook_vfprintf(FILE *fp, int flag, const char *fmt, va_list ap,
                                const void *caller) {
  if (xtp_stream_pass_through(xtp_stream_of(fp)))
    return real_vfprintf_flag(fp, flag, fmt, ap);
  return hook_vfprintf_slow(fp, flag, fmt, ap, caller);
}

XTP_HOOK int vfprintf(FILE *fp, const char *fmt, va_list ap) {
  return hook_vfprintf(fp, -1, fmt, ap, XTP_CALLER);
}
XTP_HOOK int vprintf(const char *fmt, va_list ap) {
  return hook_vfprintf(stdout, -1, fmt, ap, XTP_CALLER);
}
XTP_HOOK int __vfprintf_chk(FILE *fp, int flag, const char *fmt, va_list ap) {
  return hook_vfprintf(fp, flag, fmt, ap, XTP_CALLER);
}
XTP_HOOK int __vprintf_chk(int flag, const char *fmt, va_list ap) {
  return hook_vfprintf(stdout, flag, fmt, ap, XTP_CALLER);
}

/* The variadic forms: the caller's address is taken here, in the hook, and
 * the v-form does the rest. On x86-64 the exported names are the
 * trampolines below, and these are what they jump to when a call is not
 * simply passed on. */
#if defined(__x86_64__)
#define XTP_PRINTF_HOOK __attribute__((visibility("hidden"), used))
#define PRINTF_NAME(name) xtp_slow_##name
#else
#define XTP_PRINTF_HOOK XTP_HOOK
#define PRINTF_NAME(name) name
#endif

/* The real function of each variadic hook, for the trampolines: filled in
 * the first time the hook passes a call on (the pointer, once found, never
 * changes). Order: printf, fprintf, __printf_chk, __fprintf_chk. */
XTP_PRINTF_HOOK void *xtp_printf_pass[4];

/* Called by hook k for a call on stream s; sym is its real function. */
static inline void learn_pass(int k, int s, int sym) {
#if defined(__x86_64__)
  if (!__atomic_load_n(&xtp_printf_pass[k], __ATOMIC_RELAXED) && xtp_stream_pass_through(s))
    __atomic_store_n(&xtp_printf_pass[k], xtp_real_fast(sym), __ATOMIC_RELAXED);
#else
  (void)k, (void)s, (void)sym;
#endif
}

XTP_PRINTF_HOOK int PRINTF_NAME(fprintf)(FILE *fp, const char *fmt, ...) {
  learn_pass(1, xtp_stream_of(fp), XTP_SYM_fprintf);
  va_list ap;
  va_start(ap, fmt);
  int r = hook_vfprintf(fp, -1, fmt, ap, XTP_CALLER);
  va_end(ap);
  return r;
}
XTP_PRINTF_HOOK int PRINTF_NAME(printf)(const char *fmt, ...) {
  learn_pass(0, XTP_OUT_STDOUT, XTP_SYM_printf);
  va_list ap;
  va_start(ap, fmt);
  int r = hook_vfprintf(stdout, -1, fmt, ap, XTP_CALLER);
  va_end(ap);
  return r;
}
XTP_PRINTF_HOOK int PRINTF_NAME(__fprintf_chk)(FILE *fp, int flag, const char *fmt, ...) {
  learn_pass(3, xtp_stream_of(fp), XTP_SYM___fprintf_chk);
  va_list ap;
  va_start(ap, fmt);
  int r = hook_vfprintf(fp, flag, fmt, ap, XTP_CALLER);
  va_end(ap);
  return r;
}
XTP_PRINTF_HOOK int PRINTF_NAME(__printf_chk)(int flag, const char *fmt, ...) {
  learn_pass(2, XTP_OUT_STDOUT, XTP_SYM___printf_chk);
  va_list ap;
  va_start(ap, fmt);
  int r = hook_vfprintf(stdout, flag, fmt, ap, XTP_CALLER);
  va_end(ap);
  return r;
}

#if defined(__x86_64__)
/* A call on a stream that is not traced must cost next to nothing, and a
 * filter makes millions: the C hooks above spend 40 to 50 instructions in
 * the variadic prologue (spilling every argument register) and their frame
 * before the real call. These trampolines decide pass-through from the registers
 * as they arrive and jump to the real function, which returns straight to
 * the program; anything else (a traced stream, start-up, a real function
 * not found yet) jumps to the C hook with the arguments untouched (%al,
 * the count of vector registers, included). The decision is the C one
 * (xtp_stream_pass_through): a FILE other than stdout and stderr always
 * passes; stdout or stderr passes while tracing with its family off. */
_Static_assert(offsetof(xtp_config, families) == 0, "the trampolines read families at xtp_cfg");
_Static_assert(XTP_TRACED == 2 && XTP_FAM_STDOUT == 2 && XTP_FAM_STDERR == 4,
               "the trampolines' constants");

#define PRINTF_TRAMPOLINE_HEAD(name)                                                               \
  ".text\n.p2align 4\n.globl " #name "\n.type " #name ", @function\n" #name ":\n.cfi_startproc\n"
/* Pass: the real function if found yet (9: the C hook otherwise). */
#define PRINTF_TRAMPOLINE_TAIL(name, idx)                                                          \
  "  movq xtp_printf_pass+8*" #idx "(%rip), %r11\n"                                                \
  "  testq %r11, %r11\n"                                                                           \
  "  jz 9f\n"                                                                                      \
  "  jmp *%r11\n"                                                                                  \
  "9:\n"                                                                                           \
  "  jmp xtp_slow_" #name "\n"                                                                     \
  ".cfi_endproc\n.size " #name ", .-" #name "\n"
/* stdout: its family on while tracing, or not tracing, takes the C hook. */
#define PRINTF_STDOUT_CHECK                                                                        \
  "  cmpl $2, xtp_state(%rip)\n"                                                                   \
  "  jne 9f\n"                                                                                     \
  "  testl $2, xtp_cfg(%rip)\n"                                                                    \
  "  jnz 9f\n"
/* fp in %rdi: another FILE passes at once; stdout and stderr as above. */
#define PRINTF_FILE_CHECK                                                                          \
  "  movq stdout@GOTPCREL(%rip), %r11\n"                                                           \
  "  cmpq (%r11), %rdi\n"                                                                          \
  "  je 1f\n"                                                                                      \
  "  movq stderr@GOTPCREL(%rip), %r11\n"                                                           \
  "  cmpq (%r11), %rdi\n"                                                                          \
  "  jne 3f\n"                                                                                     \
  "  cmpl $2, xtp_state(%rip)\n"                                                                   \
  "  jne 9f\n"                                                                                     \
  "  testl $4, xtp_cfg(%rip)\n"                                                                    \
  "  jnz 9f\n"                                                                                     \
  "  jmp 3f\n"                                                                                     \
  "1:\n" PRINTF_STDOUT_CHECK "3:\n"

__asm__(PRINTF_TRAMPOLINE_HEAD(printf) PRINTF_STDOUT_CHECK PRINTF_TRAMPOLINE_TAIL(printf, 0));
__asm__(PRINTF_TRAMPOLINE_HEAD(fprintf) PRINTF_FILE_CHECK PRINTF_TRAMPOLINE_TAIL(fprintf, 1));
__asm__(PRINTF_TRAMPOLINE_HEAD(__printf_chk)
            PRINTF_STDOUT_CHECK PRINTF_TRAMPOLINE_TAIL(__printf_chk, 2));
__asm__(PRINTF_TRAMPOLINE_HEAD(__fprintf_chk)
            PRINTF_FILE_CHECK PRINTF_TRAMPOLINE_TAIL(__fprintf_chk, 3));
#endif

/* Unformatted output ------------------------------------------------------ */

/* The real call first, then the bytes it accepted; in prefix mode the bytes
 * go through the line buffer instead. lock: the locking form (the _unlocked
 * ones leave locking to the program). */
__attribute__((noinline)) static size_t hook_fwrite(fwrite_fn real, const void *p, size_t size,
                                                    size_t nmemb, FILE *fp, bool lock,
                                                    const void *caller) {
  if (!real) {
    errno = ENOSYS;
    return 0;
  }
  int s = xtp_stream_of(fp);
  xtp_fio c;
  size_t r = 0;
  switch (xtp_fio_before(&c, s, fp, lock, caller)) {
  case XTP_PATH_PASS:
    return real(p, size, nmemb, fp);
  case XTP_PATH_OVER: {
    r = real(p, size, nmemb, fp);
    size_t b = r * size;
    xtp_fio_after_over(s, b, b > 0 && ((const char *)p)[b - 1] == '\n');
    return r;
  }
  case XTP_PATH_PREFIX:
    r = out_stdio(s, fp, p, size * nmemb, false, caller) < 0 ? 0 : nmemb;
    break;
  case XTP_PATH_RECORD:
    r = real(p, size, nmemb, fp);
    xtp_line_wrote(s, p, r * size, caller, false);
    break;
  }
  xtp_fio_after(&c);
  return r;
}

XTP_HOOK size_t fwrite(const void *p, size_t size, size_t nmemb, FILE *fp) {
  fwrite_fn real = REAL_FAST(fwrite);
  if (real && xtp_stream_pass_through(xtp_stream_of(fp)))
    return real(p, size, nmemb, fp);
  return hook_fwrite(real, p, size, nmemb, fp, true, XTP_CALLER);
}
XTP_HOOK size_t fwrite_unlocked(const void *p, size_t size, size_t nmemb, FILE *fp) {
  fwrite_fn real = REAL_FAST(fwrite_unlocked);
  if (real && xtp_stream_pass_through(xtp_stream_of(fp)))
    return real(p, size, nmemb, fp);
  return hook_fwrite(real, p, size, nmemb, fp, false, XTP_CALLER);
}

/* puts in the shape of fputs, so that one hook serves all three. */
static int puts_as_fputs(const char *str, FILE *fp) {
  (void)fp; /* stdout */
  puts_fn real = REAL_FAST(puts);
  return real ? real(str) : xtp_enosys();
}

/* fputs-like: text str (plus a newline for puts). */
__attribute__((noinline)) static int hook_puts(fputs_fn real, const char *str, FILE *fp,
                                               bool newline, bool lock, const void *caller) {
  int s = xtp_stream_of(fp);
  xtp_fio c;
  int r = EOF;
  switch (xtp_fio_before(&c, s, fp, lock, caller)) {
  case XTP_PATH_PASS:
    return real(str, fp);
  case XTP_PATH_OVER:
    r = real(str, fp);
    xtp_fio_after_over(s, r >= 0 ? strlen(str) + newline : 0, newline || xtp_ends_line(str));
    return r;
  case XTP_PATH_PREFIX: {
    size_t n = strlen(str);
    r = out_stdio(s, fp, str, n, false, caller);
    if (r >= 0 && newline)
      r = out_stdio(s, fp, "\n", 1, false, caller);
    r = r < 0 ? EOF : (int)(n + newline > 0x7fffffff ? 0x7fffffff : n + newline);
    break;
  }
  case XTP_PATH_RECORD:
    r = real(str, fp);
    if (r >= 0) {
      xtp_line_wrote(s, str, strlen(str), caller, false);
      if (newline)
        xtp_line_wrote(s, "\n", 1, caller, false);
    }
    break;
  }
  xtp_fio_after(&c);
  return r;
}

XTP_HOOK int puts(const char *str) {
  puts_fn real = REAL_FAST(puts);
  if (real && xtp_stream_pass_through(xtp_stream_of(stdout)))
    return real(str);
  return hook_puts(puts_as_fputs, str, stdout, true, true, XTP_CALLER);
}
XTP_HOOK int fputs(const char *str, FILE *fp) {
  fputs_fn real = REAL_FAST(fputs);
  if (real && xtp_stream_pass_through(xtp_stream_of(fp)))
    return real(str, fp);
  return real ? hook_puts(real, str, fp, false, true, XTP_CALLER) : xtp_enosys();
}
XTP_HOOK int fputs_unlocked(const char *str, FILE *fp) {
  fputs_unlocked_fn real = REAL_FAST(fputs_unlocked);
  if (real && xtp_stream_pass_through(xtp_stream_of(fp)))
    return real(str, fp);
  return real ? hook_puts(real, str, fp, false, false, XTP_CALLER) : xtp_enosys();
}

__attribute__((noinline)) static int hook_putc_slow(int (*real)(int, FILE *), int c, FILE *fp,
                                                    bool lock, const void *caller) {
  int s = xtp_stream_of(fp);
  char ch = (char)c;
  xtp_fio f;
  int r = EOF;
  switch (xtp_fio_before(&f, s, fp, lock, caller)) {
  case XTP_PATH_PASS:
    return real(c, fp);
  case XTP_PATH_OVER:
    r = real(c, fp);
    xtp_fio_after_over(s, r != EOF, ch == '\n');
    return r;
  case XTP_PATH_PREFIX:
    r = out_stdio(s, fp, &ch, 1, false, caller) < 0 ? EOF : (unsigned char)c;
    break;
  case XTP_PATH_RECORD:
    r = real(c, fp);
    if (r != EOF)
      xtp_line_wrote(s, &ch, 1, caller, false);
    break;
  }
  xtp_fio_after(&f);
  return r;
}

static inline int hook_putc(int (*real)(int, FILE *), int c, FILE *fp, bool lock,
                            const void *caller) {
  if (!real)
    return xtp_enosys(); /* EOF */
  if (xtp_stream_pass_through(xtp_stream_of(fp)))
    return real(c, fp);
  return hook_putc_slow(real, c, fp, lock, caller);
}

XTP_HOOK int fputc(int c, FILE *fp) { return hook_putc(REAL_FAST(fputc), c, fp, true, XTP_CALLER); }
XTP_HOOK int putc(int c, FILE *fp) { return hook_putc(REAL_FAST(putc), c, fp, true, XTP_CALLER); }
XTP_HOOK int fputc_unlocked(int c, FILE *fp) {
  return hook_putc(REAL_FAST(fputc_unlocked), c, fp, false, XTP_CALLER);
}
XTP_HOOK int putc_unlocked(int c, FILE *fp) {
  return hook_putc(REAL_FAST(putc_unlocked), c, fp, false, XTP_CALLER);
}
XTP_HOOK int putchar(int c) { return hook_putc(REAL_FAST(fputc), c, stdout, true, XTP_CALLER); }
XTP_HOOK int putchar_unlocked(int c) {
  return hook_putc(REAL_FAST(fputc_unlocked), c, stdout, false, XTP_CALLER);
}
