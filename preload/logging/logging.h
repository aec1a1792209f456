/*
 * Line assembly for the logging hooks: each thread keeps one buffer per
 * output stream (stdout, stderr) and turns what the program writes into one
 * event per line, whichever mix of calls produced the line; and the budget
 * that bounds how many such events a process makes.
 */
#ifndef XTP_LOGGING_H
#define XTP_LOGGING_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "internal.h"

enum { XTP_OUT_STDOUT, XTP_OUT_STDERR, XTP_OUT_N };
/* Budgets: one per output stream, and syslog's. */
enum { XTP_BUDGET_SYSLOG = XTP_OUT_N, XTP_BUDGET_N };

/* Where prefix mode writes a line's text: a stdio stream (fp) or a descriptor. */
typedef struct xtp_sink {
  FILE *fp;
  int fd;
} xtp_sink;

/* Budget (logging/budget.c) ----------------------------------------------------- */

void xtp_budget_setup(unsigned rate, unsigned burst);
/* The budget's clock: coarse monotonic nanoseconds. */
int64_t xtp_budget_now(void);
/* Whether budget b has a token now; takes nothing. */
bool xtp_budget_open(int b, int64_t now);
/* Takes a token for one line. The first token after an episode of refusals
 * first records the episode's marker event ("N lines over budget ..."). */
bool xtp_budget_take(int b, int64_t now);
/* Counts what was refused. */
void xtp_budget_drop(int b, uint64_t lines, uint64_t bytes);
/* Records the markers of episodes still open (thread or process end). */
void xtp_budget_report_all(void);
/* Fork protocol, child step: a full budget of its own. */
void xtp_budget_after_fork_child(void);

/* Lines (logging/linebuf.c) -------------------------------------------------------- */

/* Maps the pool of line buffers; once, at initialisation. */
void xtp_line_setup(void);

/* Checked first by every hook that has the stream's family on: true when the
 * call is to pass through unrecorded because the stream is over budget (the
 * call would start a line, and there is no token). Then the hook makes the
 * real call and reports it with xtp_line_skipped: no copy, no scan. */
bool xtp_line_over(int s);
/* bytes went out unrecorded; ends_line: they ended with a newline (a call
 * that writes several lines counts as one). */
void xtp_line_skipped(int s, size_t bytes, bool ends_line);

/* The free space at the end of the stream's line buffer, never empty, so a
 * hook can format straight into it and avoid a copy; NULL if the thread has
 * no buffer and none can be had. */
char *xtp_line_tail(int s, size_t *avail);

/* Room for a label that is not a stream's line (syslog's message), so that
 * no hook keeps XT_LABEL_MAX bytes on its stack; NULL as above. */
char *xtp_line_scratch(size_t *cap);

/* Takes n bytes the hook just put at the tail. Complete lines become events;
 * a line that fills the buffer is recorded cut, with XT_CUT_MARKER. With a
 * sink (prefix mode) the text is also written to it at once, each line
 * behind "[xtrace T E] ", E being the line's event. Returns 0, or a negative
 * errno if writing to the sink failed. */
int xtp_line_commit(int s, size_t n, const char *agent, const void *caller, const xtp_sink *sink);

/* Copies p in and commits it. signal_safe: the caller may run in a signal
 * handler, so no buffer is mapped (a line that needs one it does not have
 * is recorded as far as it goes). */
int xtp_line_feed(int s, const void *p, size_t n, const char *agent, const void *caller,
                  const xtp_sink *sink, bool signal_safe);

/* Prefix mode, for a hook that writes a line's text through the real call:
 * writes the prefix now if the stream is at the start of a line. The text is
 * then fed with no sink. */
void xtp_line_open(int s, const char *agent, const void *caller, const xtp_sink *sink);

/* Thread or process end: a partial line becomes an event (its text is out
 * already), bytes the program put into stdio buffers without a hook are
 * collected, and open budget episodes are reported. */
void xtp_line_flush_all(void);

/* Fork protocol, child step: the child drops the parent's partial lines
 * (they are the parent's) and the pool slots of the parent's other threads. */
void xtp_line_after_fork_child(void);

/* Whether stdout is a log (logging/streams.c) ------------------------------- */

/* auto_stdout: shared-stdout was asked for. Returns whether stdout is a log
 * now; later changes of fd 1 update XTP_FAM_STDOUT. */
bool xtp_streams_setup(bool auto_stdout);
bool xtp_stdout_shares_stderr(void);

/* Streams ------------------------------------------------------------------ */

/* Stream index for stdout/stderr (or fds 1/2), -1 for anything else. */
static inline int xtp_stream_of(FILE *fp) {
  return fp == stderr ? XTP_OUT_STDERR : fp == stdout ? XTP_OUT_STDOUT : -1;
}
static inline int xtp_stream_of_fd(int fd) {
  return fd == 2 ? XTP_OUT_STDERR : fd == 1 ? XTP_OUT_STDOUT : -1;
}
static inline const char *xtp_stream_agent(int s) {
  return s == XTP_OUT_STDERR ? "stderr" : "stdout";
}
static inline unsigned xtp_stream_family(int s) {
  return s == XTP_OUT_STDERR ? XTP_FAM_STDERR : XTP_FAM_STDOUT;
}

/* xtp_enter for the stream's family; false for s < 0. Inline: every stdio
 * call of the program on any stream passes through it, and a filter makes
 * millions of them. */
static inline bool xtp_stream_enter(int s) { return s >= 0 && xtp_enter(xtp_stream_family(s)); }

/* The pass-through test, made first and inline in every hook: a stream that
 * is not traced (a filter's stdout, any other FILE) costs a compare or two
 * and the real call, no frame of the hook's own. Before initialisation, and
 * when tracing is off, the slow path decides. families changes when fd 1
 * moves (logging/streams.c): read atomically. */
static inline bool xtp_stream_pass_through(int s) {
  if (s < 0)
    return true;
  return xtp_traced() &&
         !(__atomic_load_n(&xtp_cfg.families, __ATOMIC_RELAXED) & xtp_stream_family(s));
}

/* Whether text ends a line. */
static inline bool xtp_ends_line(const char *text) {
  size_t n = strlen(text);
  return n > 0 && text[n - 1] == '\n';
}

/* vsnprintf, or its fortified form for the __*_chk hooks (flag >= 0). */
extern int __vsnprintf_chk(char *s, size_t maxlen, int flag, size_t slen, const char *fmt,
                           va_list ap);
static inline int xtp_vformat(char *buf, size_t cap, int flag, const char *fmt, va_list ap) {
  if (flag < 0)
    return vsnprintf(buf, cap, fmt, ap);
  return __vsnprintf_chk(buf, cap, flag, cap, fmt, ap);
}

/* The paths of an output hook, decided before its real call (the "before"
 * half of socket_wrapper's swrap_*_before/_after), for stream s: */
typedef enum xtp_out_path {
  XTP_PATH_PASS,   /* not traced: the real call and nothing else; no guard held */
  XTP_PATH_OVER,   /* over budget: the real call, then xtp_out_over_after */
  XTP_PATH_PREFIX, /* prefix mode: xtp_line_out writes the text in place of the
                    * real call (formatted output: the text it formatted) */
  XTP_PATH_RECORD, /* the real call, then xtp_line_wrote of the bytes it took */
} xtp_out_path;

/* All but PASS hold the guard, to be released by the "after" half. */
static inline xtp_out_path xtp_out_before(int s) {
  if (!xtp_stream_enter(s))
    return XTP_PATH_PASS;
  if (xtp_line_over(s))
    return XTP_PATH_OVER;
  return xtp_cfg.log_prefix ? XTP_PATH_PREFIX : XTP_PATH_RECORD;
}

/* The over-budget path's end: bytes went out unrecorded (see
 * xtp_line_skipped); errno kept, guard released. */
static inline void xtp_out_over_after(int s, size_t bytes, bool ends_line) {
  int err = errno;
  xtp_line_skipped(s, bytes, ends_line);
  errno = err;
  xtp_leave();
}

/* Writes text a hook produced itself (formatted output, or prefix mode's
 * copy of the program's bytes) to sink, and records it: in prefix mode
 * through the line buffer, which writes each line behind its prefix;
 * otherwise the real fwrite or write (all of it, retrying short writes), then
 * the bytes it took become the line's. inplace: the text is at the line
 * buffer's tail (xtp_line_tail). signal_safe as for xtp_line_feed. Returns n,
 * or -1 with errno, like the printf family. */
int xtp_line_out(int s, const xtp_sink *sink, const char *text, size_t n, bool inplace,
                 const void *caller, bool signal_safe);

/* Records n bytes a hook's real call just wrote on stream s, keeping errno
 * (the real call's) as it was. */
static inline void xtp_line_wrote(int s, const void *p, size_t n, const void *caller,
                                  bool signal_safe) {
  int err = errno;
  xtp_line_feed(s, p, n, xtp_stream_agent(s), caller, NULL, signal_safe);
  errno = err;
}

/* Descriptor output on fds 1 and 2 (logging/fd.c), for descriptors.c. */
ssize_t xtp_log_write(int s, int fd, const void *p, size_t n, const void *caller);
ssize_t xtp_log_writev(int s, int fd, const struct iovec *iov, int cnt, const void *caller);

/* FILE buffers (logging/stdbuf.c) ------------------------------------------ */

/* A hooked stdio call on a traced stream, between its guard and its end:
 * begin feeds what the program put into the FILE's buffer since the last
 * hook saw it (inlined putc_unlocked and the like), end notes where the
 * buffer stands after the real call. lock: take the stream's lock across
 * (the locking forms; the _unlocked ones leave that to the program). */
typedef struct xtp_fio {
  int s;
  FILE *fp;
  bool buffered; /* fully: the only kind the macros fill without __overflow */
  bool locked;
} xtp_fio;
void xtp_fio_begin(xtp_fio *c, int s, FILE *fp, bool lock, const void *caller);
void xtp_fio_end(xtp_fio *c);
/* A call on stream s passed over budget: what its buffer holds now is not
 * news to the next hook. */
void xtp_fio_skipped(int s);
/* The output paths (xtp_out_before) of a hook on a FILE: on OVER the
 * buffer's bytes are marked as no news before the real call and after it
 * (xtp_fio_after_over); on PREFIX and RECORD c is begun, and ended with
 * xtp_fio_after. Both "after" halves keep errno and release the guard.
 * Inline: every traced stdio call takes them, most of them over budget, and
 * a call into another file costs that path a tenth of its instructions. */
static inline xtp_out_path xtp_fio_before(xtp_fio *c, int s, FILE *fp, bool lock,
                                          const void *caller) {
  xtp_out_path path = xtp_out_before(s);
  if (path == XTP_PATH_OVER)
    xtp_fio_skipped(s);
  else if (path != XTP_PATH_PASS)
    xtp_fio_begin(c, s, fp, lock, caller);
  return path;
}

static inline void xtp_fio_after_over(int s, size_t bytes, bool ends_line) {
  int err = errno;
  xtp_line_skipped(s, bytes, ends_line);
  xtp_fio_skipped(s);
  errno = err;
  xtp_leave();
}

static inline void xtp_fio_after(xtp_fio *c) {
  int err = errno;
  xtp_fio_end(c);
  errno = err;
  xtp_leave();
}
/* The same as begin and end, from thread or process end. */
void xtp_stdio_collect(void);

#endif
