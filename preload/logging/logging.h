/*
 * Line assembly for the logging hooks: each thread keeps one buffer per
 * output stream (stdout, stderr) and turns what the program writes into one
 * event per line, whichever mix of calls produced the line; and the budget
 * that bounds how many such events a process makes.
 */
#ifndef XT_PRELOAD_LOGGING_H
#define XT_PRELOAD_LOGGING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum { XT_OUT_STDOUT, XT_OUT_STDERR, XT_OUT_N };
/* Budgets: one per output stream, and syslog's. */
enum { XT_BUDGET_SYSLOG = XT_OUT_N, XT_BUDGET_N };

/* Where prefix mode writes a line's text: a stdio stream (fp) or a descriptor. */
typedef struct xt__sink {
  FILE *fp;
  int fd;
} xt__sink;

/* Budget (logbudget.c) ----------------------------------------------------- */

void xt__budget_setup(unsigned rate, unsigned burst);
/* The budget's clock: coarse monotonic nanoseconds. */
int64_t xt__budget_now(void);
/* Whether budget b has a token now; takes nothing. */
bool xt__budget_open(int b, int64_t now);
/* Takes a token for one line. The first token after an episode of refusals
 * first records the episode's marker event ("N lines over budget ..."). */
bool xt__budget_take(int b, int64_t now);
/* Counts what was refused. */
void xt__budget_drop(int b, uint64_t lines, uint64_t bytes);
/* Records the markers of episodes still open (thread or process end). */
void xt__budget_report_all(void);
void xt__budget_fork_child(void);

/* Lines (linebuf.c) -------------------------------------------------------- */

/* Maps the pool of line buffers; once, at initialisation. */
void xt__line_setup(void);

/* Checked first by every hook that has the stream's family on: true when the
 * call is to pass through unrecorded because the stream is over budget (the
 * call would start a line, and there is no token). Then the hook makes the
 * real call and reports it with xt__line_skipped: no copy, no scan. */
bool xt__line_over(int s);
/* bytes went out unrecorded; ends_line: they ended with a newline (a call
 * that writes several lines counts as one). */
void xt__line_skipped(int s, size_t bytes, bool ends_line);

/* The free space at the end of the stream's line buffer, never empty, so a
 * hook can format straight into it and avoid a copy; NULL if the thread has
 * no buffer and none can be had. */
char *xt__line_tail(int s, size_t *avail);

/* Room for a label that is not a stream's line (syslog's message), so that
 * no hook keeps XT_LABEL_MAX bytes on its stack; NULL as above. */
char *xt__line_scratch(size_t *cap);

/* Takes n bytes the hook just put at the tail. Complete lines become events;
 * a line that fills the buffer is recorded cut, with XT_CUT_MARKER. With a
 * sink (prefix mode) the text is also written to it at once, each line
 * behind "[xtrace T E] ", E being the line's event. Returns 0, or a negative
 * errno if writing to the sink failed. */
int xt__line_commit(int s, size_t n, const char *agent, const void *caller, const xt__sink *sink);

/* Copies p in and commits it. signal_safe: the caller may run in a signal
 * handler, so no buffer is mapped (a line that needs one it does not have
 * is recorded as far as it goes). */
int xt__line_feed(int s, const void *p, size_t n, const char *agent, const void *caller,
                  const xt__sink *sink, bool signal_safe);

/* Prefix mode, for a hook that writes a line's text through the real call:
 * writes the prefix now if the stream is at the start of a line. The text is
 * then fed with no sink. */
void xt__line_open(int s, const char *agent, const void *caller, const xt__sink *sink);

/* Thread or process end: a partial line becomes an event (its text is out
 * already), bytes the program put into stdio buffers without a hook are
 * collected, and open budget episodes are reported. */
void xt__line_flush_all(void);

/* A forked child drops the parent's partial lines: they are the parent's. */
void xt__line_reset_all(void);

/* Whether stdout is a log (logging_streams.c) ------------------------------- */

/* auto_stdout: shared-stdout was asked for. Returns whether stdout is a log
 * now; later changes of fd 1 update XT_FAM_STDOUT. */
bool xt__streams_setup(bool auto_stdout);
bool xt__stdout_shares_stderr(void);

/* stdio (logging_stdio.c) -------------------------------------------------- */

/* Stream index for stdout/stderr (or fds 1/2), -1 for anything else. */
int xt__stream_of(FILE *fp);
int xt__stream_of_fd(int fd);
const char *xt__stream_agent(int s);
/* xt__enter for the stream's family; false for s < 0. */
bool xt__stream_enter(int s);

/* FILE buffers (logging_stdbuf.c) ------------------------------------------ */

/* A hooked stdio call on a traced stream, between its guard and its end:
 * begin feeds what the program put into the FILE's buffer since the last
 * hook saw it (inlined putc_unlocked and the like), end notes where the
 * buffer stands after the real call. lock: take the stream's lock across
 * (the locking forms; the _unlocked ones leave that to the program). */
typedef struct xt__fio {
  int s;
  FILE *fp;
  bool buffered; /* fully: the only kind the macros fill without __overflow */
  bool locked;
} xt__fio;
void xt__fio_begin(xt__fio *c, int s, FILE *fp, bool lock, const void *caller);
void xt__fio_end(xt__fio *c);
/* A call on stream s passed over budget: what its buffer holds now is not
 * news to the next hook. */
void xt__fio_skipped(int s);
/* The same as begin and end, from thread or process end. */
void xt__stdio_collect(void);

#endif
