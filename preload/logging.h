/*
 * Line assembly for the logging hooks: each thread keeps one buffer per
 * output stream (stdout, stderr) and turns what the program writes into one
 * event per line, whichever mix of calls produced the line.
 */
#ifndef XT_PRELOAD_LOGGING_H
#define XT_PRELOAD_LOGGING_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum { XT_OUT_STDOUT, XT_OUT_STDERR, XT_OUT_N };

/* Where held text goes in prefix mode: a stdio stream (fp) or a descriptor. */
typedef struct xt__sink {
  FILE *fp;
  int fd;
} xt__sink;

/* The free space at the end of the stream's line buffer, never empty, so a
 * hook can format straight into it and avoid a copy. */
char *xt__line_tail(int s, size_t *avail);

/* Takes n bytes the hook just put at the tail. Complete lines become events;
 * a line that fills the buffer is recorded cut, with XT_CUT_MARKER. In prefix
 * mode the text is also written to sink, each line behind "[xtrace T E] ".
 * Returns 0, or a negative errno if writing to the sink failed. */
int xt__line_commit(int s, size_t n, const char *agent, const void *caller, const xt__sink *sink);

/* Copies p in (in pieces if needed) and commits it. */
int xt__line_feed(int s, const void *p, size_t n, const char *agent, const void *caller,
                  const xt__sink *sink);

/* Thread or process end: a partial line becomes an event (and, in prefix
 * mode, is written out). */
void xt__line_flush_all(void);

/* A forked child drops the parent's partial lines: they are the parent's. */
void xt__line_reset_all(void);

/* Stream index for stdout/stderr (or fds 1/2), -1 for anything else. */
int xt__stream_of(FILE *fp);
int xt__stream_of_fd(int fd);
const char *xt__stream_agent(int s);
/* xt__enter for the stream's family; false for s < 0. */
bool xt__stream_enter(int s);

#endif
